// Contract: causal long convolution (operator id long_conv), per channel, by its definition:
//   u [B, T, D], h [D, L] with L >= T (taps s >= T never reach an output)  ->  y [B, T, D]
//   y[b,t,c] = sum_{s=0..t} h[c,s] u[b,t−s,c]
// This is the "H ∗ u" of Zoology's LongConvolution / ImplicitLongConvolution / Hyena / H3 (which evaluate it by an
// FFT of size 2T; the mixers add their own +u or D ⊙ u). Backward (dy given):
//   du[b,τ,c] = sum_{t=τ..T−1} h[c,t−τ] dy[b,t,c];   dh[c,s] = sum_b sum_{t=s..T−1} dy[b,t,c] u[b,t−s,c] (0 for s >= T).
#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

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
};

}  // namespace menagerie::ops::long_conv
