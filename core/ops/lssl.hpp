// Contract: the Linear State-Space Layer (operator id lssl), Gu, Johnson, Goel, Saab, Dao, Rudra, Ré 2021,
// "Combining Recurrent, Convolutional, and Continuous-time Models with Linear State-Space Layers" (arXiv 2110.13985),
// §3 and §4: H independent single-input single-output SSMs over u [B, T, H], each with the fixed HiPPO-LegS state
// matrix (reference/hippo.hpp: A_nk = −√((2n+1)(2k+1)) n > k, −(n+1) n = k, 0 n < k; N x N) and a learnt step
// size, input, output and skip:
//   u [B, T, H], log_dt [H], B [H, N], C [H, N], D [H]  ->  y [B, T, H]
//   Δ_h = exp(log_dt[h]);  bilinear: Ā_h = (I − Δ_h/2 A)^{-1} (I + Δ_h/2 A),  B̄_h = (I − Δ_h/2 A)^{-1} Δ_h B[h]
//   x_{−1} = 0,  x_t = Ā_h x_{t−1} + B̄_h u[b,t,h],  y[b,t,h] = C[h]·x_t + D[h] u[b,t,h]      (the recurrent view)
//   y[b,t,h] = Σ_{j<=t} K_h[j] u[b,t−j,h] + D[h] u[b,t,h],  K_h[j] = C[h] Ā_h^j B̄_h         (the convolutional view)
// reference_forward is the recurrence; reference_forms lists "convolution" (K by powering Ā, then the causal sum),
// equal in exact arithmetic, checked in Mp by the generic `forms` check.
// Backward (dy given), the adjoint of the recurrence: λ_t = C[h] dy_t + Ā_hᵀ λ_{t+1} (λ_T = 0);
//   du_t = D dy_t + B̄·λ_t;  dC = Σ dy_t x_t;  dD = Σ dy_t u_t;  G_Ā = Σ_t λ_{t+1} x_tᵀ;  G_B̄ = Σ_t λ_t u_t;
//   with s = Δ/2, M = I − s A (Ā = 2 M^{-1} − I, B̄ = 2 s M^{-1} B): w = M^{-T} G_B̄, dB = 2 s w,
//   dlog_dt = s (⟨2 M^{-T} G_Ā M^{-T} + w B̄ᵀ, A⟩ + 2 w·B)   (sums over b and t throughout).
// The LSSL's full layer stacks this operator between position-wise maps; the operator is the part the paper
// defines (its "LSSL-fixed": A from HiPPO, not learnt).
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/bench_case.hpp"
#include "core/contract.hpp"

namespace menagerie::ops::lssl {

struct Problem {
  std::int64_t B = 1;  // batch
  std::int64_t T = 1;  // sequence length
  std::int64_t H = 1;  // channels, each its own SSM
  std::int64_t N = 1;  // state size (HiPPO-LegS order)

  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && H >= 1 && N >= 1, "lssl: B, T, H, N = ", B, ", ", T, ", ", H, ", ", N,
                        " must all be >= 1");
  }
};

// Δ in [0.01, 0.2] (the LSSL's log-uniform init range [1e-3, 1e-1] raised: Δ N stays O(1) at the grid's N).
inline std::vector<TensorSpec> tensors(const Problem& p) {
  return {{"u", {p.B, p.T, p.H}, "B,T,H", Role::input},
          {"log_dt", {p.H}, "H", Role::param, -4.6, -1.6},
          {"B", {p.H, p.N}, "H,N", Role::param},
          {"C", {p.H, p.N}, "H,N", Role::param},
          {"D", {p.H}, "H", Role::param},
          {"y", {p.B, p.T, p.H}, "B,T,H", Role::output}};
}

// The recurrence: per (b, t, h) a dense N x N step (2 N^2) and the readout (2 N); discretisation once per channel.
inline Cost cost(const Problem& p) {
  const double N = static_cast<double>(p.N);
  return {static_cast<double>(p.B * p.T * p.H) * (2.0 * N * N + 4.0 * N + 2.0),
          static_cast<double>(2 * p.B * p.T * p.H + p.H * (2 * p.N + 2)), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "lssl";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .time_invariant = true};
  // Not benchmarked: no mixer of the registry composes it yet.
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t, std::int64_t) { return {}; }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .H = 1, .N = 1}, {.B = 2, .T = 7, .H = 3, .N = 4},
                              {.B = 1, .T = 16, .H = 2, .N = 8}, {.B = 2, .T = 13, .H = 1, .N = 5}};
    if (full) g.insert(g.end(), {{.B = 1, .T = 97, .H = 2, .N = 16}, {.B = 1, .T = 113, .H = 3, .N = 32}});
    return g;
  }
};

}  // namespace menagerie::ops::lssl
