// Contract: RTF convolution-kernel generation (operator id rtf_kernel), the rational transfer function
// parameterisation of an SSM (Parnichkun et al. 2024, "State-Free Inference of State-Space Models: The Transfer
// Function Approach", arXiv 2405.06147; its RTF module with one denominator per channel, num_a = d_model):
//   a [D, N], b [D, N], h0 [D]  ->  K [D, T]
//   H(z) = h0 + (b_1 z^-1 + ... + b_N z^-N) / (1 + a_1 z^-1 + ... + a_N z^-N)
// (a[c, i−1] = a_i, b[c, i−1] = b_i: a monic denominator, a strictly proper numerator as the code's one leading zero of
// padding makes it, and the direct term h0 separately). The kernel is the paper's state-free one, on n points:
//   n = Problem::n, by default the smallest even integer >= max(T, N + 1) (the code's trunc_len + trunc_len % 2, its
//       rfft length, wherever its assertion trunc_len > N holds; with T = trunc_len);  ω = e^{2πi/n}
//   Â_k = 1 + sum_{i=1..N} a_i ω^{−ik},  B̂_k = sum_{i=1..N} b_i ω^{−ik}            (DFT_n of the padded coefficients)
//   K[t] = h0 δ_t + (1/n) sum_{k<n} (B̂_k / Â_k) ω^{kt}                              t = 0..T−1 (IDFT_n, first T)
// What this is: with g the impulse response of b(z)/a(z) (g_0 = 0, g_t = bᵀ A^{t−1} e_1 with the companion A below),
// K is the n-periodic aliasing of g, not its truncation:
//   K[t] = h0 δ_t + sum_{m>=0} g[t + m n],  exactly  K[t] = h0 δ_t + bᵀ A^{t−1} (I − A^n)^{−1} e_1 (1 <= t < T),
//   K[0] = h0 + bᵀ A^{n−1} (I − A^n)^{−1} e_1 (the wrap-around sum_{m>=1} g[m n])
// (the closed forms hold for any a whose roots avoid the n-th roots of unity; the sums converge when the roots, the
// poles, lie inside the unit circle, and then K − (h0 δ + g) = O(ρ^n) for poles of modulus <= ρ).
// The companion form (the reference's recurrent form: a companion-matrix SSM as SpaceTime parameterises one, in the
// layout of the RTF code's `step`): A [N, N] with first row −a and ones on the subdiagonal, B = e_1,
// C = (I − A^n)^{−T} b, D = h0; x_0 = 0, x_{t+1} = A x_t + B u_t, y_t = C·x_t + h0 u_t driven by u = δ gives K[t] for
// t >= 1 and h0 at t = 0, where the wrap-around C·x_n is added.
// Backward (dK given), the adjoint of the state-free form, with G_k = B̂_k / Â_k:
//   Q_k = (1/n) sum_{t<T} dK[t] ω^{kt},  R_k = Q_k / Â_k  (Q = IDFT_n of dK padded, with its 1/n);
//   db_i = Re sum_k R_k ω^{−ik},  da_i = −Re sum_k R_k G_k ω^{−ik}  (DFT_n of R and of R G at i = 1..N);  dh0 = dK[0].
// Not a sequence map: traits.causal is false.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/bench_case.hpp"
#include "core/contract.hpp"

namespace menagerie::ops::rtf_kernel {

struct Problem {
  std::int64_t D = 1;  // channels, each with its own transfer function
  std::int64_t N = 1;  // order: N denominator and N numerator coefficients, the companion SSM's state size
  std::int64_t T = 1;  // kernel length
  std::int64_t n = 0;  // DFT size; 0 = the paper's, the smallest even integer >= max(T, N + 1)

  std::int64_t fft_size() const {
    if (n != 0) return n;
    const std::int64_t m = std::max(T, N + 1);
    return m + m % 2;
  }
  void validate() const {
    require<ShapeError>(D >= 1 && N >= 1 && T >= 1, "rtf_kernel: D, N, T = ", D, ", ", N, ", ", T,
                        " must all be >= 1");
    require<ShapeError>(n == 0 || n >= std::max(T, N + 1), "rtf_kernel: DFT size n = ", n,
                        " must be 0 (the default) or >= max(T, N + 1) = ", std::max(T, N + 1));
  }
};

// Test inputs: a uniform in ±1/(2N), so sum_i |a_i| < 1/2: every pole lies inside the unit circle (Rouché, as the
// code's "montel" init U(±1/N) ensures) and |Â_k| > 1/2, which keeps K O(1) and its condition number small.
inline std::vector<TensorSpec> tensors(const Problem& p) {
  const double r = 0.5 / static_cast<double>(p.N);
  return {{"a", {p.D, p.N}, "D,N", Role::param, -r, r},
          {"b", {p.D, p.N}, "D,N", Role::param},
          {"h0", {p.D}, "D", Role::param},
          {"K", {p.D, p.T}, "D,T", Role::output}};
}

// Per channel two forward transforms and one inverse of size n (5 n log2 n each, counted as radix-2) and a complex
// division per frequency (6 n); the parameters read once, K written once.
inline Cost cost(const Problem& p) {
  const double n = static_cast<double>(p.fft_size());
  return {static_cast<double>(p.D) * (15.0 * n * std::log2(std::max(n, 2.0)) + 6.0 * n),
          static_cast<double>(2 * p.D * p.N + p.D + p.D * p.T), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "rtf_kernel";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = false, .has_recurrent_form = true};
  // Not benchmarked: no mixer of the registry composes it yet.
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t, std::int64_t) { return {}; }
  // T = 1, small primes, T <= N (the DFT size then set by N), a power-of-two n (radix-2) and others (Bluestein), an
  // explicit n far above T (aliasing small), orders 1 to 64.
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.D = 1, .N = 1, .T = 1}, {.D = 3, .N = 2, .T = 7},  {.D = 2, .N = 4, .T = 16},
                              {.D = 2, .N = 8, .T = 13}, {.D = 1, .N = 6, .T = 4}, {.D = 2, .N = 3, .T = 9, .n = 40}};
    if (full) g.insert(g.end(), {{.D = 4, .N = 16, .T = 97}, {.D = 3, .N = 64, .T = 113}});
    return g;
  }
};

}  // namespace menagerie::ops::rtf_kernel
