// Contract: causal softmax attention, multi-head, optional sliding window (operator id softmax_attention).
//   q, k [B, T, H, D], v [B, T, H, Dv]  ->  o [B, T, H, Dv]
//   S[b,h,t,s] = scale * sum_d q[b,t,h,d] k[b,s,h,d]          for s in W(t) = [max(0, t - w), t]  (w < 0: [0, t])
//   P[b,h,t,:] = softmax over s in W(t) of S[b,h,t,s]          (masked scores are excluded exactly, i.e. -inf;
//                                                               Zoology's additive -10000 underflows to 0 in fp32)
//   o[b,t,h,:] = sum_{s in W(t)} P[b,h,t,s] v[b,s,h,:]
// scale defaults to 1/sqrt(D). Backward (dO given): dV = P^T dO; dP = dO V^T; dS = P (dP - rowsum(dO o));
// dQ = scale dS K; dK = scale dS^T Q.
#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/contract.hpp"

namespace menagerie::ops::softmax_attention {

struct Problem {
  std::int64_t B = 1, T = 1, H = 1, D = 1, Dv = 1;
  std::int64_t window = -1;  // w: t attends to s in [t - w, t]; negative = full causal
  double scale = 0;          // 0 = 1/sqrt(D)

  double softmax_scale() const { return scale != 0 ? scale : 1.0 / std::sqrt(static_cast<double>(D)); }
  // Number of keys visible from query t.
  std::int64_t visible(std::int64_t t) const { return window < 0 ? t + 1 : std::min(t, window) + 1; }
  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && H >= 1 && D >= 1 && Dv >= 1, "softmax_attention: B, T, H, D, Dv = ", B,
                        ", ", T, ", ", H, ", ", D, ", ", Dv, " must all be >= 1");
    require<ShapeError>(std::isfinite(scale) && scale >= 0, "softmax_attention: scale = ", scale,
                        " must be finite and >= 0 (0 means 1/sqrt(D))");
  }
};

inline std::vector<TensorSpec> tensors(const Problem& p) {
  return {{"q", {p.B, p.T, p.H, p.D}, "B,T,H,D", Role::input},
          {"k", {p.B, p.T, p.H, p.D}, "B,T,H,D", Role::input},
          {"v", {p.B, p.T, p.H, p.Dv}, "B,T,H,Dv", Role::input},
          {"o", {p.B, p.T, p.H, p.Dv}, "B,T,H,Dv", Role::output}};
}

// FLOPs: 2 per multiply-add over the visible (t, s) pairs, for S = QK^T (D) and O = PV (Dv).
inline Cost cost(const Problem& p) {
  double pairs = 0;
  for (std::int64_t t = 0; t < p.T; ++t) pairs += static_cast<double>(p.visible(t));
  const double bh = static_cast<double>(p.B * p.H);
  return {2.0 * bh * pairs * static_cast<double>(p.D + p.Dv),
          static_cast<double>(p.B * p.T * p.H) * static_cast<double>(2 * p.D + 2 * p.Dv), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "softmax_attention";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .has_recurrent_form = false, .linear_in_v = true};
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .H = 1, .D = d, .Dv = d, .window = -1, .scale = 0}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .H = 1, .D = 4, .Dv = 4, .window = -1, .scale = 0},
                              {.B = 2, .T = 7, .H = 2, .D = 5, .Dv = 3, .window = -1, .scale = 0},
                              {.B = 1, .T = 16, .H = 1, .D = 8, .Dv = 8, .window = 3, .scale = 0},
                              {.B = 1, .T = 13, .H = 3, .D = 3, .Dv = 6, .window = 0, .scale = 0}};
    if (full)
      g.insert(g.end(), {{.B = 1, .T = 97, .H = 2, .D = 16, .Dv = 16, .window = -1, .scale = 0},
                         {.B = 2, .T = 113, .H = 1, .D = 7, .Dv = 9, .window = 31, .scale = 0.3}});
    return g;
  }
};

}  // namespace menagerie::ops::softmax_attention
