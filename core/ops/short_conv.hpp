// Contract: short depthwise causal convolution (operator id short_conv): PyTorch Conv1d(D, D, K, groups=D,
// padding=K−1) with bias, truncated to the first T outputs (Zoology's ShortConvolution; cross-correlation
// orientation):
//   u [B, T, D], weight [D, 1, K] (Conv1d layout), bias [D]  ->  y [B, T, D]
//   y[b,t,c] = bias[c] + sum_{j=0..K−1} weight[c,0,j] u[b, t−K+1+j, c]            (u = 0 at negative times)
// Recurrent form: the state s [B, D, K−1] holds the last K−1 inputs, oldest first (zeros before t = 0):
//   y_t = bias + sum_{j<K−1} weight[:,0,j] s[:,j] + weight[:,0,K−1] u_t;   s <- (s[:,1:], u_t).
// Backward (dy given): du[b,τ,c] = sum_j weight[c,0,j] dy[b, τ+K−1−j, c] (terms with τ+K−1−j < T);
//   dweight[c,0,j] = sum_{b,t} dy[b,t,c] u[b,t−K+1+j,c];  dbias[c] = sum_{b,t} dy[b,t,c].
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/bench_case.hpp"
#include "core/contract.hpp"

namespace menagerie::ops::short_conv {

struct Problem {
  std::int64_t B = 1, T = 1, D = 1;
  std::int64_t K = 3;  // taps (Zoology's kernel_size)

  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && D >= 1, "short_conv: B, T, D = ", B, ", ", T, ", ", D,
                        " must all be >= 1");
    require<ShapeError>(K >= 1, "short_conv: K = ", K, " taps, expected >= 1");
  }
};

inline std::vector<TensorSpec> tensors(const Problem& p) {
  return {{"u", {p.B, p.T, p.D}, "B,T,D", Role::input},
          {"weight", {p.D, 1, p.K}, "D,1,L", Role::param},
          {"bias", {p.D}, "D", Role::param},
          {"y", {p.B, p.T, p.D}, "B,T,D", Role::output}};
}

// 2K FLOPs per output (K multiply-adds) plus the bias add; u and y once, weights once.
inline Cost cost(const Problem& p) {
  const double outputs = static_cast<double>(p.B * p.T * p.D);
  return {outputs * static_cast<double>(2 * p.K + 1), 2.0 * outputs + static_cast<double>(p.D * (p.K + 1)), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "short_conv";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .has_recurrent_form = true, .time_invariant = true};
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .D = d, .K = 3}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .D = 3, .K = 3}, {.B = 2, .T = 7, .D = 5, .K = 3},
                              {.B = 1, .T = 16, .D = 4, .K = 4}, {.B = 1, .T = 13, .D = 3, .K = 1}};
    if (full) g.insert(g.end(), {{.B = 2, .T = 97, .D = 7, .K = 3}, {.B = 1, .T = 113, .D = 5, .K = 5}});
    return g;
  }
  // GPU conformance (harness/kernels.hpp): T = 1, 7, 97, 1000, 1025, 4096 and 65536; channel counts that are not
  // multiples of the 128-thread tile (1, 5, 129, 1000); every tap count 1-8; runs of 32 tokens cut (31, 33).
  static std::vector<Problem> gpu_grid(bool full) {
    std::vector<Problem> g;
    for (std::int64_t K = 1; K <= 8; ++K) g.push_back({.B = 2, .T = 97, .D = 129, .K = K});
    g.insert(g.end(), {{.B = 3, .T = 1, .D = 5, .K = 3},   {.B = 2, .T = 7, .D = 1, .K = 4},
                       {.B = 2, .T = 31, .D = 64, .K = 3}, {.B = 2, .T = 33, .D = 64, .K = 4},
                       {.B = 1, .T = 1000, .D = 1000, .K = 3}, {.B = 2, .T = 1025, .D = 130, .K = 4},
                       {.B = 1, .T = 4096, .D = 256, .K = 8}, {.B = 1, .T = 65536, .D = 5, .K = 3}});
    if (full) g.push_back({.B = 256, .T = 256, .D = 128, .K = 3});
    return g;
  }
  // Benchmarks (bench/kernels_bench.cpp; the peer is torch's depthwise conv1d): B = 8, D = 1024 at T = 1k-64k, and
  // Zoology's training shapes (B = 256, T = 64-512, d_model 64-512), kernel size 3 (4 at one shape).
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() {
    std::vector<GpuBenchCase<Problem>> c;
    const std::vector<std::string_view> all = {"fwd", "bwd", "fwdbwd"};
    for (std::int64_t T : {1024, 4096, 16384, 65536}) c.push_back({{.B = 8, .T = T, .D = 1024, .K = 3}, {}, all});
    for (std::int64_t d : {64, 128, 256, 512})
      for (std::int64_t T : {64, 256, 512}) c.push_back({{.B = 256, .T = T, .D = d, .K = 3}, {}, all});
    c.push_back({{.B = 256, .T = 512, .D = 512, .K = 4}, {}, all});
    return c;
  }
  static BenchFields bench_fields(const Problem& p) { return {{"B", p.B}, {"T", p.T}, {"D", p.D}, {"K", p.K}}; }
};

}  // namespace menagerie::ops::short_conv
