// Contract: the Monarch Mixer sequence mixer (mixer id m2; Fu et al. 2023, "Monarch Mixer: A Simple Sub-Quadratic
// GEMM-Based Architecture", §3-§5), in its causal (GPT) form: the gated long convolution of the M2-BERT/M2-GPT
// sequence-mixing block (the code's MonarchMixerSequenceMixing: in_linear, a short depthwise conv, x1 ⊙ v gating,
// a long convolution plus a per-channel bias term, x2 gating, out_linear), its long convolution the Monarch FFT
// convolution of core/ops/monarch_conv.hpp made causal by zero padding to n = n1 n2 >= 2T. This contract fixes one
// parameterisation: the long filter is EXPLICIT, a free [D, l_max] tensor (as Zoology's LongConvolution; the paper
// trains Hyena's implicit Sin-MLP filter, which the hyena contract already covers), one head, no bidirectional
// branch, no residual long conv, dropout off. u [B, T, D] -> y [B, T, D]:
//   P = u Win^T + bin                                    in_linear.weight [3D, D], in_linear.bias [3D]
//   Q = short_conv(P; short_filter.weight [3D, 1, K], short_filter.bias [3D])     (core/ops/short_conv.hpp)
//   x1 = Q[..., 0:D], x2 = Q[..., D:2D], v = Q[..., 2D:3D];   v1 = v ⊙ x1
//   w[b,t,c] = sum_{s<=t} k[c,s] v1[b,t−s,c] + kb[c] v1[b,t,c]    long_filter.k [D, l_max], long_filter.bias [D]
//   y = (w ⊙ x2) Wout^T + bout                           out_linear.weight [D, D], out_linear.bias [D]
// reference_forward evaluates the long convolution by its direct sum (bitwise causal in double, as the generic
// causality check demands); reference_forms lists "monarch", the same map with it by Monarch FFTs (monarch_conv's
// conv_monarch at its default DFT factors), held to the direct sum in Mp by the generic forms check; the backward
// takes the long convolution's adjoint by Monarch FFTs (monarch_conv's conv_monarch_backward).
// Backward, the chain rule: dg = dy Wout, dWout = dy^T g, dbout = Σ dy (g = w ⊙ x2); dw = dg ⊙ x2, dx2 = dg ⊙ w;
// (dv1, dk) = adjoint of the convolution applied to dw, dv1 += kb ⊙ dw, dkb = Σ_{b,t} dw ⊙ v1; dx1 = dv1 ⊙ v,
// dv = dv1 ⊙ x1; dP = short_conv's adjoint of dQ; du = dP Win, dWin = dP^T u, dbin = Σ dP.
// Parameters: 4D^2 + (3K + 8) D + D l_max (4D^2 + 17D + D l_max at K = 3). State size: D T (the long convolution's
// input history, as Zoology counts Hyena's).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/config_key.hpp"
#include "core/contract.hpp"
#include "core/init_law.hpp"
#include "core/layer_mixer.hpp"
#include "core/ops/monarch_conv.hpp"
#include "core/ops/short_conv.hpp"
#include "core/table_columns.hpp"

namespace menagerie::mixers::m2 {

struct Problem {
  std::int64_t B = 1, T = 1, D = 1;
  std::int64_t l_max = 1;               // explicit filter length, >= T
  std::int64_t short_filter_order = 3;  // K

  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && D >= 1, "m2: B, T, D = ", B, ", ", T, ", ", D, " must all be >= 1");
    require<ShapeError>(l_max >= T, "m2: l_max = ", l_max, " must be >= T = ", T);
    require<ShapeError>(short_filter_order >= 1, "m2: short_filter_order = ", short_filter_order, " must be >= 1");
  }
};

inline std::vector<TensorSpec> tensors(const Problem& p) {
  const std::int64_t D = p.D;
  return {{"u", {p.B, p.T, D}, "B,T,D", Role::input},
          {"in_linear.weight", {3 * D, D}, "3D,D", Role::param},
          {"in_linear.bias", {3 * D}, "3D", Role::param},
          {"short_filter.weight", {3 * D, 1, p.short_filter_order}, "3D,1,L", Role::param},
          {"short_filter.bias", {3 * D}, "3D", Role::param},
          {"long_filter.k", {D, p.l_max}, "D,L", Role::param},
          {"long_filter.bias", {D}, "D", Role::param},
          {"out_linear.weight", {D, D}, "D,D", Role::param},
          {"out_linear.bias", {D}, "D", Role::param},
          {"y", {p.B, p.T, D}, "B,T,D", Role::output}};
}

inline std::int64_t param_count(const Problem& p) {
  return 4 * p.D * p.D + (3 * p.short_filter_order + 8) * p.D + p.D * p.l_max;
}

inline std::optional<std::int64_t> state_size(const Problem& p) { return p.D * p.T; }

// GEMMs 2 B T (3D^2 + D^2); the short conv over 3D channels; the long conv as monarch_conv counts it; 4 pointwise
// FLOPs per (b, t, c). HBM: u, the parameters, y.
inline Cost cost(const Problem& p) {
  const double bt = static_cast<double>(p.B * p.T), d = static_cast<double>(p.D);
  const double flops = 8.0 * bt * d * d +
                       ops::short_conv::cost({.B = p.B, .T = p.T, .D = 3 * p.D, .K = p.short_filter_order}).flops +
                       ops::monarch_conv::cost({.B = p.B, .T = p.T, .D = p.D, .L = p.T}).flops + 4.0 * bt * d;
  return {flops, 2.0 * bt * d + static_cast<double>(param_count(p)), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "m2";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true};
  static constexpr std::array<std::string_view, 0> frozen{};
  static constexpr std::int64_t Problem::*model_width = &Problem::D;
  static std::vector<ConfigKey<Problem>> config_keys() {
    return {int_key("l_max", &Problem::l_max, {.min = 1, .longest_sequence = true}),
            int_key("short_filter_order", &Problem::short_filter_order, {.fallback = 3, .min = 1})};
  }
  // The explicit filter as Zoology's LongConvolution draws it, N(0, 1); the bias term as Hyena's filter_fn.bias,
  // N(0, 1). The Linears and the depthwise conv take the generic laws.
  static std::vector<InitLaw> init_laws() {
    return {{"long_filter.k", laws::Normal{1.0}}, {"long_filter.bias", laws::Normal{1.0}}};
  }
  // The spec's parameter table has no M2 column.
  static std::vector<ParamColumn> param_columns(std::int64_t, std::int64_t) { return {}; }
  static std::vector<StateColumn> state_columns(std::int64_t d, std::int64_t T) {
    return {{"m2 (dT)", model::LayerMixer::of<Contract>({.B = 1, .T = T, .D = d, .l_max = T})}};
  }
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .D = d, .l_max = T}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .D = 3, .l_max = 1},
                              {.B = 2, .T = 7, .D = 5, .l_max = 9},
                              {.B = 1, .T = 16, .D = 4, .l_max = 16},
                              {.B = 1, .T = 13, .D = 3, .l_max = 13, .short_filter_order = 2}};
    if (full)
      g.insert(g.end(), {{.B = 2, .T = 97, .D = 7, .l_max = 100}, {.B = 1, .T = 113, .D = 3, .l_max = 113}});
    return g;
  }
};

}  // namespace menagerie::mixers::m2
