// Contract: Zoology's Hyena mixer (mixer id hyena; zoology/mixers/hyena.py): order 2, 1 head, 1 block, short filter
// K = 3, implicit filter MLP of width F = filter_order (64 in Zoology), emb_dim 3, 2 inner layers, modulation on,
// bias on, dropout off.  u [B, T, D] -> y [B, T, D]:
//   P = u Win^T + bin                                  in_proj.weight [3D, D], in_proj.bias [3D]
//   Q = short_conv(P; short_filter.weight [3D, 1, K], short_filter.bias [3D])     (core/ops/short_conv.hpp)
//   x1 = Q[..., 0:D], x2 = Q[..., D:2D], v = Q[..., 2D:3D];   v <- v ⊙ x1
//   implicit filter, for t < T (rows t of the [1, l_max, ·] tables), with Sin(a) = sin(ω ⊙ a) and ONE ω shared:
//     s0 = Sin(W0 z[0,t,:] + b0), s1 = Sin(W2 s0 + b2), s2 = Sin(W4 s1 + b4),  h[c,t] = (W6 s2)[c] exp(−tt[0,t,0] |δ[c]|)
//     W0 = filter_fn.implicit_filter.0.weight [F, 3], b0 = .0.bias [F], ω = .1.freq [1, F] (Zoology's state_dict also
//     lists it as .3.freq and .5.freq: the same tensor), W2/b2 = .2.*, W4/b4 = .4.* [F, F]/[F], W6 = .6.weight [D, F];
//     z = filter_fn.pos_emb.z [1, l_max, 3] (trainable; init [t/(l_max−1), cos(2π 1e-4 t/l_max), −sin(...)]),
//     tt = filter_fn.pos_emb.t [1, l_max, 1] (buffer, frozen; linspace(0, 1, l_max)),
//     δ = filter_fn.modulation.deltas [1, 1, D] (buffer, frozen; linspace(−3.07, −15.35, D))
//   v <- h ∗ v + Dh ⊙ v           (core/ops/long_conv.hpp; Dh = filter_fn.bias [D], fftconv_ref's u·D)
//   y = (v ⊙ x2) Wout^T + bout     out_proj.weight [D, D], out_proj.bias [D]
// Parameters (trainable): 4D^2 + (3K + 8 + F) D + 2F^2 + 7F + 3 l_max = 4D^2 + 81D + 8640 + 3 l_max at K = 3,
// F = 64. State size (Zoology's state_size(sequence_length = T)): D T.
// Backward: the chain rule through each step; Sin: d/da = ω cos(ω a), d/dω = a cos(ω a) summed over its three uses;
// modulation: d/dtt = −|δ| h, d/dδ = −tt sign(δ) h (δ ≠ 0).
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/bench_case.hpp"
#include "core/config_key.hpp"
#include "core/contract.hpp"
#include "core/init_law.hpp"
#include "core/ops/long_conv.hpp"
#include "core/ops/short_conv.hpp"
#include "core/table_columns.hpp"

namespace menagerie::mixers::hyena {

struct Problem {
  std::int64_t B = 1, T = 1, D = 1;
  std::int64_t l_max = 1;              // rows of the positional tables, >= T
  std::int64_t filter_order = 64;      // F, width of the implicit filter MLP
  std::int64_t short_filter_order = 3; // K

  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && D >= 1, "hyena: B, T, D = ", B, ", ", T, ", ", D, " must all be >= 1");
    require<ShapeError>(l_max >= T, "hyena: l_max = ", l_max, " must be >= T = ", T);
    require<ShapeError>(filter_order >= 1 && short_filter_order >= 1, "hyena: filter_order = ", filter_order,
                        ", short_filter_order = ", short_filter_order, " must be >= 1");
  }
};

inline std::vector<TensorSpec> tensors(const Problem& p) {
  const std::int64_t D = p.D, F = p.filter_order, L = p.l_max;
  const std::string f = "filter_fn.implicit_filter.";
  return {{"u", {p.B, p.T, D}, "B,T,D", Role::input},
          {"in_proj.weight", {3 * D, D}, "3D,D", Role::param},
          {"in_proj.bias", {3 * D}, "3D", Role::param},
          {"out_proj.weight", {D, D}, "D,D", Role::param},
          {"out_proj.bias", {D}, "D", Role::param},
          {"short_filter.weight", {3 * D, 1, p.short_filter_order}, "3D,1,L", Role::param},
          {"short_filter.bias", {3 * D}, "3D", Role::param},
          {"filter_fn.bias", {D}, "D", Role::param},
          {"filter_fn.pos_emb.z", {1, L, 3}, "1,L,3", Role::param},
          {"filter_fn.pos_emb.t", {1, L, 1}, "1,L,1", Role::param, 0.0, 1.0},
          {f + "0.weight", {F, 3}, "F,3", Role::param},
          {f + "0.bias", {F}, "F", Role::param},
          {f + "1.freq", {1, F}, "1,F", Role::param, 0.5, 1.5},
          {f + "2.weight", {F, F}, "F,F", Role::param},
          {f + "2.bias", {F}, "F", Role::param},
          {f + "4.weight", {F, F}, "F,F", Role::param},
          {f + "4.bias", {F}, "F", Role::param},
          {f + "6.weight", {D, F}, "D,F", Role::param},
          {"filter_fn.modulation.deltas", {1, 1, D}, "1,1,D", Role::param, -3.0, -0.5},
          {"y", {p.B, p.T, D}, "B,T,D", Role::output}};
}

inline std::int64_t param_count(const Problem& p) {
  const std::int64_t D = p.D, F = p.filter_order, K = p.short_filter_order;
  return 4 * D * D + (3 * K + 8 + F) * D + 2 * F * F + 7 * F + 3 * p.l_max;
}

inline std::optional<std::int64_t> state_size(const Problem& p) { return p.D * p.T; }

// GEMMs 2 B T (3D^2 + D^2); short conv over 3D channels; filter MLP 2 T (3F + 2F^2 + F D) + 3 T F sines;
// the long conv as its operator counts it; 4 pointwise FLOPs per (b, t, c). HBM: u, params, y.
inline Cost cost(const Problem& p) {
  const double bt = static_cast<double>(p.B * p.T), d = static_cast<double>(p.D), f = static_cast<double>(p.filter_order);
  const double t = static_cast<double>(p.T);
  const double flops =
      8.0 * bt * d * d + ops::short_conv::cost({.B = p.B, .T = p.T, .D = 3 * p.D, .K = p.short_filter_order}).flops +
      2.0 * t * (3.0 * f + 2.0 * f * f + f * d) + 3.0 * t * f +
      ops::long_conv::cost({.B = p.B, .T = p.T, .D = p.D, .L = p.T}).flops + 4.0 * bt * d;
  return {flops, 2.0 * bt * d + static_cast<double>(param_count(p)), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "hyena";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true};
  static constexpr std::array<std::string_view, 2> frozen = {"filter_fn.pos_emb.t", "filter_fn.modulation.deltas"};
  static constexpr std::int64_t Problem::*model_width = &Problem::D;
  static std::vector<ConfigKey<Problem>> config_keys() {
    return {int_key("l_max", &Problem::l_max, {.min = 2, .longest_sequence = true}),
            int_key("filter_order", &Problem::filter_order, {.fallback = 64, .min = 1}),
            int_key("short_filter_order", &Problem::short_filter_order, {.fallback = 3, .min = 1})};
  }
  // Zoology's Hyena filter: z as PositionalEmbedding fills it, pos_emb.t = linspace(0, 1, l_max), freq = 1,
  // filter_fn.bias ~ N(0, 1), modulation.deltas = linspace(log(1e-2)/1.5, log(1e-2)/0.3, d) (-3.07 .. -15.35).
  static std::vector<InitLaw> init_laws() {
    return {{"filter_fn.pos_emb.z", laws::PositionalZ{}},
            {"filter_fn.pos_emb.t", laws::Linspace{0, 1}},
            {"*.freq", laws::Constant{1.0}},
            {"filter_fn.bias", laws::Normal{1.0}},
            {"filter_fn.modulation.deltas", laws::Linspace{std::log(1e-2) / 1.5, std::log(1e-2) / 0.3}}};
  }
  static std::vector<ParamColumn> param_columns(std::int64_t d, std::int64_t N) {
    const auto layer = model::LayerMixer::of<Contract>(
        {.B = 1, .T = N, .D = d, .l_max = N, .filter_order = 64, .short_filter_order = 3});
    return {{"hyena", {layer, layer}, 2 * (4 * d * d + 81 * d + 8640 + 3 * N), {61952, 170624, 584576, 2198912}}};
  }
  static std::vector<StateColumn> state_columns(std::int64_t d, std::int64_t T) {
    return {{"hyena (dT)", model::LayerMixer::of<Contract>(
                               {.B = 1, .T = T, .D = d, .l_max = T, .filter_order = 64, .short_filter_order = 3})}};
  }
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .D = d, .l_max = T}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .D = 3, .l_max = 1, .filter_order = 4, .short_filter_order = 3},
                              {.B = 2, .T = 7, .D = 5, .l_max = 9, .filter_order = 3, .short_filter_order = 3},
                              {.B = 1, .T = 16, .D = 4, .l_max = 16, .filter_order = 4, .short_filter_order = 3},
                              {.B = 1, .T = 13, .D = 3, .l_max = 13, .filter_order = 5, .short_filter_order = 2}};
    if (full)
      g.insert(g.end(), {{.B = 2, .T = 97, .D = 7, .l_max = 100, .filter_order = 4, .short_filter_order = 3},
                         {.B = 1, .T = 113, .D = 3, .l_max = 113, .filter_order = 8, .short_filter_order = 3}});
    return g;
  }
  // GPU conformance (harness/kernels.hpp): T = 1, 7, 97, 1025; widths off the 32-channel blocks; l_max > T; K = 2, 3
  // and 4; filter widths 3-64.
  static std::vector<Problem> gpu_grid(bool full) {
    std::vector<Problem> g = {{.B = 3, .T = 1, .D = 4, .l_max = 2, .filter_order = 4, .short_filter_order = 3},
                              {.B = 2, .T = 7, .D = 5, .l_max = 9, .filter_order = 3, .short_filter_order = 3},
                              {.B = 2, .T = 97, .D = 33, .l_max = 100, .filter_order = 8, .short_filter_order = 4},
                              {.B = 1, .T = 200, .D = 12, .l_max = 200, .filter_order = 16, .short_filter_order = 2},
                              {.B = 1, .T = 1025, .D = 16, .l_max = 1025, .filter_order = 64, .short_filter_order = 3}};
    if (full) g.push_back({.B = 4, .T = 512, .D = 128, .l_max = 512, .filter_order = 64, .short_filter_order = 3});
    return g;
  }
  // Benchmarks (bench/kernels_bench.cpp): B = 8, D = 1024, T = 1k-16k, and Zoology's training shapes (B = 256,
  // T = 256, d_model 128 and 512); Zoology's filter (F = 64, K = 3).
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() {
    std::vector<GpuBenchCase<Problem>> c;
    const std::vector<std::string_view> all = {"fwd", "bwd", "fwdbwd"};
    for (std::int64_t T : {1024, 4096, 16384}) c.push_back({{.B = 8, .T = T, .D = 1024, .l_max = T}, {}, all});
    for (std::int64_t d : {128, 512}) c.push_back({{.B = 256, .T = 256, .D = d, .l_max = 256}, {}, all});
    return c;
  }
  static BenchFields bench_fields(const Problem& p) { return {{"B", p.B}, {"T", p.T}, {"D", p.D}}; }
};

}  // namespace menagerie::mixers::hyena
