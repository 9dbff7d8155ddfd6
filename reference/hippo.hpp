// The HiPPO matrices (Gu, Dao, Ermon, Rudra, Ré 2020, "HiPPO: Recurrent Memory with Optimal Polynomial Projections",
// arXiv 2008.07669, §2-3 and Appendix D), for float, double and Mp. For a measure μ(t) and an orthonormal basis p_n(t, x)
// of L2(μ(t)), the coefficients c_n(t) = ∫ f(x) p_n(t, x) dμ(t)(x) of the projection of f's history obey a linear ODE:
//   LegS (scaled Legendre, μ(t) uniform on [0, t]):  c'(t) = (1/t) (A c(t) + B f(t))
//     p_n(t, x) = √(2n+1) P_n(2x/t − 1);   A_nk = −√((2n+1)(2k+1)) (n > k), −(n + 1) (n = k), 0 (n < k);  B_n = √(2n+1)
//   LegT (translated Legendre, μ(t) uniform on [t − θ, t]):  c'(t) = A c(t) + B f(t)
//     p_n(t, x) = √(2n+1) P_n(2(x − t)/θ + 1);  A_nk = −(1/θ) √((2n+1)(2k+1)) · (1 if n >= k, (−1)^(n−k) if n < k);
//     B_n = √(2n+1)/θ  (the paper's LegT with λ_n = 1: f(t − θ) replaced by its reconstruction Σ_k c_k p_k(t, t − θ))
//   FouT (translated Fourier, μ(t) uniform on [t − θ, t]):  c'(t) = A c(t) + B f(t)
//     s = (x − t)/θ ∈ [−1, 0]; p_0 = 1, p_{2j−1} = √2 cos(2πjs), p_{2j} = √2 sin(2πjs) (j >= 1; index n < N);
//     e_n = p_n(t, t) = (1, √2, 0, √2, 0, ...);  A = (J − 2 e eᵀ)/θ,  B = 2e/θ,
//     J_{2j−1, 2j} = 2πj, J_{2j, 2j−1} = −2πj (the derivative of the basis), 0 elsewhere
//     (f(t − θ) replaced by 2 Σ_k e_k c_k − f(t): a truncated Fourier series converges to the midpoint of the jump
//     f(t − θ) | f(t) of the periodic extension; this is the paper's −2, −2√2, −4 and B = 2, 2√2).
// LegS is exact for any N (no reconstruction enters); LegT and FouT are exact as N → ∞.
// S4's normal-plus-low-rank split of LegS (Gu, Goel, Ré 2022, "Efficiently Modeling Long Sequences with Structured
// State Spaces", arXiv 2111.00396, §3 and Appendix C.1): with P_n = √(n + 1/2),
//   A = S − P Pᵀ,  S = A + P Pᵀ = −½ I + (skew-symmetric):  S_nk = −½√((2n+1)(2k+1)) (n > k), +½√(..) (n < k), −½ (n = k).
#pragma once
#include <cstdint>
#include <string_view>

#include "core/tensor.hpp"

namespace menagerie::ref {

enum class Measure { legs, legt, fout };

std::string_view measure_name(Measure m);

// A [N, N] and B [N] of the measure (θ the window length of LegT and FouT; LegS has none and ignores it).
template <class T>
struct Hippo {
  Tensor<T> A, B;
};
template <class T>
Hippo<T> hippo(Measure m, std::int64_t N, const T& theta);

// S4's split of LegS: S [N, N] (normal: −½ I plus a skew-symmetric matrix) and P [N], A_LegS = S − P Pᵀ.
template <class T>
struct Nplr {
  Tensor<T> S, P;
};
template <class T>
Nplr<T> legs_nplr(std::int64_t N);

}  // namespace menagerie::ref
