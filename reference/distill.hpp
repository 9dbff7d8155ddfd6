// Laughing Hyena distillation (Massaroli et al. 2023, "Laughing Hyena Distillery: Extracting Compact Recurrences
// From Convolutions", §3 modal interpolation): a long-convolution filter h[t], t < T, of one channel is approximated
// by the filter of a modal (diagonal) SSM of order m,
//     h_m[t] = Re sum_{i<m} R_i λ_i^t,
// whose poles λ_i and residues R_i come in complex-conjugate pairs (a real pole stands alone), so h_m is real. The
// SSM runs as a recurrence, one token at a time, with a state of m complex numbers:
//     x_i <- λ_i x_i + u_t,   y_t = Re sum_i R_i x_i     (x = 0 before t = 0),
// and y = h_m ∗ u (causal convolution): x_i after token t is sum_{s<=t} λ_i^{t−s} u_s.
//
// The fit (distill, reference/distill.cpp): poles by the eigensystem realization algorithm (Ho–Kalman / Kung's
// Hankel-SVD, i.e. balanced truncation of the Hankel operator), residues by linear least squares.
//   1. Hankel matrices H0[i,j] = h[i+j], H1[i,j] = h[i+j+1], i < r, j < c, r = ⌊T/2⌋, c = T − r − 1 (so i+j+1 < T).
//      If h[t] = C A^t B then H0 = O·K and H1 = O·A·K (O observability, K controllability).
//   2. Thin SVD H0 = U Σ V^T; keep the leading n = min(m, numerical rank of H0) singular triplets (σ_k > σ_0·1e-13):
//      O = U_n Σ_n^{1/2}, K = Σ_n^{1/2} V_n^T, A = Σ_n^{−1/2} U_n^T H1 V_n Σ_n^{−1/2} (real n × n).
//   3. Poles: the eigenvalues of A (a real matrix, so conjugate-closed). A pole outside the unit disk (which ERA does
//      not exclude on finite data) is reflected to 1/conj(λ), the standard stabilization; |λ| = 1 is shrunk to
//      1 − 1e-12 so the recurrence is stable.
//   4. Residues: R = argmin ||Re V R − h||_2 over complex R with V[t,i] = λ_i^t, solved as the complex least squares
//      min ||V R − h||_2 (column-pivoted QR). The pole set is conjugate-closed and h is real, so the unique minimizer
//      is conjugate-symmetric and V R is real: the same R solves the real problem.
// The returned order is n <= m: a filter that is exactly modal of order m0 gets m0 poles for every m >= m0.
#pragma once
#include <complex>
#include <cstdint>
#include <span>
#include <vector>

namespace menagerie::distill {

using cplx = std::complex<double>;

struct Modal {
  std::vector<cplx> poles;     // λ [n]
  std::vector<cplx> residues;  // R [n]
};

// The modal SSM of order <= m fitted to h [T] (T >= 3, m >= 1) as above; throws InputError otherwise.
Modal distill(std::span<const double> h, std::int64_t m);

// h_m[t] = Re sum_i R_i λ_i^t for t < T.
std::vector<double> modal_filter(std::span<const cplx> poles, std::span<const cplx> residues, std::int64_t T);

// The recurrence, token by token: x_i <- λ_i x_i + u_t, y_t = Re sum_i R_i x_i; y [T] for u [T].
std::vector<double> modal_generate(std::span<const cplx> poles, std::span<const cplx> residues,
                                   std::span<const double> u);

}  // namespace menagerie::distill
