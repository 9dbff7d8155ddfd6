// Contract: Based linear attention, zoology.mixers.based.Based (mixer id based) with feature_name = "taylor_exp",
// num_heads = num_key_value_heads = H, no rotary, dropout off (Identity). train_view "quadratic" and "linear" are
// the same map; the reference evaluates the quadratic view and, as its recurrent form, the linear (state) view.
//   u [B, T, d] -> y [B, T, d];  f = feature_dim (per head), Dv = d / H (zoology head_dim).
//   q = u Wq^T  [B, T, H f] viewed [B, T, H, f]       proj_q.weight [H f, d]   (no biases anywhere)
//   k = u Wk^T  [B, T, H, f]                          proj_k.weight [H f, d]
//   v = u Wv^T  [B, T, H, Dv]                         proj_v.weight [d, d]
//   o = linear_attention(q, k, v; taylor_exp, normalize, eps)       [B, T, H, Dv]   (core/ops/linear_attention.hpp)
//       o_t = sum_{s<=t} (phi(q_t).phi(k_s)) v_s / (sum_{s<=t} phi(q_t).phi(k_s) + eps),
//       phi(q).phi(k) = 1 + q.k/sqrt(f) + (q.k)^2/(2f)
//   y = o.reshape(B, T, d) Wo^T                        proj_o.weight [d, d]
// Params 2 H d f + 2 d^2 (= 2d^2 + 2df for one head).
// state_size (zoology): H Dv D~ + H D~ = d D~ + H D~ with D~ = TaylorExp.expanded_size() = f(f+1)/2 + f + 1
// (the symmetric-reduced count, although the map materialises 1 + f + f^2 features; specs/mixers.md §6.4).
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/contract.hpp"
#include "core/ops/linear_attention.hpp"

namespace menagerie::mixers::based {

struct Problem {
  std::int64_t B = 1, T = 1, d = 1;
  std::int64_t f = 16;      // zoology feature_dim
  std::int64_t heads = 1;   // zoology num_heads = num_key_value_heads (the MQAR configs use 1)
  double eps = 1e-12;

  std::int64_t head_dim() const { return d / heads; }
  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && d >= 1 && f >= 1 && heads >= 1, "based: B, T, d, f, heads = ", B, ", ",
                        T, ", ", d, ", ", f, ", ", heads, " must all be >= 1");
    require<ShapeError>(d % heads == 0, "based: d = ", d, " is not divisible by heads = ", heads);
    require<InputError>(std::isfinite(eps) && eps >= 0, "based: eps = ", eps, " must be finite and >= 0");
  }
};

// The linear attention operator problem inside the mixer.
inline ops::linear_attention::Problem attention_problem(const Problem& p) {
  return {p.B, p.T, p.heads, p.f, p.head_dim(), ops::linear_attention::FeatureMap::taylor_exp, true, p.eps};
}

// Test ranges: weights uniform in +-1/sqrt(d) (nn.Linear's default bound), so q.k/sqrt(f) stays O(1).
inline std::vector<TensorSpec> tensors(const Problem& p) {
  const double w = 1.0 / std::sqrt(static_cast<double>(p.d));
  return {{"u", {p.B, p.T, p.d}, "B,T,D", Role::input},
          {"proj_q.weight", {p.heads * p.f, p.d}, "HF,D", Role::param, -w, w},
          {"proj_k.weight", {p.heads * p.f, p.d}, "HF,D", Role::param, -w, w},
          {"proj_v.weight", {p.d, p.d}, "D,D", Role::param, -w, w},
          {"proj_o.weight", {p.d, p.d}, "D,D", Role::param, -w, w},
          {"y", {p.B, p.T, p.d}, "B,T,D", Role::output}};
}

inline std::int64_t param_count(const Problem& p) { return 2 * p.heads * p.f * p.d + 2 * p.d * p.d; }

// zoology Based.state_size: num_kv_heads * head_dim * D~ + num_kv_heads * D~ (independent of T).
inline std::optional<std::int64_t> state_size(const Problem& p) {
  const std::int64_t expanded = p.f * (p.f + 1) / 2 + p.f + 1;
  return p.d * expanded + p.heads * expanded;
}

// FLOPs: the four projections (2 B T d (2 H f + 2 d)) plus the linear attention operator.
inline Cost cost(const Problem& p) {
  const auto a = ops::linear_attention::cost(attention_problem(p));
  const double rows = static_cast<double>(p.B * p.T), d = static_cast<double>(p.d);
  return {rows * 2.0 * d * static_cast<double>(2 * p.heads * p.f + 2 * p.d) + a.flops,
          2.0 * rows * d + static_cast<double>(param_count(p)), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "based";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .has_recurrent_form = true};
  static constexpr std::array<std::string_view, 0> frozen{};  // TaylorExp has no parameters or buffers
  // At T = 1, y does not depend on proj_q, proj_k unless eps is O(1): that case uses eps = 0.1.
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{1, 1, 4, 2, 1, 0.1}, {2, 7, 5, 3, 1, 1e-12}, {1, 16, 6, 2, 2, 1e-12},
                              {1, 13, 3, 3, 1, 1e-12}};
    if (full) g.insert(g.end(), {{1, 97, 8, 4, 1, 1e-12}, {1, 113, 9, 3, 3, 1e-12}});
    return g;
  }
};

}  // namespace menagerie::mixers::based
