// Contract: H3's shift-SSM convolution kernel (operator id shift_ssm_kernel), Zoology's SSKernelShift
// (A = shift matrix, state size N; computed there as irfft(conj(rfft(B, 2N)) rfft(C, 2N))[:min(N, L)], zero-padded):
//   B [D, N], C [D, N]  ->  filter [D, T]   (the filter length is the sequence length T it serves; Zoology's L)
//   filter[c,τ] = sum_{n=0..N−1−τ} B[c,n] C[c,n+τ]      for τ < min(N, T);   0 for N <= τ < T
// i.e. the impulse response of  s_t = shift(s_{t−1}) + B u_t,  y_t = C · s_t  (s_t[n] = s_{t−1}[n−1] + B[n] u_t).
// With B = e_0 (Zoology's init) the filter is C itself. (Zoology's C has a leading channel axis of size 1:
// [1, D, N]; same layout.) Backward (dfilter given), over τ < min(N, T):
//   dB[c,n] = sum_τ dfilter[c,τ] C[c,n+τ];   dC[c,m] = sum_{τ <= m} dfilter[c,τ] B[c,m−τ].
// Not a sequence map: traits.causal is false.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/bench_case.hpp"
#include "core/contract.hpp"

namespace menagerie::ops::shift_ssm_kernel {

struct Problem {
  std::int64_t D = 1;  // channels (independent SSMs)
  std::int64_t N = 1;  // state size d_state
  std::int64_t T = 1;  // filter length

  void validate() const {
    require<ShapeError>(D >= 1 && N >= 1 && T >= 1, "shift_ssm_kernel: D, N, T = ", D, ", ", N, ", ", T,
                        " must all be >= 1");
  }
};

inline std::vector<TensorSpec> tensors(const Problem& p) {
  return {{"B", {p.D, p.N}, "D,N", Role::param},
          {"C", {p.D, p.N}, "D,N", Role::param},
          {"filter", {p.D, p.T}, "D,T", Role::output}};
}

// 2 FLOPs per (c, τ, n) pair of the correlation; B and C read once, the filter written once.
inline Cost cost(const Problem& p) {
  double pairs = 0;
  for (std::int64_t tau = 0; tau < std::min(p.N, p.T); ++tau) pairs += static_cast<double>(p.N - tau);
  return {2.0 * static_cast<double>(p.D) * pairs, static_cast<double>(2 * p.D * p.N + p.D * p.T), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "shift_ssm_kernel";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = false};
  // Not benchmarked: timed inside h3.
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t, std::int64_t) { return {}; }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.D = 1, .N = 1, .T = 1}, {.D = 3, .N = 4, .T = 7}, {.D = 2, .N = 16, .T = 16},
                              {.D = 5, .N = 13, .T = 3}};
    if (full) g.insert(g.end(), {{.D = 4, .N = 64, .T = 97}, {.D = 3, .N = 113, .T = 113}});
    return g;
  }
  // GPU conformance (harness/kernels.hpp): T shorter and longer than N, N = 1 to 128, channel counts off the tile.
  static std::vector<Problem> gpu_grid(bool full) {
    std::vector<Problem> g = {{.D = 3, .N = 1, .T = 1},     {.D = 5, .N = 4, .T = 7},    {.D = 7, .N = 64, .T = 97},
                              {.D = 2, .N = 113, .T = 1000}, {.D = 130, .N = 64, .T = 1025}, {.D = 3, .N = 128, .T = 64},
                              {.D = 1, .N = 64, .T = 65536}};
    if (full) g.push_back({.D = 1024, .N = 64, .T = 4096});
    return g;
  }
  // Benchmarks: H3's shift filter at d_model 1024, N = 64, T = 1k-64k (mostly the zero tail past N).
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() {
    std::vector<GpuBenchCase<Problem>> c;
    for (std::int64_t T : {1024, 65536}) c.push_back({{.D = 1024, .N = 64, .T = T}, {}, {"fwd", "bwd"}});
    return c;
  }
  static BenchFields bench_fields(const Problem& p) { return {{"D", p.D}, {"N", p.N}, {"T", p.T}}; }
};

}  // namespace menagerie::ops::shift_ssm_kernel
