// Contract: Zoology's BaseConv mixer (mixer id base_conv; zoology/mixers/base_conv.py + convolution.py, use_act off):
//   u [B, T, D]  ->  y [B, T, D]
//   y = conv(u) ⊙ (u W^T + b) + u                  W = projection.weight [D, D], b = projection.bias [D]
// with conv one of (kernel_size selects short; -1 selects a long conv, implicit_long_conv picks which):
//   short_conv    (ShortConvolution(K)): conv(u) = short_conv(u; conv.conv.weight [D, 1, K], conv.conv.bias [D])
//   long_explicit (LongConvolution):     conv(u) = h ∗ u + u,  h = conv.filter [D, l_max]
//   long_implicit (ImplicitLongConvolution, Zoology Fig. 2): conv(u) = h ∗ u + u with
//                 h[c,t] = (W2 relu(W1 z[0,t,:] + b1) + b2)[c] for t < T, the MLP Linear(3,16) -> ReLU -> Linear(16,D):
//                 W1 = conv.mlp.0.weight [16, 3], b1 = conv.mlp.0.bias [16], W2 = conv.mlp.2.weight [D, 16],
//                 b2 = conv.mlp.2.bias [D]; z = conv.pos_emb.z [1, l_max, 3], frozen (requires_grad False; Zoology
//                 fills it with [t/(l_max−1), cos(2π 1e-4 t/l_max), −sin(2π 1e-4 t/l_max)]).
// (h ∗ u)[t] = sum_{s<=t} h[s] u[t−s] (core/ops/long_conv.hpp); the "+u" inside Zoology's fft_conv is real, and so is
// the outer "+u" (docs/mixers.md §6.7).
// Explicit-filter pitfall: Zoology evaluates h ∗ u by a circular FFT of size 2T over the whole [D, l_max] filter, so
// for l_max >= T + 2 the taps s in (t + T, min(l_max, 2T)) wrap around into output t from future inputs. The
// reference computes the causal definition (taps s < T), which is exactly Zoology's output whenever l_max <= T + 1
// (the MQAR configs train at T = l_max).
// Parameters: short D^2 + (K + 2) D (D^2 + 5D for K = 3); implicit D^2 + 18D + 64 (+ 3 l_max frozen); explicit
// D^2 + D + D l_max. State size (Zoology's BaseConv.state_size): short D K; long D T.
// Backward: dconv = dy ⊙ proj, dproj = dy ⊙ conv, du = dy + linear'(dproj) + conv'(dconv); the implicit filter's
// gradient flows back through the MLP to W1, b1, W2, b2 and z (rows t < T).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/bench_case.hpp"
#include "core/config_key.hpp"
#include "core/contract.hpp"
#include "core/init_law.hpp"
#include "core/layer_mixer.hpp"
#include "core/ops/long_conv.hpp"
#include "core/ops/short_conv.hpp"
#include "core/table_columns.hpp"

namespace menagerie::mixers::base_conv {

enum class Conv { short_conv, long_explicit, long_implicit };

inline constexpr std::int64_t mlp_hidden = 16;  // ImplicitLongConvolution's d_hidden
inline constexpr std::int64_t emb_dim = 3;      // its d_emb: [t, cos, −sin]

struct Problem {
  std::int64_t B = 1, T = 1, D = 1;
  Conv conv = Conv::short_conv;
  std::int64_t kernel_size = 3;  // short_conv taps K
  std::int64_t l_max = 1;        // long convs: filter length / positional-table rows, >= T

  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && D >= 1, "base_conv: B, T, D = ", B, ", ", T, ", ", D,
                        " must all be >= 1");
    if (conv == Conv::short_conv)
      require<ShapeError>(kernel_size >= 1, "base_conv: kernel_size = ", kernel_size, " must be >= 1");
    else
      require<ShapeError>(l_max >= T, "base_conv: l_max = ", l_max, " must be >= T = ", T, " for a long conv");
  }
};

inline std::vector<TensorSpec> tensors(const Problem& p) {
  const std::int64_t D = p.D;
  std::vector<TensorSpec> s = {{"u", {p.B, p.T, D}, "B,T,D", Role::input},
                               {"projection.weight", {D, D}, "D,D", Role::param},
                               {"projection.bias", {D}, "D", Role::param}};
  switch (p.conv) {
    case Conv::short_conv:
      s.push_back({"conv.conv.weight", {D, 1, p.kernel_size}, "D,1,L", Role::param});
      s.push_back({"conv.conv.bias", {D}, "D", Role::param});
      break;
    case Conv::long_explicit:
      s.push_back({"conv.filter", {D, p.l_max}, "D,L", Role::param});
      break;
    case Conv::long_implicit:
      s.push_back({"conv.pos_emb.z", {1, p.l_max, emb_dim}, "1,L,3", Role::param});
      s.push_back({"conv.mlp.0.weight", {mlp_hidden, emb_dim}, "16,3", Role::param});
      s.push_back({"conv.mlp.0.bias", {mlp_hidden}, "16", Role::param});
      s.push_back({"conv.mlp.2.weight", {D, mlp_hidden}, "D,16", Role::param});
      s.push_back({"conv.mlp.2.bias", {D}, "D", Role::param});
      break;
  }
  s.push_back({"y", {p.B, p.T, D}, "B,T,D", Role::output});
  return s;
}

// Trainable parameters (Zoology's count; z is frozen).
inline std::int64_t param_count(const Problem& p) {
  const std::int64_t D = p.D, proj = D * D + D;
  switch (p.conv) {
    case Conv::short_conv: return proj + D * p.kernel_size + D;
    case Conv::long_explicit: return proj + D * p.l_max;
    case Conv::long_implicit: return proj + mlp_hidden * emb_dim + mlp_hidden + D * mlp_hidden + D;
  }
  return 0;
}

// Zoology's state_size(sequence_length = T): D K for the short conv, D T for the long ones.
inline std::optional<std::int64_t> state_size(const Problem& p) {
  return p.conv == Conv::short_conv ? p.D * p.kernel_size : p.D * p.T;
}

// Projection GEMM 2 B T D^2; the conv as its operator counts it (core/ops/short_conv.hpp, long_conv.hpp: FFT);
// the implicit filter MLP 2 T (3·16 + 16 D); 3 pointwise FLOPs per output. HBM: u, params, y.
inline Cost cost(const Problem& p) {
  const double btd = static_cast<double>(p.B * p.T * p.D), d = static_cast<double>(p.D);
  double conv = p.conv == Conv::short_conv
                    ? ops::short_conv::cost({.B = p.B, .T = p.T, .D = p.D, .K = p.kernel_size}).flops
                    : ops::long_conv::cost({.B = p.B, .T = p.T, .D = p.D, .L = p.T}).flops;
  if (p.conv == Conv::long_implicit) conv += 2.0 * static_cast<double>(p.T) * (3.0 * 16.0 + 16.0 * d);
  return {2.0 * btd * d + conv + 3.0 * btd, 2.0 * btd + static_cast<double>(param_count(p)), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "base_conv";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true};
  static constexpr std::array<std::string_view, 1> frozen = {"conv.pos_emb.z"};  // when present (implicit)
  static constexpr std::int64_t Problem::*model_width = &Problem::D;
  static std::vector<ConfigKey<Problem>> config_keys() {
    return {choice_key("conv", &Problem::conv, "short",
                       {{"short", Conv::short_conv},
                        {"long_implicit", Conv::long_implicit},
                        {"long_explicit", Conv::long_explicit}}),
            int_key("kernel_size", &Problem::kernel_size, {.fallback = 3, .min = 1}),
            int_key("l_max", &Problem::l_max, {.min = 1, .longest_sequence = true})};
  }
  // Zoology's modules: the explicit filter ~ N(0, 1); the implicit filter's z = PositionalEmbedding's table. The
  // projection, the short conv and the filter MLP follow the generic nn.Linear and Conv1d laws.
  static std::vector<InitLaw> init_laws() {
    return {{"conv.filter", laws::Normal{1.0}}, {"conv.pos_emb.z", laws::PositionalZ{}}};
  }
  // docs/mixers.md §2.2's base_conv: a short conv (k = 3) layer, then an implicit long conv layer.
  static std::vector<ParamColumn> param_columns(std::int64_t d, std::int64_t N) {
    return {{"base_conv",
             {model::LayerMixer::of<Contract>(
                  {.B = 1, .T = N, .D = d, .conv = Conv::short_conv, .kernel_size = 3, .l_max = N}),
              model::LayerMixer::of<Contract>(
                  {.B = 1, .T = N, .D = d, .conv = Conv::long_implicit, .kernel_size = 3, .l_max = N})},
             (d * d + 5 * d) + (d * d + 18 * d + 64),
             {9728, 35776, 137024, 536128}}};
  }
  static std::vector<StateColumn> state_columns(std::int64_t d, std::int64_t T) {
    return {{"base_conv short (dk)", model::LayerMixer::of<Contract>({.B = 1, .T = T, .D = d,
                                                                       .conv = Conv::short_conv,
                                                                       .kernel_size = 3, .l_max = T})},
            {"base_conv long (dT)", model::LayerMixer::of<Contract>({.B = 1, .T = T, .D = d,
                                                                      .conv = Conv::long_implicit,
                                                                      .kernel_size = 3, .l_max = T})}};
  }
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"short", {.B = 1, .T = T, .D = d}},
            {"implicit", {.B = 1, .T = T, .D = d, .conv = Conv::long_implicit, .kernel_size = 3, .l_max = T}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    using enum Conv;
    std::vector<Problem> g = {{.B = 1, .T = 1, .D = 3, .conv = short_conv, .kernel_size = 3, .l_max = 1},
                              {.B = 2, .T = 7, .D = 5, .conv = short_conv, .kernel_size = 3, .l_max = 7},
                              {.B = 1, .T = 16, .D = 4, .conv = long_explicit, .kernel_size = 3, .l_max = 17},
                              {.B = 1, .T = 13, .D = 3, .conv = long_implicit, .kernel_size = 3, .l_max = 13},
                              {.B = 2, .T = 7, .D = 5, .conv = long_implicit, .kernel_size = 3, .l_max = 9},
                              {.B = 1, .T = 1, .D = 4, .conv = long_explicit, .kernel_size = 3, .l_max = 2}};
    if (full)
      g.insert(g.end(), {{.B = 2, .T = 97, .D = 7, .conv = short_conv, .kernel_size = 4, .l_max = 97},
                         {.B = 1, .T = 113, .D = 5, .conv = long_implicit, .kernel_size = 3, .l_max = 113},
                         {.B = 1, .T = 97, .D = 6, .conv = long_explicit, .kernel_size = 3, .l_max = 98}});
    return g;
  }
  // GPU conformance (harness/kernels.hpp): each conv at T = 1, 7, 97 and about 1k, channel counts off the kernels'
  // tiles, l_max beyond T (the explicit filter's unused taps, the implicit table's unused rows).
  static std::vector<Problem> gpu_grid(bool full) {
    using enum Conv;
    std::vector<Problem> g = {{.B = 3, .T = 1, .D = 4, .conv = short_conv, .kernel_size = 3, .l_max = 1},
                              {.B = 2, .T = 7, .D = 5, .conv = short_conv, .kernel_size = 3, .l_max = 7},
                              {.B = 2, .T = 97, .D = 33, .conv = short_conv, .kernel_size = 4, .l_max = 97},
                              {.B = 1, .T = 1025, .D = 64, .conv = short_conv, .kernel_size = 3, .l_max = 1025},
                              {.B = 2, .T = 7, .D = 5, .conv = long_explicit, .kernel_size = 3, .l_max = 9},
                              {.B = 2, .T = 97, .D = 33, .conv = long_explicit, .kernel_size = 3, .l_max = 97},
                              {.B = 1, .T = 1000, .D = 16, .conv = long_explicit, .kernel_size = 3, .l_max = 1003},
                              {.B = 1, .T = 1, .D = 3, .conv = long_implicit, .kernel_size = 3, .l_max = 2},
                              {.B = 2, .T = 7, .D = 5, .conv = long_implicit, .kernel_size = 3, .l_max = 7},
                              {.B = 2, .T = 97, .D = 33, .conv = long_implicit, .kernel_size = 3, .l_max = 100},
                              {.B = 1, .T = 1025, .D = 16, .conv = long_implicit, .kernel_size = 3, .l_max = 1025}};
    if (full)
      g.insert(g.end(), {{.B = 4, .T = 256, .D = 128, .conv = short_conv, .kernel_size = 3, .l_max = 256},
                         {.B = 2, .T = 512, .D = 64, .conv = long_implicit, .kernel_size = 3, .l_max = 512}});
    return g;
  }
  // Benchmarks (bench/kernels_bench.cpp): B = 8, D = 1024 at T = 1k-16k, and Zoology's training shapes (B = 256,
  // T = 256, d_model 128 and 512); the short layer (k = 3) and the implicit long layer, as in Zoology's BaseConv model.
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() {
    using enum Conv;
    std::vector<GpuBenchCase<Problem>> c;
    const std::vector<std::string_view> all = {"fwd", "bwd", "fwdbwd"};
    for (const Conv conv : {short_conv, long_implicit}) {
      for (std::int64_t T : {1024, 4096, 16384})
        c.push_back({{.B = 8, .T = T, .D = 1024, .conv = conv, .kernel_size = 3, .l_max = T}, {}, all});
      for (std::int64_t d : {128, 512})
        c.push_back({{.B = 256, .T = 256, .D = d, .conv = conv, .kernel_size = 3, .l_max = 256}, {}, all});
    }
    return c;
  }
  // conv: 0 short, 1 explicit long, 2 implicit long.
  static BenchFields bench_fields(const Problem& p) {
    return {{"B", p.B}, {"T", p.T}, {"D", p.D}, {"conv", static_cast<double>(p.conv)}, {"K", p.kernel_size}};
  }
};

}  // namespace menagerie::mixers::base_conv
