// Contract: affine layer normalisation over the last axis (operator id layer_norm), PyTorch's nn.LayerNorm(D).
//   x [B, T, D], weight [D], bias [D]  ->  y [B, T, D]
//   mu[b,t]   = (1/D) sum_d x[b,t,d]
//   var[b,t]  = (1/D) sum_d (x[b,t,d] - mu)^2                   (biased, as torch)
//   xhat      = (x - mu) / sqrt(var + eps)                      eps = 1e-5 (torch's default, Zoology's norms)
//   y[b,t,d]  = xhat[b,t,d] weight[d] + bias[d]
// Backward (dy given), with g = dy * weight and rs = 1/sqrt(var + eps), per (b, t):
//   dx = rs (g - mean_d(g) - xhat mean_d(g xhat));  dweight = sum_{b,t} dy xhat;  dbias = sum_{b,t} dy.
// Each position is normalised on its own, so the map is causal and has no state.
#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/bench_case.hpp"
#include "core/contract.hpp"

namespace menagerie::ops::layer_norm {

struct Problem {
  std::int64_t B = 1, T = 1, D = 1;
  double eps = 1e-5;

  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && D >= 1, "layer_norm: B, T, D = ", B, ", ", T, ", ", D,
                        " must all be >= 1");
    require<ShapeError>(std::isfinite(eps) && eps > 0, "layer_norm: eps = ", eps, " must be finite and > 0");
  }
};

inline std::vector<TensorSpec> tensors(const Problem& p) {
  return {{"x", {p.B, p.T, p.D}, "B,T,D", Role::input},
          {"weight", {p.D}, "D", Role::param, 0.5, 1.5},
          {"bias", {p.D}, "D", Role::param},
          {"y", {p.B, p.T, p.D}, "B,T,D", Role::output}};
}

// FLOPs: about 8 per element (mean, centre, square-accumulate, scale, affine). HBM: x and y once, weight, bias.
inline Cost cost(const Problem& p) {
  const double n = static_cast<double>(p.B * p.T * p.D);
  return {8.0 * n, 2.0 * n + 2.0 * static_cast<double>(p.D), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "layer_norm";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true};
  // Not benchmarked: the model's glue, not a sequence mixer.
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t, std::int64_t) { return {}; }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .D = 4, .eps = 1e-5}, {.B = 2, .T = 7, .D = 5, .eps = 1e-5},
                              {.B = 1, .T = 16, .D = 3, .eps = 1e-5}, {.B = 1, .T = 13, .D = 1, .eps = 1e-5}};
    if (full) g.insert(g.end(), {{.B = 2, .T = 97, .D = 16, .eps = 1e-5}, {.B = 1, .T = 113, .D = 7, .eps = 1e-3}});
    return g;
  }
  // GPU conformance (harness/kernels.hpp): T = 1, 7, 97, 1000; D = 1, 5, 33, 64, 200, 1000, 1100 (not multiples of the
  // 32-lane warp; rowwise_fp32 holds rows of D <= 1024 in registers, 1-32 per lane, 200 and 1000 with lanes past the
  // row's end, and loops over longer rows: 1100); B > 1; row counts that fill no whole block. D = 1 only at T = 1: there y = bias whatever x, so
  // a causality case (T >= 7) would change nothing and examine nothing.
  static std::vector<Problem> gpu_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .D = 1, .eps = 1e-5},     {.B = 3, .T = 1, .D = 5, .eps = 1e-5},
                              {.B = 2, .T = 7, .D = 5, .eps = 1e-5},     {.B = 2, .T = 7, .D = 1000, .eps = 1e-5},
                              {.B = 2, .T = 97, .D = 64, .eps = 1e-5},   {.B = 1, .T = 97, .D = 33, .eps = 1e-3},
                              {.B = 1, .T = 1000, .D = 1000, .eps = 1e-5}, {.B = 3, .T = 1000, .D = 5, .eps = 1e-5},
                              {.B = 1, .T = 97, .D = 200, .eps = 1e-5},   {.B = 1, .T = 97, .D = 1100, .eps = 1e-5}};
    if (full) g.push_back({.B = 64, .T = 256, .D = 512, .eps = 1e-5});
    return g;
  }
  // Benchmarks (bench/kernels_bench.cpp): Zoology's training shapes (B = 256, T = 64-512, d_model 64-512).
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() {
    std::vector<GpuBenchCase<Problem>> c;
    for (std::int64_t d : {64, 128, 256, 512})
      for (std::int64_t T : {64, 256, 512}) c.push_back({{.B = 256, .T = T, .D = d, .eps = 1e-5}, {}, {"fwd", "bwd"}});
    return c;
  }
  static BenchFields bench_fields(const Problem& p) {
    return {{"B", static_cast<double>(p.B)}, {"T", static_cast<double>(p.T)}, {"D", static_cast<double>(p.D)}};
  }
};

}  // namespace menagerie::ops::layer_norm
