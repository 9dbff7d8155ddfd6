// Monarch matrices (Dao et al. 2022, "Monarch: Expressive Structured Matrices"; Fu et al. 2023, "Monarch Mixer") and
// the DFT written as Monarch products, over float, double and Mp, real or complex (reference/complex.hpp).
//
// Permutation. For a vector of length n = a b read as an a x b row-major matrix, P_(a,b) is its transpose, read as
// b x a row-major:  (P_(a,b) x)[j a + i] = x[i b + j]  (i < a, j < b);  P_(a,b)^T = P_(a,b)^{-1} = P_(b,a).
//
// Monarch matrix of size n = b1 b2 (this file's order, the one Dao et al. write M = P L P^T R at n = b², where
// P_(b,b) is its own inverse):
//   M = P_(b2,b1) L P_(b1,b2) R
//   R = diag(R_0, ..., R_{b1−1}), b1 blocks of size b2 x b2 (acting on the contiguous chunks x[i b2 .. i b2 + b2)),
//   L = diag(L_0, ..., L_{b2−1}), b2 blocks of size b1 x b1.
// Entry by entry: M[i b2 + j, i' b2 + j'] = L_j[i, i'] R_{i'}[j, j']  (i, i' < b1; j, j' < b2), so a Monarch matrix
// has b1 b2² + b2 b1² = n (b1 + b2) free entries and applies in O(n (b1 + b2)) = O(n^{3/2}) at b1 = b2 = √n.
//
// The DFT (X[k] = sum_m x[m] ω^{km}, ω = e^{−2πi/n}, reference/fft.hpp's convention) of size n = n1 n2 is the
// four-step (Cooley–Tukey) factorisation: with m = n2 m1 + m2 and k = k1 + n1 k2 (m1, k1 < n1; m2, k2 < n2),
// ω^{km} = ω_{n1}^{k1 m1} ω^{k1 m2} ω_{n2}^{k2 m2}, i.e.
//   DFT_n = P_(n1,n2) (I_{n1} ⊗ F_{n2}) P_(n2,n1) Tw (I_{n2} ⊗ F_{n1}) P_(n1,n2),   Tw = diag(ω^{k1 m2}) at n1 m2 + k1,
// that is DFT_n = M P_(n1,n2) with M the Monarch matrix of b1 = n2, b2 = n1 and
//   R_{m2}[k1, m1] = ω^{k1 (n2 m1 + m2)}  (F_{n1} with its rows scaled by the twiddles),  L_{k1}[k2, m2] = ω^{n1 k2 m2}
// (every L block is F_{n2}). The inverse DFT is the same with ω^{-1} and a factor 1/n.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "reference/complex.hpp"

namespace menagerie::ref {

// A Monarch matrix M = P_(b2,b1) L P_(b1,b2) R over the element type S (a real scalar or Complex of one).
template <class S>
struct Monarch {
  std::int64_t b1 = 1, b2 = 1;
  std::vector<S> R;  // [b1, b2, b2]: R_i[r, c] at (i b2 + r) b2 + c
  std::vector<S> L;  // [b2, b1, b1]: L_j[r, c] at (j b1 + r) b1 + c
  std::int64_t size() const { return b1 * b2; }
};

// A Monarch matrix of size b1 b2 with zero blocks.
template <class S>
Monarch<S> monarch_zeros(std::int64_t b1, std::int64_t b2);

// P_(a, b) x for x of length a b.
template <class S>
std::vector<S> transpose_permutation(const std::vector<S>& x, std::int64_t a, std::int64_t b);

// M x in O(n (b1 + b2)): R block by block, P_(b1,b2), L block by block, P_(b2,b1).
template <class S>
std::vector<S> monarch_apply(const Monarch<S>& M, const std::vector<S>& x);

// The dense n x n matrix (row-major) by the entry formula M[i b2 + j, i' b2 + j'] = L_j[i, i'] R_{i'}[j, j'].
template <class S>
std::vector<S> monarch_dense(const Monarch<S>& M);

// The factorisation n = n1 n2 this file uses by default: n1 the largest divisor of n with n1² <= n.
std::pair<std::int64_t, std::int64_t> monarch_factors(std::int64_t n);

// The Monarch factor M of DFT_n = M P_(n1,n2) (inverse: ω^{-1}, without the 1/n), n = n1 n2; b1 = n2, b2 = n1.
template <class T>
Monarch<Complex<T>> dft_monarch(std::int64_t n1, std::int64_t n2, bool inverse);

// The DFT (inverse with its 1/n when F was built with inverse = true) of x by Monarch products:
// F P_(n1,n2) x with n1 = F.b2, n2 = F.b1.
template <class T>
std::vector<Complex<T>> monarch_dft(const Monarch<Complex<T>>& F, const std::vector<Complex<T>>& x, bool inverse);

}  // namespace menagerie::ref
