// Contract: JRT-RNN's prefix linear attention (PLA; Arora et al. 2024, "Just read twice", arXiv 2407.05483, §4),
// mixer id jrt. Followed: HazyResearch/prefix-linear-attention, based/models/mixers/prefix_linear_attention.py,
// class PrefixLinearAttention, parallel_forward with implementation = "default" (the quadratic view), no mask,
// num_heads = num_heads_kv = H, TaylorExp with scale_dim = None (so sqrt(f) scaling), dropout Identity.
//   u [B, T, d] -> y [B, T, d];  f = feature_dim (per head), Dv = d / H, M = min(enc_length, T) (prefix_length, clipped to
//   the sequence as the module's encoder slice u[:, :enc_length] is).
//   q  = u Wq^T   [B, T, H, f]                       proj_q.weight     [H f, d]   (no biases anywhere)
//   k  = u Wk^T   [B, T, H, f]                       proj_k.weight     [H f, d]
//   v  = u Wv^T   [B, T, H, Dv]                      proj_v.weight     [d, d]
//   ke = u[:M] Wke^T  [B, M, H, f]  (encoder keys)   proj_k_enc.weight [H f, d]
//   ve = u[:M] Wve^T  [B, M, H, Dv] (encoder values) proj_v_enc.weight [d, d]
//   phi = TaylorExp: phi(x).phi(y) = 1 + x.y/sqrt(f) + (x.y)^2/(2f)   (core/ops/linear_attention.hpp's taylor_exp)
//   The paper's PLA equation, for every position i = 0..T-1 (prefix positions included):
//     o_i = phi(q_i)^T (sum_{j<M} phi(ke_j) ve_j^T + sum_{j<=i} phi(k_j) v_j^T)
//           / (phi(q_i)^T (sum_{j<M} phi(ke_j) + sum_{j<=i} phi(k_j)) + eps)               [B, T, H, Dv]
//   y = o.reshape(B, T, d) Wout^T                                       out_proj.weight [d, d]
// Outputs at prefix positions i < M are this same equation: they see the whole prefix through the encoder term
// (non-causal over the prefix) and the decoder term causally; positions i >= M are causal. So y_i depends on u_j
// exactly when j < M or j <= i (traits.causal = false; verify/jrt_test.cpp checks this structure both ways).
// M = 0 is Based (core/mixers/based.hpp) with proj_o.weight named out_proj.weight; the encoder weights are unused.
// Recurrent form (the module's prefill + recurrent_forward): S = sum_{j<M} phi(ke_j) ve_j^T, z = sum_{j<M} phi(ke_j)
// (one pass over the prefix), then the linear_attention step from (S, z) over all T tokens (the prefix read twice).
// Differences from the public code: the attention mask
// (left-padding) and the fla_parallel implementation are not modelled; the module's eps is applied as written,
// added to the denominator once.
// Params 3 H d f + 3 d^2 (= 3d^2 + 3df for one head; Based's plus the encoder's H d f + d^2).
// state_size: Based's, d D~ + H D~ with D~ = f(f+1)/2 + f + 1. The module folds the encoder state into the
// decoder's at prefill (kv_state_dec += kv_state_enc, k_state_dec += k_state_enc), so after the prefix the encoder
// keeps nothing of its own; the module's cache materialises D' = f^2 + f + 1 features, as Based's does.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/config_key.hpp"
#include "core/contract.hpp"
#include "core/init_law.hpp"
#include "core/mixers/base_conv.hpp"
#include "core/ops/linear_attention.hpp"
#include "core/table_columns.hpp"

namespace menagerie::mixers::jrt {

struct Problem {
  std::int64_t B = 1, T = 1, d = 1;
  std::int64_t f = 16;     // feature_dim
  std::int64_t heads = 1;  // num_heads = num_heads_kv
  std::int64_t M = 0;      // enc_length: the prefix the encoder reads non-causally (config key prefix_length)
  double eps = 1e-12;

  std::int64_t head_dim() const { return d / heads; }
  std::int64_t prefix() const { return M < T ? M : T; }  // the encoder's rows: u[:, :M] of a T-token sequence
  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && d >= 1 && f >= 1 && heads >= 1, "jrt: B, T, d, f, heads = ", B, ", ", T,
                        ", ", d, ", ", f, ", ", heads, " must all be >= 1");
    require<ShapeError>(d % heads == 0, "jrt: d = ", d, " is not divisible by heads = ", heads);
    require<ShapeError>(M >= 0, "jrt: prefix_length = ", M, " must be >= 0");
    require<InputError>(std::isfinite(eps) && eps >= 0, "jrt: eps = ", eps, " must be finite and >= 0");
  }
};

// The decoder's linear attention problem (the recurrent form steps it from the encoder's state).
inline ops::linear_attention::Problem attention_problem(const Problem& p) {
  return {.B = p.B, .T = p.T, .H = p.heads, .F = p.f, .Dv = p.head_dim(),
          .feature_map = ops::linear_attention::FeatureMap::taylor_exp, .normalize = true, .eps = p.eps};
}

// Test ranges: weights uniform in +-1/sqrt(d) (nn.Linear's default bound), so q.k/sqrt(f) stays O(1).
inline std::vector<TensorSpec> tensors(const Problem& p) {
  const double w = 1.0 / std::sqrt(static_cast<double>(p.d));
  return {{"u", {p.B, p.T, p.d}, "B,T,D", Role::input},
          {"proj_q.weight", {p.heads * p.f, p.d}, "HF,D", Role::param, -w, w},
          {"proj_k.weight", {p.heads * p.f, p.d}, "HF,D", Role::param, -w, w},
          {"proj_v.weight", {p.d, p.d}, "D,D", Role::param, -w, w},
          {"proj_k_enc.weight", {p.heads * p.f, p.d}, "HF,D", Role::param, -w, w},
          {"proj_v_enc.weight", {p.d, p.d}, "D,D", Role::param, -w, w},
          {"out_proj.weight", {p.d, p.d}, "D,D", Role::param, -w, w},
          {"y", {p.B, p.T, p.d}, "B,T,D", Role::output}};
}

inline std::int64_t param_count(const Problem& p) { return 3 * p.heads * p.f * p.d + 3 * p.d * p.d; }

// As Based's (zoology Based.state_size): H Dv D~ + H D~, independent of T and M.
inline std::optional<std::int64_t> state_size(const Problem& p) {
  const std::int64_t expanded = p.f * (p.f + 1) / 2 + p.f + 1;
  return p.d * expanded + p.heads * expanded;
}

// FLOPs: q, k, v, out projections over T rows (2 B T d (2 H f + 2 d)), k_enc, v_enc over M rows
// (2 B M d (H f + d)), the decoder's linear attention, and the encoder's state: per prefix token and head the feature
// map (2 F'), phi(ke) ve^T (2 F' Dv) and the normaliser (F'). HBM: u and y once, every parameter once.
inline Cost cost(const Problem& p) {
  const auto ap = attention_problem(p);
  const double rows = static_cast<double>(p.B * p.T), prefix = static_cast<double>(p.B * p.prefix());
  const double d = static_cast<double>(p.d), Hf = static_cast<double>(p.heads * p.f);
  const double Fp = static_cast<double>(ap.expanded_dim()), Dv = static_cast<double>(p.head_dim());
  const double encoder = prefix * static_cast<double>(p.heads) * (2.0 * Fp * Dv + 3.0 * Fp);
  return {rows * 2.0 * d * (2.0 * Hf + 2.0 * d) + prefix * 2.0 * d * (Hf + d) +
              ops::linear_attention::cost(ap).flops + encoder,
          2.0 * rows * d + static_cast<double>(param_count(p)), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "jrt";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = false, .has_recurrent_form = true};
  static constexpr std::array<std::string_view, 0> frozen{};  // TaylorExp has no parameters or buffers
  static constexpr std::int64_t Problem::*model_width = &Problem::d;
  // prefix_length 16 = 2 x MQAR's default num_kv_pairs (8): the encoder reads exactly the key-value context, never
  // a query or a label. In a sequence shorter than the prefix the encoder reads all of it (the module's slice).
  static std::vector<ConfigKey<Problem>> config_keys() {
    return {int_key("feature_dim", &Problem::f, {.fallback = 16, .min = 1}),
            int_key("heads", &Problem::heads, {.fallback = 1, .min = 1}),
            int_key("prefix_length", &Problem::M, {.fallback = 16, .min = 0}),
            real_key("eps", &Problem::eps, {.fallback = 1e-12, .min = 0})};
  }
  static std::vector<InitLaw> init_laws() { return {}; }  // six nn.Linear weights: the generic laws
  // Based's column with Based replaced by PLA: [BaseConv short k=3 (d^2 + 5d), jrt f=8 (3d^2 + 3df)] = 4d^2 + 29d:
  // 4 4096 + 29 64 = 18240, 4 16384 + 29 128 = 69248, 4 65536 + 29 256 = 269568, 4 262144 + 29 512 = 1063424.
  static std::vector<ParamColumn> param_columns(std::int64_t d, std::int64_t N) {
    using base_conv::Conv;
    return {{"jrt (f=8)",
             {model::LayerMixer::of<base_conv::Contract>(
                  {.B = 1, .T = N, .D = d, .conv = Conv::short_conv, .kernel_size = 3, .l_max = N}),
              model::LayerMixer::of<Contract>({.B = 1, .T = N, .d = d, .f = 8, .heads = 1, .M = 0, .eps = 1e-12})},
             (d * d + 5 * d) + (3 * d * d + 3 * d * 8),
             {18240, 69248, 269568, 1063424}}};
  }
  static std::vector<StateColumn> state_columns(std::int64_t d, std::int64_t T) {
    return {{"jrt f=16 (d D~ + D~)",
             model::LayerMixer::of<Contract>({.B = 1, .T = T, .d = d, .f = 16, .heads = 1, .M = 0, .eps = 1e-12})}};
  }
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .d = d, .M = T / 2}}};
  }
  // M = 0 (Based), M = T (the whole sequence is the prefix) and M in between; at T = 1, y does not depend on
  // proj_q, proj_k unless eps is O(1) or M = 1: those cases use eps = 0.1.
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .d = 4, .f = 2, .heads = 1, .M = 0, .eps = 0.1},
                              {.B = 1, .T = 1, .d = 4, .f = 2, .heads = 1, .M = 1, .eps = 0.1},
                              {.B = 2, .T = 7, .d = 5, .f = 3, .heads = 1, .M = 3, .eps = 1e-12},
                              {.B = 1, .T = 16, .d = 6, .f = 2, .heads = 2, .M = 0, .eps = 1e-12},
                              {.B = 1, .T = 16, .d = 6, .f = 2, .heads = 2, .M = 5, .eps = 1e-12},
                              {.B = 1, .T = 13, .d = 3, .f = 3, .heads = 1, .M = 13, .eps = 1e-12},
                              {.B = 1, .T = 5, .d = 4, .f = 2, .heads = 1, .M = 8, .eps = 1e-12}};  // M clipped to T
    if (full)
      g.insert(g.end(), {{.B = 1, .T = 97, .d = 8, .f = 4, .heads = 1, .M = 40, .eps = 1e-12},
                         {.B = 1, .T = 113, .d = 9, .f = 3, .heads = 3, .M = 113, .eps = 1e-12}});
    return g;
  }
};

}  // namespace menagerie::mixers::jrt
