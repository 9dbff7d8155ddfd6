// Contract: the Mamba mixer, zoology.mixers.mamba.Mamba (mamba_ssm's Mamba block mixer; mixer id mamba).
//   u [B, T, d] -> y [B, T, d];  E = expand d (d_inner), N = d_state, K = d_conv, R = dt_rank (auto: ceil(d/16))
//   [x z] = u Win^T                                    in_proj.weight [2E, d], no bias; x = first E channels
//   x <- SiLU(conv(x)),  conv(x)[t,c] = cb[c] + sum_{j<K} cw[c,0,j] x[t-K+1+j, c]   (x at t < 0 is 0)
//                                                      conv1d.weight [E, 1, K], conv1d.bias [E] (depthwise)
//   [dt B C] = x Wx^T, widths R, N, N                  x_proj.weight [R + 2N, E]
//   delta = softplus(dt Wdt^T + bdt)                   dt_proj.weight [E, R], dt_proj.bias [E]
//   A = -exp(A_log)                                    A_log [E, N]
//   ys = selective_scan(x, delta, A, B, C, D)          operator core/ops/selective_scan.hpp, D [E]
//   y = (ys * SiLU(z)) Wout^T                          out_proj.weight [d, E], no bias
// mamba_ssm's CUDA softplus returns its argument above 20 (an error below 2.1e-9 absolute); the reference uses the
// exact softplus. The reference runs the scan in its recurrent O(T) form (the operator checks it = unrolled sum).
// Params (trainable, none frozen): 2Ed + EK + E + E(R + 2N) + ER + E + EN + E + dE, which at E = 2d, N = 16,
// K = 4 is 6d^2 + 4dR + 110d (docs/mixers.md §2.2; the block's RMSNorm weight, +d, belongs to MambaBlock, not here).
// state_size (zoology Mamba.state_size, literally): 2 d N. The true recurrent state is E N (scan) + E (K - 1) (conv).
#pragma once
#include <algorithm>
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
#include "core/ops/selective_scan.hpp"
#include "core/random.hpp"
#include "core/table_columns.hpp"

namespace menagerie::mixers::mamba {

struct Problem {
  std::int64_t B = 1, T = 1, d = 1;
  std::int64_t d_state = 16, d_conv = 4, expand = 2;
  std::int64_t dt_rank = 0;  // 0 = "auto": ceil(d / 16)

  std::int64_t d_inner() const { return expand * d; }
  std::int64_t rank() const { return dt_rank > 0 ? dt_rank : (d + 15) / 16; }
  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && d >= 1, "mamba: B, T, d = ", B, ", ", T, ", ", d, " must all be >= 1");
    require<ShapeError>(d_state >= 1 && d_conv >= 1 && expand >= 1 && dt_rank >= 0, "mamba: d_state, d_conv, expand = ",
                        d_state, ", ", d_conv, ", ", expand, " must be >= 1 and dt_rank = ", dt_rank,
                        " >= 0 (0 = auto)");
  }
};

// The selective-scan operator problem inside the mixer.
inline ops::selective_scan::Problem scan_problem(const Problem& p) {
  return {.B = p.B, .T = p.T, .D = p.d_inner(), .N = p.d_state};
}

// Test ranges: Linear weights in +-1/sqrt(fan_in) (nn.Linear's default bound; dt_proj.weight is zoology's
// +-R^-1/2), conv in +-1/sqrt(K); dt_proj.bias in [-2, 0] (delta in [0.13, 0.69]); A_log in [-1, 1].
inline std::vector<TensorSpec> tensors(const Problem& p) {
  const std::int64_t E = p.d_inner(), R = p.rank(), N = p.d_state, K = p.d_conv;
  const auto bound = [](std::int64_t fan_in) { return 1.0 / std::sqrt(static_cast<double>(fan_in)); };
  return {{"u", {p.B, p.T, p.d}, "B,T,D", Role::input},
          {"in_proj.weight", {2 * E, p.d}, "2E,D", Role::param, -bound(p.d), bound(p.d)},
          {"conv1d.weight", {E, 1, K}, "E,1,K", Role::param, -bound(K), bound(K)},
          {"conv1d.bias", {E}, "E", Role::param, -bound(K), bound(K)},
          {"x_proj.weight", {R + 2 * N, E}, "R+2N,E", Role::param, -bound(E), bound(E)},
          {"dt_proj.weight", {E, R}, "E,R", Role::param, -bound(R), bound(R)},
          {"dt_proj.bias", {E}, "E", Role::param, -2, 0},
          {"A_log", {E, N}, "E,N", Role::param},
          {"D", {E}, "E", Role::param},
          {"out_proj.weight", {p.d, E}, "D,E", Role::param, -bound(E), bound(E)},
          {"y", {p.B, p.T, p.d}, "B,T,D", Role::output}};
}

inline std::int64_t param_count(const Problem& p) {
  const std::int64_t E = p.d_inner(), R = p.rank(), N = p.d_state, K = p.d_conv;
  return 2 * E * p.d + E * K + E + E * (R + 2 * N) + E * R + E + E * N + E + p.d * E;
}

// zoology Mamba.state_size(): 2 * d_model * d_state, whatever the sequence length.
inline std::optional<std::int64_t> state_size(const Problem& p) { return 2 * p.d * p.d_state; }

// FLOPs: the four projections (2 per multiply-add), the conv (2K per channel), SiLU/softplus/gate (~15 per inner
// channel), plus the scan. HBM: u and y once, every parameter once.
inline Cost cost(const Problem& p) {
  const double rows = static_cast<double>(p.B * p.T), d = static_cast<double>(p.d);
  const double E = static_cast<double>(p.d_inner()), R = static_cast<double>(p.rank());
  const double N = static_cast<double>(p.d_state), K = static_cast<double>(p.d_conv);
  const double gemm = 2.0 * (d * 2.0 * E + E * (R + 2.0 * N) + R * E + E * d);
  return {rows * (gemm + E * (2.0 * K + 15.0)) + ops::selective_scan::cost(scan_problem(p)).flops,
          2.0 * rows * d + static_cast<double>(param_count(p)), 2.5};
}

// zoology HEAD's Mamba init (mamba_ssm's): Linear weights keep PyTorch's U(±1/sqrt(fan_in)), out_proj.weight that
// divided by sqrt(n_layers); dt_proj.weight ~ U(±R^-1/2); dt_proj.bias = softplus^-1(dt) with dt ~ logU[1e-3, 1e-1]
// floored at 1e-4; A_log[c, n] = ln(n + 1) (S4D-real); D = 1. The conv follows the generic Conv1d law.
inline void init_dt_bias(Tensor<double>& t, const InitTarget& x) {
  fill_uniform(t.view(), x.seed, x.stream, std::log(1e-3), std::log(1e-1));
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    const double dt = std::max(std::exp(t.data()[i]), 1e-4);
    t.data()[i] = dt + std::log(-std::expm1(-dt));  // softplus^-1(dt)
  }
}
inline void init_a_log(Tensor<double>& t, const InitTarget&) {
  for (std::int64_t c = 0; c < t.size(0); ++c)
    for (std::int64_t n = 0; n < t.size(1); ++n) t(c, n) = std::log(static_cast<double>(n + 1));
}

struct Contract {
  static constexpr std::string_view id = "mamba";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .has_recurrent_form = true};
  static constexpr std::array<std::string_view, 0> frozen{};  // A_log, D are trained (zoology ignores their no-decay mark)
  static constexpr std::int64_t Problem::*model_width = &Problem::d;
  static std::vector<ConfigKey<Problem>> config_keys() {
    return {int_key("d_state", &Problem::d_state, {.fallback = 16, .min = 1}),
            int_key("d_conv", &Problem::d_conv, {.fallback = 4, .min = 1}),
            int_key("expand", &Problem::expand, {.fallback = 2, .min = 1}),
            int_key("dt_rank", &Problem::dt_rank, {.fallback = 0, .min = 0})};
  }
  static std::vector<InitLaw> init_laws() {
    return {{"in_proj.weight", laws::FanInUniform{}},
            {"x_proj.weight", laws::FanInUniform{}},
            {"out_proj.weight", laws::FanInUniform{.depth_scaled = true}},
            {"dt_proj.weight", laws::FanInUniform{}},
            {"dt_proj.bias", laws::Custom{"dt_softplus_inverse", &init_dt_bias}},
            {"A_log", laws::Custom{"s4d_real_a_log", &init_a_log}},
            {"D", laws::Constant{1.0}}};
  }
  static std::vector<ParamColumn> param_columns(std::int64_t d, std::int64_t N) {
    const auto layer = model::LayerMixer::of<Contract>(
        {.B = 1, .T = N, .d = d, .d_state = 16, .d_conv = 4, .expand = 2, .dt_rank = 0});
    return {{"mamba", {layer, layer}, 2 * (6 * d * d + 4 * d * ((d + 15) / 16) + 110 * d),
             {65280, 232960, 875520, 3389440}}};
  }
  static std::vector<StateColumn> state_columns(std::int64_t d, std::int64_t T) {
    return {{"mamba (2 d d_state)",
             model::LayerMixer::of<Contract>(
                 {.B = 1, .T = T, .d = d, .d_state = 16, .d_conv = 4, .expand = 2, .dt_rank = 0})}};
  }
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .d = d}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .d = 3, .d_state = 2, .d_conv = 4, .expand = 2, .dt_rank = 0},
                              {.B = 2, .T = 7, .d = 5, .d_state = 3, .d_conv = 4, .expand = 2, .dt_rank = 0},
                              {.B = 1, .T = 16, .d = 4, .d_state = 4, .d_conv = 4, .expand = 2, .dt_rank = 0},
                              {.B = 1, .T = 13, .d = 3, .d_state = 16, .d_conv = 3, .expand = 1, .dt_rank = 2}};
    if (full)
      g.insert(g.end(), {{.B = 1, .T = 97, .d = 8, .d_state = 16, .d_conv = 4, .expand = 2, .dt_rank = 0},
                         {.B = 2, .T = 113, .d = 7, .d_state = 5, .d_conv = 4, .expand = 2, .dt_rank = 0}});
    return g;
  }
  // GPU conformance (harness/kernels.hpp): T = 1, 7, 97 and 1025 (the scan's 64-token chunks cut), 200; widths off the
  // 32-channel blocks; d_state 2-16, d_conv 3-4, expand 1-2, dt_rank auto and 2.
  static std::vector<Problem> gpu_grid(bool full) {
    std::vector<Problem> g = {{.B = 3, .T = 1, .d = 4, .d_state = 2, .d_conv = 4, .expand = 2, .dt_rank = 0},
                              {.B = 2, .T = 7, .d = 5, .d_state = 3, .d_conv = 4, .expand = 2, .dt_rank = 0},
                              {.B = 2, .T = 97, .d = 33, .d_state = 16, .d_conv = 4, .expand = 2, .dt_rank = 0},
                              {.B = 1, .T = 200, .d = 12, .d_state = 8, .d_conv = 3, .expand = 1, .dt_rank = 2},
                              {.B = 1, .T = 1025, .d = 16, .d_state = 16, .d_conv = 4, .expand = 2, .dt_rank = 0}};
    if (full) g.push_back({.B = 4, .T = 512, .d = 128, .d_state = 16, .d_conv = 4, .expand = 2, .dt_rank = 0});
    return g;
  }
  // Benchmarks (bench/kernels_bench.cpp): Mamba's shapes (B = 8, d = 768 so d_inner 1536, d_state 16, T = 2k-16k)
  // and Zoology's training shapes (B = 256, T = 256, d_model 128 and 512) for the parallel variant; decoding (256
  // tokens from the empty state at batch 1, 16, 256, d = 768) for both: the step variant's time per token.
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() {
    std::vector<GpuBenchCase<Problem>> c;
    const std::vector<std::string_view> all = {"fwd", "bwd", "fwdbwd"};
    for (std::int64_t T : {2048, 4096, 16384}) c.push_back({{.B = 8, .T = T, .d = 768}, {"composed_fp32"}, all});
    for (std::int64_t d : {128, 512}) c.push_back({{.B = 256, .T = 256, .d = d}, {"composed_fp32"}, all});
    for (std::int64_t B : {1, 16, 256}) c.push_back({{.B = B, .T = 256, .d = 768}, {}, {"fwd"}});
    return c;
  }
  static BenchFields bench_fields(const Problem& p) {
    return {{"B", p.B}, {"T", p.T}, {"D", p.d}, {"N", p.d_state}, {"E", p.d_inner()}};
  }
};

}  // namespace menagerie::mixers::mamba
