// Contract: causal long convolution (operator id long_conv), per channel, by its definition:
//   u [B, T, D], h [D, L] with L >= T (taps s >= T never reach an output)  ->  y [B, T, D]
//   y[b,t,c] = sum_{s=0..t} h[c,s] u[b,t−s,c]
// This is the "H ∗ u" of Zoology's LongConvolution / ImplicitLongConvolution / Hyena / H3 (which evaluate it by an
// FFT of size 2T; the mixers add their own +u or D ⊙ u). The reference has both forms: the direct sum
// (reference_forward) and the FFT, y = first T entries of IDFT_n(DFT_n(u) · DFT_n(h[:T])) with n the next power of two
// >= 2T (reference_forward_fft, O(T log T): the oracle at long T), equal in Mp. Backward (dy given):
//   du[b,τ,c] = sum_{t=τ..T−1} h[c,t−τ] dy[b,t,c];   dh[c,s] = sum_b sum_{t=s..T−1} dy[b,t,c] u[b,t−s,c] (0 for s >= T).
#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/bench_case.hpp"
#include "core/contract.hpp"

namespace menagerie::ops::long_conv {

struct Problem {
  std::int64_t B = 1, T = 1, D = 1;
  std::int64_t L = 1;  // filter length, >= T

  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && D >= 1, "long_conv: B, T, D = ", B, ", ", T, ", ", D,
                        " must all be >= 1");
    require<ShapeError>(L >= T, "long_conv: filter length L = ", L, " must be >= T = ", T);
  }
};

inline std::vector<TensorSpec> tensors(const Problem& p) {
  return {{"u", {p.B, p.T, p.D}, "B,T,D", Role::input},
          {"h", {p.D, p.L}, "D,L", Role::param},
          {"y", {p.B, p.T, p.D}, "B,T,D", Role::output}};
}

// FLOPs of the FFT evaluation every long-conv kernel runs (size n = 2T, real FFTs at 2.5 n log2 n): one forward
// FFT of u and one inverse per (b, c), one filter FFT per c, and 6 (n/2 + 1) for the pointwise complex product per
// (b, c). The direct sum of the definition would be B D T (T + 1). HBM: u, the first T filter taps, y.
inline Cost cost(const Problem& p) {
  const double n = 2.0 * static_cast<double>(p.T), fft = 2.5 * n * std::log2(n);
  const double bd = static_cast<double>(p.B * p.D), d = static_cast<double>(p.D);
  return {bd * (2.0 * fft + 6.0 * (n / 2 + 1)) + d * fft,
          2.0 * static_cast<double>(p.B * p.T * p.D) + static_cast<double>(p.D * p.T), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "long_conv";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .has_recurrent_form = false, .time_invariant = true};
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .D = d, .L = T}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .D = 3, .L = 1}, {.B = 2, .T = 7, .D = 5, .L = 9},
                              {.B = 1, .T = 16, .D = 4, .L = 16}, {.B = 1, .T = 13, .D = 3, .L = 20}};
    if (full) g.insert(g.end(), {{.B = 2, .T = 97, .D = 7, .L = 100}, {.B = 1, .T = 113, .D = 5, .L = 113}});
    return g;
  }
  // GPU conformance (harness/kernels.hpp): T = 1, 7, 97, 1000, 1025, 4096 and 65536, filters longer than T (L > T),
  // channel counts that are not multiples of a tile (1, 3, 5, 33).
  static std::vector<Problem> gpu_grid(bool full) {
    std::vector<Problem> g = {{.B = 2, .T = 1, .D = 3, .L = 1},      {.B = 2, .T = 7, .D = 5, .L = 9},
                              {.B = 2, .T = 97, .D = 33, .L = 97},   {.B = 1, .T = 128, .D = 1, .L = 200},
                              {.B = 2, .T = 256, .D = 16, .L = 256}, {.B = 1, .T = 1000, .D = 5, .L = 1000},
                              {.B = 1, .T = 1025, .D = 3, .L = 1100}, {.B = 2, .T = 2048, .D = 8, .L = 2048},
                              {.B = 1, .T = 4096, .D = 4, .L = 4096}};
    if (full) g.push_back({.B = 1, .T = 16384, .D = 2, .L = 16384});
    g.push_back({.B = 1, .T = 65536, .D = 1, .L = 65536});
    return g;
  }
  // The error of each GPU path against the double reference as T grows (bench/conv_report.py's table).
  static std::vector<Problem> gpu_error_sweep() {
    std::vector<Problem> g;
    for (std::int64_t T : {256, 1024, 4096, 16384, 65536}) g.push_back({.B = 1, .T = T, .D = 2, .L = T});
    return g;
  }
  // Benchmarks (bench/kernels_bench.cpp; the peer is zoology's fft_conv in torch: rfft of 2T, product, irfft):
  // B = 8, D = 1024 at T = 1k-64k, and Zoology's training shapes (B = 256, T = 64-512, d_model 64-512).
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() {
    std::vector<GpuBenchCase<Problem>> c;
    const std::vector<std::string_view> all = {"fwd", "bwd", "fwdbwd"};
    for (std::int64_t T : {1024, 4096, 16384, 65536}) c.push_back({{.B = 8, .T = T, .D = 1024, .L = T}, {}, all});
    for (std::int64_t d : {64, 128, 256, 512})
      for (std::int64_t T : {64, 256, 512}) c.push_back({{.B = 256, .T = T, .D = d, .L = T}, {}, all});
    return c;
  }
  static BenchFields bench_fields(const Problem& p) { return {{"B", p.B}, {"T", p.T}, {"D", p.D}, {"L", p.L}}; }
};

}  // namespace menagerie::ops::long_conv
