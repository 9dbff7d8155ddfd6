// Contract: the gated delta rule (operator id delta_rule): DeltaNet's recurrence (Schlag et al. 2021, "Linear
// Transformers Are Secretly Fast Weight Programmers", eq. 21; Yang et al. 2024, "Parallelizing Linear Transformers
// with the Delta Rule over Sequence Length", eq. 1) with Gated DeltaNet's scalar decay (Yang et al. 2024, "Gated
// Delta Networks", eq. 10); flash-linear-attention's chunk_delta_rule / chunk_gated_delta_rule, q and k as given
// (the mixers L2-normalise them first).
//   q, k [B, T, H, Dk], v [B, T, H, Dv], beta [B, T, H], g [B, T, H] (log decay, <= 0 in use)  ->  o [B, T, H, Dv]
// Recurrent form (per b, h; S [Dv, Dk], zero before t = 0; a_t = exp(g_t); g = 0 is DeltaNet):
//   S_t = a_t S_{t-1} (I - beta_t k_t k_t^T) + beta_t v_t k_t^T  =  a_t S_{t-1} + u_t k_t^T,
//   u_t = beta_t (v_t - a_t S_{t-1} k_t),          o_t = scale S_t q_t
// Chunked form (the UT / WY representation; chunks of C tokens, S_0 entering the chunk, G_t = sum of g from the
// chunk's start to t, so every exp below has a non-positive argument when g <= 0):
//   S_t = exp(G_t) S_0 + sum_{s<=t} exp(G_t - G_s) u_s k_s^T, so the u_s solve the unit lower-triangular system
//   u_t + sum_{s<t} beta_t exp(G_t - G_s) (k_t . k_s) u_s = beta_t v_t - beta_t exp(G_t) S_0 k_t,
//   i.e. U = (I + A)^{-1} (diag(beta) V) - (I + A)^{-1} diag(beta exp(G)) K S_0^T with A strictly lower
//   (forward substitution); then
//   o_t = scale [ exp(G_t) S_0 q_t + sum_{s<=t} exp(G_t - G_s) (k_s . q_t) u_s ],
//   S_C = exp(G_C) S_0 + sum_s exp(G_C - G_s) u_s k_s^T.
//   The quadratic form is this with one chunk of T tokens (the parallel form of Yang et al. 2024, §3.2). The naive
//   chunked form factorises exp(G_t - G_s) = exp(G_t) exp(-G_s) (as un-normalised WY kernels do) and overflows
//   once the cumulative log decay inside a chunk passes -88 in float; it exists here to show that failure.
// Backward (through the recurrence in reverse, states recomputed; dS the gradient of S_t from o_t and S_{t+1}):
//   dS_t += scale dO_t q_t^T;  dq_t = scale S_t^T dO_t;  with M_t = I - beta_t k_t k_t^T:
//   dS_{t-1} += a_t dS_t M_t;  dg_t = a_t <dS_t, S_{t-1} M_t>;  dM = a_t S_{t-1}^T dS_t;
//   dbeta_t = v_t^T dS_t k_t - k_t^T dM k_t;  dk_t = beta_t (dS_t^T v_t - (dM + dM^T) k_t);  dv_t = beta_t dS_t k_t.
#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/contract.hpp"

namespace menagerie::ops::delta_rule {

struct Problem {
  std::int64_t B = 1, T = 1, H = 1, Dk = 1, Dv = 1;
  double scale = 1.0;  // the layers use Dk^-1/2 (flash-linear-attention's default)

  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && H >= 1 && Dk >= 1 && Dv >= 1, "delta_rule: B, T, H, Dk, Dv = ", B, ", ",
                        T, ", ", H, ", ", Dk, ", ", Dv, " must all be >= 1");
    require<InputError>(std::isfinite(scale), "delta_rule: scale = ", scale, " must be finite");
  }
};

// Test ranges: k with |k|^2 <= Dk / 4 so that beta |k|^2 stays below 2 (I - beta k k^T contracts); beta in
// (0, 1), the log decay in [-1, 0].
inline std::vector<TensorSpec> tensors(const Problem& p) {
  return {{"q", {p.B, p.T, p.H, p.Dk}, "B,T,H,D", Role::input},
          {"k", {p.B, p.T, p.H, p.Dk}, "B,T,H,D", Role::input, -0.5, 0.5},
          {"v", {p.B, p.T, p.H, p.Dv}, "B,T,H,Dv", Role::input},
          {"beta", {p.B, p.T, p.H}, "B,T,H", Role::input, 0.05, 1.0},
          {"g", {p.B, p.T, p.H}, "B,T,H", Role::input, -1.0, 0.0},
          {"o", {p.B, p.T, p.H, p.Dv}, "B,T,H,Dv", Role::output}};
}

// FLOPs of the recurrent evaluation per token and head: S k (2 Dk Dv), the rank-one update (2 Dk Dv), the decay
// (Dk Dv), the read-out (2 Dk Dv). HBM: q, k, v, beta, g read and o written once.
inline Cost cost(const Problem& p) {
  const double Dk = static_cast<double>(p.Dk), Dv = static_cast<double>(p.Dv);
  const double rows = static_cast<double>(p.B * p.T * p.H);
  return {rows * 7.0 * Dk * Dv, rows * (2.0 * Dk + 2.0 * Dv + 2.0), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "delta_rule";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .has_recurrent_form = true};
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .H = 4, .Dk = d / 4 > 0 ? d / 4 : 1, .Dv = d / 4 > 0 ? d / 4 : 1, .scale = 0.25}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .H = 1, .Dk = 3, .Dv = 2, .scale = 0.5},
                              {.B = 2, .T = 7, .H = 2, .Dk = 3, .Dv = 5, .scale = 1.0},
                              {.B = 1, .T = 16, .H = 1, .Dk = 4, .Dv = 3, .scale = 0.5},
                              {.B = 1, .T = 13, .H = 3, .Dk = 5, .Dv = 4, .scale = 0.447}};
    if (full)
      g.insert(g.end(), {{.B = 1, .T = 97, .H = 2, .Dk = 4, .Dv = 6, .scale = 0.5},
                         {.B = 2, .T = 113, .H = 1, .Dk = 7, .Dv = 9, .scale = 0.378}});
    return g;
  }
};

}  // namespace menagerie::ops::delta_rule
