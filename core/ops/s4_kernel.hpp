// Contract: S4 convolution-kernel generation with the DPLR (diagonal plus low-rank) state matrix (operator id
// s4_kernel), Gu, Goel, Ré 2022, "Efficiently Modeling Long Sequences with Structured State Spaces" (arXiv
// 2111.00396), §3.3 and Algorithm 1, in the layout of its code (SSKernelNPLR: N/2 stored modes, their conjugates
// implied; rank 1 with Q = P, the symmetric form HiPPO-LegS's NPLR split takes):
//   Lambda_re, Lambda_im [D, N/2], P, B, C [D, N/2, 2] (last axis = real, imaginary), log_dt [D]  ->  K [D, T]
// Per channel, over the full state of N = 2 (N/2) complex coordinates (each stored mode and its conjugate):
//   λ = (Λ, conj Λ), p = (P, conj P), b = (B, conj B), c = (C, conj C);   A = diag(λ) − p p*   (N x N)
//   Δ = exp(log_dt);  bilinear: Ā = (I − Δ/2 A)^{-1} (I + Δ/2 A),  B̄ = (I − Δ/2 A)^{-1} Δ b
//                     zoh:      Ā = exp(Δ A),  B̄ = A^{-1} (exp(Δ A) − I) b  (the upper-right block of exp(Δ [A b; 0 0]))
//   K[t] = c Ā^t B̄   (real: the conjugate pairing makes Ā similar to a real matrix)      t = 0..T−1
// A is dissipative (its Hermitian part diag(Re λ) − p p* is negative definite when Re Λ < 0), so every eigenvalue
// of A has negative real part and both discretisations are stable.
// reference_forward is the paper's route. With L = T, z_k = e^{−2πik/L} (k < L) and C̃ = c (I − Ā^L):
//   K̂_k = Σ_{t<L} K[t] z_k^t = C̃ (I − Ā z_k)^{-1} B̄        (the truncated generating function at roots of unity)
//   bilinear: (I − Ā z)^{-1} B̄ = 2 (a I − β A)^{-1} b with a = (2/Δ)(1 − z), β = 1 + z (the paper's
//     (2/(1+z)) (g(z) − A)^{-1}, g = (2/Δ)(1−z)/(1+z), multiplied through by 1 + z so that z = −1 is regular), and by
//     Woodbury (Sherman–Morrison, rank 1) with the Cauchy sums k_uv = Σ_n u_n v_n / (a − β λ_n):
//     K̂ = 2 (k_{C̃,b} − β k_{C̃,p} k_{p̄,b} / (1 + β k_{p̄,p}));  C̃ by L steps of the row recurrence
//     r ← r Ā = 2 r M^{-1} − r, M = I − (Δ/2) A, r M^{-1} by Sherman–Morrison (O(N) a step);
//   zoh: no Cauchy structure (exp(ΔA) is not DPLR): K̂_k by a dense solve of (I − z_k Ā) y = B̄, C̃ by L dense steps;
//   K = Re IDFT_L(K̂)   (reference/fft.hpp).
// Other form (reference_forms, "powering"): K[t] = Re c v_t, v_0 = B̄, v_{t+1} = Ā v_t with Ā, B̄ formed densely
// (bilinear: M solved by elimination; zoh: the same exponential).
// Backward (dK given), through the powering form, with G_x = ∂L/∂Re x + i ∂L/∂Im x for complex x:
//   G_{v_t} = dK[t] conj(c) + Ā^H G_{v_{t+1}};  G_c = Σ_t dK[t] conj(v_t);  G_Ā = Σ_t G_{v_{t+1}} v_t^H;  G_B̄ = G_{v_0};
//   bilinear (s = Δ/2, M = I − s A, Ā = 2 M^{-1} − I, B̄ = 2 s M^{-1} b):
//     G_{sA} = 2 M^{-H} G_Ā M^{-H} + M^{-H} G_B̄ B̄^H,  G_b = 2 s M^{-H} G_B̄,  ∂L/∂s = Re⟨G_{sA}, A⟩ + 2 Re⟨M^{-H} G_B̄, b⟩;
//   zoh (X = Δ [A b; 0 0], exp X = [Ā B̄; 0 1]): G_X = the upper-right block of exp([X^H G_E; 0 X^H]) (the adjoint of
//     the Fréchet derivative of exp), G_E = [G_Ā G_B̄; 0 0]; G_A = Δ G_X[:N,:N], G_b = Δ G_X[:N,N], Δ ∂L/∂Δ = Re⟨G_X, X⟩;
//   G_λ = diag(G_A), G_p = −(G_A + G_A^H) p; a stored parameter gets its own half plus the conjugate of the other's;
//   dlog_dt = Δ ∂L/∂Δ (= s ∂L/∂s).
// Not a sequence map: traits.causal is false.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/bench_case.hpp"
#include "core/contract.hpp"

namespace menagerie::ops::s4_kernel {

enum class Disc { bilinear, zoh };

struct Problem {
  std::int64_t D = 1;  // channels, each with its own SSM
  std::int64_t N = 2;  // state size (even): N/2 stored complex modes, their conjugates implied
  std::int64_t T = 1;  // kernel length (the L of the generating function)
  Disc disc = Disc::bilinear;

  std::int64_t modes() const { return N / 2; }
  void validate() const {
    require<ShapeError>(D >= 1 && T >= 1, "s4_kernel: D, T = ", D, ", ", T, " must be >= 1");
    require<ShapeError>(N >= 2 && N % 2 == 0, "s4_kernel: state size N = ", N, " must be even and >= 2");
  }
};

// Ranges: Δ in [0.01, 0.2] (as s4d_kernel), Re Λ in [−1, −0.1] (stable), Im Λ in [−4, 4], P, B, C O(1).
inline std::vector<TensorSpec> tensors(const Problem& p) {
  const std::int64_t M = p.modes();
  return {{"Lambda_re", {p.D, M}, "D,N/2", Role::param, -1.0, -0.1},
          {"Lambda_im", {p.D, M}, "D,N/2", Role::param, -4.0, 4.0},
          {"P", {p.D, M, 2}, "D,N/2,2", Role::param},
          {"B", {p.D, M, 2}, "D,N/2,2", Role::param},
          {"C", {p.D, M, 2}, "D,N/2,2", Role::param},
          {"log_dt", {p.D}, "D", Role::param, -4.6, -1.6},
          {"K", {p.D, p.T}, "D,T", Role::output}};
}

// Bilinear: per channel and frequency four Cauchy sums over N terms (~ 8 N complex ops), C̃ (~ 20 N T), one
// inverse DFT (5 T log2 T). The parameters read once, K written once.
inline Cost cost(const Problem& p) {
  const double T = static_cast<double>(p.T), N = static_cast<double>(p.N);
  return {static_cast<double>(p.D) * (8.0 * 4.0 * N * T + 20.0 * N * T + 5.0 * T * std::log2(std::max(T, 2.0))),
          static_cast<double>(p.D * (1 + 4 * p.N) + p.D * p.T), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "s4_kernel";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = false};
  // Not benchmarked: no mixer of the registry composes it yet.
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t, std::int64_t) { return {}; }
  // T = 1 (z = 1 only), T = 2 (z = −1, the bilinear resolvent's regular point), small primes and a power of two
  // (Bluestein and radix-2), one to four modes; each size in both discretisations.
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g;
    std::vector<Problem> sizes = {{.D = 1, .N = 2, .T = 1}, {.D = 2, .N = 2, .T = 2}, {.D = 3, .N = 4, .T = 7},
                                  {.D = 1, .N = 8, .T = 16}};
    if (full) sizes.insert(sizes.end(), {{.D = 2, .N = 16, .T = 97}, {.D = 1, .N = 6, .T = 113}});
    for (Disc d : {Disc::bilinear, Disc::zoh})
      for (Problem p : sizes) {
        p.disc = d;
        g.push_back(p);
      }
    return g;
  }
};

}  // namespace menagerie::ops::s4_kernel
