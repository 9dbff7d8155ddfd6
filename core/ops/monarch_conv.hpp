// Contract: causal long convolution evaluated by Monarch FFTs (operator id monarch_conv; Fu et al. 2023, "Monarch
// Mixer", §3: the sequence mixer's long convolution as FFT_n^{-1}(FFT_n(u) ⊙ FFT_n(k)) with every FFT a product of
// Monarch matrices, made causal by zero padding):
//   u [B, T, D], h [D, L] with L >= T (taps s >= T never reach an output)  ->  y [B, T, D]
//   y[b,t,c] = sum_{s=0..t} h[c,s] u[b,t−s,c]
// The Monarch form (reference_forward_monarch): per (b, c), u[b, :, c] and h[c, :T] zero-padded to n = n1 n2 >= 2T − 1
// (so the circular convolution of length n has no wrap-around onto t < T: causal by padding),
//   y[b, :, c] = first T entries of Re IDFT_n(DFT_n(u) · DFT_n(h)),  DFT_n = M P_(n1,n2)  (reference/monarch.hpp:
//   M = P_(n2,n1) L P_(n1,n2) R, R = n2 blocks of F_{n1} with twiddled rows, L = n1 blocks of F_{n2}),
// O(n^{3/2}) per transform at n1 ≈ n2. n1, n2: Problem::dft_factors(), by default n2 = ceil(√(2T)), n1 = ceil(2T/n2)
// (n1 n2 >= 2T, n1 <= n2), or the Problem's own n1, n2 (any with n1 n2 >= 2T − 1).
// reference_forward is the direct sum of the definition (it makes every output at t a function of inputs up to t only,
// bit for bit, as the generic causality check demands in double; an FFT form mixes rounding from the whole padded
// sequence into every output). reference_forms lists the Monarch form ("monarch") and the radix-2 FFT form ("fft",
// long_conv's), and the generic forms check holds each to the direct sum in Mp.
// Backward (dy given), the adjoint, a correlation, evaluated by the same Monarch form through time reversal
// (rev(x)[t] = x[T−1−t]):
//   du[b,τ,c] = sum_{t>=τ} h[c,t−τ] dy[b,t,c] = rev(rev(dy[b,:,c]) ∗ h[c,:T])[τ]
//   dh[c,s]   = sum_b sum_{t>=s} dy[b,t,c] u[b,t−s,c] = sum_b rev(rev(dy[b,:,c]) ∗ u[b,:,c])[s]   (0 for s >= T)
#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bench_case.hpp"
#include "core/contract.hpp"

namespace menagerie::ops::monarch_conv {

struct Problem {
  std::int64_t B = 1, T = 1, D = 1;
  std::int64_t L = 1;            // filter length, >= T
  std::int64_t n1 = 0, n2 = 0;   // the DFT size n = n1 n2 and its Monarch factorisation; 0, 0 = the default

  std::pair<std::int64_t, std::int64_t> dft_factors() const {
    if (n1 != 0) return {n1, n2};
    std::int64_t b2 = 1;
    while (b2 * b2 < 2 * T) ++b2;
    return {(2 * T + b2 - 1) / b2, b2};
  }
  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && D >= 1, "monarch_conv: B, T, D = ", B, ", ", T, ", ", D,
                        " must all be >= 1");
    require<ShapeError>(L >= T, "monarch_conv: filter length L = ", L, " must be >= T = ", T);
    require<ShapeError>((n1 == 0 && n2 == 0) || (n1 >= 1 && n2 >= 1 && n1 * n2 >= 2 * T - 1),
                        "monarch_conv: DFT factors n1, n2 = ", n1, ", ", n2,
                        " must be 0, 0 (the default) or >= 1 with n1 n2 >= 2T − 1 = ", 2 * T - 1);
  }
};

inline std::vector<TensorSpec> tensors(const Problem& p) {
  return {{"u", {p.B, p.T, p.D}, "B,T,D", Role::input},
          {"h", {p.D, p.L}, "D,L", Role::param},
          {"y", {p.B, p.T, p.D}, "B,T,D", Role::output}};
}

// FLOPs of the Monarch evaluation: a complex transform of size n = n1 n2 costs 8 n (n1 + n2) (the block products,
// a complex multiply-add 8 real FLOPs); per (b, c) one forward and one inverse, per c one of the filter, and 6 n for
// the pointwise complex product per (b, c). HBM: u, the first T filter taps, y.
inline Cost cost(const Problem& p) {
  const auto [n1, n2] = p.dft_factors();
  const double n = static_cast<double>(n1 * n2), tr = 8.0 * n * static_cast<double>(n1 + n2);
  const double bd = static_cast<double>(p.B * p.D), d = static_cast<double>(p.D);
  return {bd * (2.0 * tr + 6.0 * n) + d * tr,
          2.0 * static_cast<double>(p.B * p.T * p.D) + static_cast<double>(p.D * p.T), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "monarch_conv";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .has_recurrent_form = false, .time_invariant = true};
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .D = d, .L = T}}};
  }
  // T = 1, small primes, filters longer than T, a square n (T = 8: n = 16 = 4 x 4), the smallest causal n
  // (T = 7, n = 13 = 1 x 13, prime: one dense DFT block) and a non-square factorisation (T = 6, n = 12 = 3 x 4).
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .D = 3, .L = 1},  {.B = 2, .T = 7, .D = 5, .L = 9},
                              {.B = 1, .T = 8, .D = 4, .L = 8},  {.B = 1, .T = 13, .D = 3, .L = 20},
                              {.B = 2, .T = 7, .D = 2, .L = 7, .n1 = 1, .n2 = 13},
                              {.B = 1, .T = 6, .D = 2, .L = 6, .n1 = 3, .n2 = 4}};
    if (full) g.insert(g.end(), {{.B = 2, .T = 97, .D = 7, .L = 100}, {.B = 1, .T = 113, .D = 5, .L = 113}});
    return g;
  }
};

}  // namespace menagerie::ops::monarch_conv
