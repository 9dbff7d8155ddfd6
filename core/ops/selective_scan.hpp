// Contract: the Mamba selective scan (operator id selective_scan), real A, input-dependent B and C shared by all
// channels, as mamba_ssm's selective_scan_fn computes it once the softplus of delta is done (that, and the z gate,
// belong to the mamba mixer, core/mixers/mamba.hpp).
//   x, delta [B, T, D], A [D, N], B, C [B, T, N], D [D]  ->  y [B, T, D]      (delta > 0, A < 0 in use)
// Recurrent form, per (b, d), state h [N] starting at 0:
//   h_t[n] = exp(delta[t,d] A[d,n]) h_{t-1}[n] + delta[t,d] B[t,n] x[t,d]
//   y[t,d] = sum_n C[t,n] h_t[n] + D[d] x[t,d]
// Parallel (unrolled) form, the same map:
//   y[t,d] = sum_{s<=t} sum_n C[t,n] exp(A[d,n] sum_{r=s+1..t} delta[r,d]) delta[s,d] B[s,n] x[s,d] + D[d] x[t,d]
// Backward (dy given), with a_t[n] = exp(delta[t,d] A[d,n]) and the adjoint lam_t[n] = dL/dh_t[n]:
//   lam_t = dy_t C_t + a_{t+1} lam_{t+1}   (lam_T = 0, sweeping t downwards)
//   dC[t,n] += dy_t h_t[n];  dD += dy_t x_t;  dx_t = dy_t D + sum_n lam_t[n] delta_t B[t,n]
//   ddelta_t = sum_n lam_t[n] (A[d,n] a_t[n] h_{t-1}[n] + B[t,n] x_t)
//   dA[d,n] = sum_{b,t} lam_t[n] delta_t a_t[n] h_{t-1}[n];  dB[t,n] += lam_t[n] delta_t x_t   (B, C summed over d)
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/bench_case.hpp"
#include "core/contract.hpp"

namespace menagerie::ops::selective_scan {

struct Problem {
  std::int64_t B = 1, T = 1, D = 1, N = 1;  // D = channels (Mamba's d_inner), N = state size per channel

  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && D >= 1 && N >= 1, "selective_scan: B, T, D, N = ", B, ", ", T, ", ", D,
                        ", ", N, " must all be >= 1");
  }
};

inline std::vector<TensorSpec> tensors(const Problem& p) {
  return {{"x", {p.B, p.T, p.D}, "B,T,D", Role::input},
          {"delta", {p.B, p.T, p.D}, "B,T,D", Role::input, 0.05, 1},
          {"A", {p.D, p.N}, "D,N", Role::input, -1.5, -0.1},
          {"B", {p.B, p.T, p.N}, "B,T,N", Role::input},
          {"C", {p.B, p.T, p.N}, "B,T,N", Role::input},
          {"D", {p.D}, "D", Role::input},
          {"y", {p.B, p.T, p.D}, "B,T,D", Role::output}};
}

// FLOPs: 7 per (b, t, d, n) (delta A, exp, two products and a sum into h, C h accumulated) and 3 per (b, t, d)
// (delta x, D x, the add). HBM: x, delta, y per (b, t, d); B, C per (b, t, n); A and D once.
inline Cost cost(const Problem& p) {
  const double btd = static_cast<double>(p.B * p.T * p.D);
  const double n = static_cast<double>(p.N);
  return {btd * (7.0 * n + 3.0),
          3.0 * btd + 2.0 * static_cast<double>(p.B * p.T) * n + static_cast<double>(p.D) * (n + 1.0), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "selective_scan";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .has_recurrent_form = true};
  // the scan inside mamba at width d: D = d_inner = 2d, N = 16.
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .D = 2 * d, .N = 16}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .D = 3, .N = 2}, {.B = 2, .T = 7, .D = 5, .N = 3},
                              {.B = 1, .T = 16, .D = 4, .N = 4}, {.B = 2, .T = 13, .D = 1, .N = 1}};
    if (full) g.insert(g.end(), {{.B = 1, .T = 97, .D = 6, .N = 4}, {.B = 2, .T = 113, .D = 3, .N = 5},
                                 {.B = 1, .T = 16, .D = 8, .N = 16}});
    return g;
  }
  // GPU conformance (harness/kernels.hpp): T = 1, 7, 97, 1000, 1025, 4096, 16384 (65536 in the full grid); edges of
  // the 64-token chunks and 8-token warp slices (8, 63, 64, 65, 129); channel counts that are not multiples of the
  // 32-channel block (1, 3, 33, 65); N = 1, 3, 16 and, through the kernels' second size, 17, 24, 32; B > 1. The
  // oracle is the recurrent form (harness/yardstick.hpp), so the long sequences cost O(T D N).
  static std::vector<Problem> gpu_grid(bool full) {
    std::vector<Problem> g = {{.B = 3, .T = 1, .D = 5, .N = 16},    {.B = 2, .T = 7, .D = 3, .N = 3},
                              {.B = 2, .T = 8, .D = 33, .N = 1},    {.B = 2, .T = 63, .D = 32, .N = 16},
                              {.B = 1, .T = 64, .D = 65, .N = 4},   {.B = 3, .T = 65, .D = 1, .N = 16},
                              {.B = 2, .T = 129, .D = 40, .N = 16}, {.B = 1, .T = 1000, .D = 33, .N = 16},
                              {.B = 2, .T = 1025, .D = 65, .N = 7}, {.B = 2, .T = 4096, .D = 3, .N = 16},
                              {.B = 1, .T = 16384, .D = 1, .N = 16}, {.B = 2, .T = 129, .D = 33, .N = 24},
                              {.B = 1, .T = 65, .D = 40, .N = 17},  {.B = 2, .T = 200, .D = 3, .N = 32}};
    if (full) g.insert(g.end(), {{.B = 16, .T = 256, .D = 256, .N = 16}, {.B = 1, .T = 65536, .D = 1, .N = 16}});
    return g;
  }
  // The error against the double reference as T grows (menagerie bench recurrent): a float state summed over more
  // tokens.
  static std::vector<Problem> gpu_error_sweep() {
    std::vector<Problem> g;
    for (std::int64_t T : {256, 1024, 4096, 16384, 65536}) g.push_back({.B = 1, .T = T, .D = 2, .N = 16});
    return g;
  }
  // Benchmarks (bench/kernels_bench.cpp): Mamba's shapes (B = 8, D = d_inner = 1536, N = 16, T = 2k-16k) and Zoology's
  // training shapes (B = 256, T = 64-512, d_model 64-512, so D = 2 d_model).
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() {
    std::vector<GpuBenchCase<Problem>> c;
    const std::vector<std::string_view> all = {"fwd", "bwd", "fwdbwd"};
    for (std::int64_t T : {2048, 4096, 8192, 16384}) c.push_back({{.B = 8, .T = T, .D = 1536, .N = 16}, {}, all});
    for (std::int64_t d : {64, 128, 256, 512})
      for (std::int64_t T : {64, 256, 512}) c.push_back({{.B = 256, .T = T, .D = 2 * d, .N = 16}, {}, all});
    return c;
  }
  static BenchFields bench_fields(const Problem& p) { return {{"B", p.B}, {"T", p.T}, {"D", p.D}, {"N", p.N}}; }
};

}  // namespace menagerie::ops::selective_scan
