// Contract: causal gated linear attention with a per-key-channel decay (operator id gated_linear_attention), the
// recurrence of GLA (Yang et al. 2023, "Gated Linear Attention Transformers with Hardware-Efficient Training",
// eqs. 3-4, flash-linear-attention's chunk_gla / fused_recurrent_gla) and, with the decay equal across the key
// channels of a head, of Mamba-2's SSD (Dao and Gu 2024, eq. 16 with A_t = a_t I).
//   q, k [B, T, H, Dk], v [B, T, H, Dv], g [B, T, H, Dk] (log decays, <= 0 in use)  ->  o [B, T, H, Dv]
// Recurrent form (per b, h; S [Dk, Dv], zero before t = 0):
//   S_t = diag(exp(g_t)) S_{t-1} + k_t v_t^T,        o_t = scale S_t^T q_t
// Quadratic (masked) form, with G_t = sum_{j<=t} g_j (cumulative log decay per key channel):
//   o_t = scale sum_{s<=t} [sum_i q_ti k_si exp(G_ti - G_si)] v_s
// Chunked form (chunks of C tokens, the form fast kernels use; S_0 the state entering the chunk, G measured from the
// chunk's start, so G_t - G_s <= 0 for s <= t and every exponential below is <= 1 when g <= 0):
//   o_t  = scale [ (q_t * exp(G_t))^T S_0 + sum_{s<=t in chunk} (sum_i q_ti k_si exp(G_ti - G_si)) v_s ]
//   S_C  = diag(exp(G_C)) S_0 + sum_{s in chunk} (k_s * exp(G_C - G_s)) v_s^T
//   The naive chunked form (GLA paper §4.1 before its secondary chunking) factorises the pair term as
//   (q_t * exp(G_t)) . (k_s * exp(-G_s)): exp(-G_s) overflows float once the cumulative log decay inside a chunk
//   passes -88 (double: -709), and the product is then inf * 0 = NaN. It exists here to show that failure.
// Backward (dO given): dA_ts = scale dO_t . v_s (s <= t); dq_ti = sum_s dA_ts k_si e^{G_ti - G_si};
//   dk_si = sum_{t>=s} dA_ts q_ti e^{G_ti - G_si};  dv_s = scale sum_{t>=s} (sum_i q_ti k_si e^{..}) dO_t;
//   dG = q * dq - k * dk;  dg_t = sum_{t'>=t} dG_t' (G is a cumulative sum of g).
#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/contract.hpp"

namespace menagerie::ops::gated_linear_attention {

struct Problem {
  std::int64_t B = 1, T = 1, H = 1, Dk = 1, Dv = 1;
  double scale = 1.0;  // GLA's layer uses Dk^-1/2 (flash-linear-attention's default), Mamba-2's SSD 1

  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && H >= 1 && Dk >= 1 && Dv >= 1, "gated_linear_attention: B, T, H, Dk, Dv = ",
                        B, ", ", T, ", ", H, ", ", Dk, ", ", Dv, " must all be >= 1");
    require<InputError>(std::isfinite(scale), "gated_linear_attention: scale = ", scale, " must be finite");
  }
};

// Test ranges: log decays in [-1, 0] (per-token decays in [0.37, 1]), the rest O(1).
inline std::vector<TensorSpec> tensors(const Problem& p) {
  return {{"q", {p.B, p.T, p.H, p.Dk}, "B,T,H,D", Role::input},
          {"k", {p.B, p.T, p.H, p.Dk}, "B,T,H,D", Role::input},
          {"v", {p.B, p.T, p.H, p.Dv}, "B,T,H,Dv", Role::input},
          {"g", {p.B, p.T, p.H, p.Dk}, "B,T,H,D", Role::input, -1.0, 0.0},
          {"o", {p.B, p.T, p.H, p.Dv}, "B,T,H,Dv", Role::output}};
}

// FLOPs of the recurrent evaluation: per token and head the decay (Dk Dv), the outer product (2 Dk Dv) and the
// read-out (2 Dk Dv), plus exp(g) (Dk). HBM: q, k, g, v read and o written once.
inline Cost cost(const Problem& p) {
  const double Dk = static_cast<double>(p.Dk), Dv = static_cast<double>(p.Dv);
  const double rows = static_cast<double>(p.B * p.T * p.H);
  return {rows * (5.0 * Dk * Dv + Dk), rows * (3.0 * Dk + 2.0 * Dv), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "gated_linear_attention";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .has_recurrent_form = true, .linear_in_v = true};
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .H = 4, .Dk = 16, .Dv = d / 4 > 0 ? d / 4 : 1, .scale = 0.25}}};
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

}  // namespace menagerie::ops::gated_linear_attention
