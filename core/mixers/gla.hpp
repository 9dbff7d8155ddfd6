// Contract: the GLA mixer, zoology.mixers.gla.GatedLinearAttention (flash-linear-attention's GLA layer; mixer id
// gla) with the module's defaults: mode chunk (fused_recurrent below 65 tokens: the same map), num_kv_heads = H
// (no MQA), feature_map None, use_short_conv False (the short-conv option is not offered here), use_output_gate True
// with gate_fn swish fused into the RMSNorm (FusedRMSNormSwishGate), elementwise_affine True, norm_eps 1e-5,
// clamp_min None.
//   u [B, T, d] -> y [B, T, d];  H = num_heads, Kd = key_dim = int(d expand_k), Vd = value_dim = int(d expand_v),
//   Dk = Kd / H, Dv = Vd / H, R = gate_low_rank_dim, nz = gate_logit_normalizer.
//   q = u Wq^T, k = u Wk^T  [B, T, Kd] viewed [B, T, H, Dk]   q_proj.weight, k_proj.weight [Kd, d]   (no biases)
//   v = u Wv^T  [B, T, H, Dv]                                 v_proj.weight [Vd, d]
//   gk = logsigmoid((u W0^T) W1^T + b1) / nz  [B, T, H, Dk]   gk_proj.0.weight [R, d], gk_proj.1.weight [Kd, R],
//                                                             gk_proj.1.bias [Kd]
//   o = gated_linear_attention(q, k, v, gk; scale = Dk^-1/2)  [B, T, H, Dv]   (core/ops/gated_linear_attention.hpp)
//       S_t = diag(exp(gk_t)) S_{t-1} + k_t v_t^T,  o_t = scale S_t^T q_t   (per b, h)
//   gt = u Wg^T  [B, T, H, Dv]                                g_proj.weight [Vd, d]
//   n = o / sqrt(mean_Dv(o^2) + 1e-5) * w * gt sigmoid(gt)    per (b, t, h); g_norm_swish_gate.weight w [Dv]
//   y = n.reshape(B, T, Vd) Wo^T                              o_proj.weight [d, Vd]
// The GLA paper (Yang et al. 2023) writes the gate as alpha_t = sigmoid(x_t W1 W2 + b)^(1/tau) with tau = 16, i.e.
// log alpha = logsigmoid(.)/16: the same map. Its output is swish(x Wr + br) * LN(o); the module has no bias on
// g_proj and normalises each head with an RMSNorm (weight, no bias) instead of a LayerNorm.
// Params: 2 d Kd + 2 d Vd + d R + R Kd + Kd + Vd d + Dv, which at Kd = d/2, Vd = d, R = 16, H = 4 is
// 4d^2 + 16d + 17 (d/2) + d/4  (q, k: d^2; v, g, o: 3d^2; gk_proj: 16d + 16 (d/2) + d/2; norm: d/4).
// state_size (zoology GatedLinearAttention.state_size, without short convs): Kd Dv, which is the true recurrent
// state: H matrices S of Dk x Dv.
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
#include "core/ops/gated_linear_attention.hpp"
#include "core/table_columns.hpp"

namespace menagerie::mixers::gla {

struct Problem {
  std::int64_t B = 1, T = 1, d = 1;
  std::int64_t num_heads = 4;
  double expand_k = 0.5, expand_v = 1.0;
  std::int64_t gate_logit_normalizer = 16, gate_low_rank_dim = 16;
  double norm_eps = 1e-5;  // the module's norm_eps (not a config key)

  // int(hidden_size * expand): Python's int() truncates; both factors are positive once validated.
  std::int64_t key_dim() const { return static_cast<std::int64_t>(static_cast<double>(d) * expand_k); }
  std::int64_t value_dim() const { return static_cast<std::int64_t>(static_cast<double>(d) * expand_v); }
  std::int64_t head_k_dim() const { return key_dim() / num_heads; }
  std::int64_t head_v_dim() const { return value_dim() / num_heads; }
  double scale() const { return 1.0 / std::sqrt(static_cast<double>(head_k_dim())); }

  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && d >= 1, "gla: B, T, d = ", B, ", ", T, ", ", d, " must all be >= 1");
    require<ShapeError>(num_heads >= 1 && gate_low_rank_dim >= 1 && gate_logit_normalizer >= 1,
                        "gla: num_heads, gate_low_rank_dim, gate_logit_normalizer = ", num_heads, ", ",
                        gate_low_rank_dim, ", ", gate_logit_normalizer, " must all be >= 1");
    require<ShapeError>(std::isfinite(expand_k) && std::isfinite(expand_v) && expand_k > 0 && expand_v > 0,
                        "gla: expand_k, expand_v = ", expand_k, ", ", expand_v, " must be finite and > 0");
    require<ShapeError>(key_dim() >= num_heads && key_dim() % num_heads == 0, "gla: key_dim = int(d expand_k) = ",
                        key_dim(), " must be a positive multiple of num_heads = ", num_heads);
    require<ShapeError>(value_dim() >= num_heads && value_dim() % num_heads == 0,
                        "gla: value_dim = int(d expand_v) = ", value_dim(), " must be a positive multiple of num_heads = ",
                        num_heads);
    require<InputError>(std::isfinite(norm_eps) && norm_eps > 0, "gla: norm_eps = ", norm_eps, " must be > 0");
  }
};

// The gated_linear_attention operator problem inside the mixer.
inline ops::gated_linear_attention::Problem attention_problem(const Problem& p) {
  return {.B = p.B, .T = p.T, .H = p.num_heads, .Dk = p.head_k_dim(), .Dv = p.head_v_dim(), .scale = p.scale()};
}

// Test ranges: Linear weights in +-1/sqrt(fan_in) (nn.Linear's default bound), the norm weight in [0.5, 1.5].
inline std::vector<TensorSpec> tensors(const Problem& p) {
  const std::int64_t Kd = p.key_dim(), Vd = p.value_dim(), R = p.gate_low_rank_dim;
  const auto bound = [](std::int64_t fan_in) { return 1.0 / std::sqrt(static_cast<double>(fan_in)); };
  return {{"u", {p.B, p.T, p.d}, "B,T,D", Role::input},
          {"q_proj.weight", {Kd, p.d}, "HDk,D", Role::param, -bound(p.d), bound(p.d)},
          {"k_proj.weight", {Kd, p.d}, "HDk,D", Role::param, -bound(p.d), bound(p.d)},
          {"v_proj.weight", {Vd, p.d}, "HDv,D", Role::param, -bound(p.d), bound(p.d)},
          {"g_proj.weight", {Vd, p.d}, "HDv,D", Role::param, -bound(p.d), bound(p.d)},
          {"gk_proj.0.weight", {R, p.d}, "R,D", Role::param, -bound(p.d), bound(p.d)},
          {"gk_proj.1.weight", {Kd, R}, "HDk,R", Role::param, -bound(R), bound(R)},
          {"gk_proj.1.bias", {Kd}, "HDk", Role::param, -bound(R), bound(R)},
          {"o_proj.weight", {p.d, Vd}, "D,HDv", Role::param, -bound(Vd), bound(Vd)},
          {"g_norm_swish_gate.weight", {p.head_v_dim()}, "Dv", Role::param, 0.5, 1.5},
          {"y", {p.B, p.T, p.d}, "B,T,D", Role::output}};
}

inline std::int64_t param_count(const Problem& p) {
  const std::int64_t Kd = p.key_dim(), Vd = p.value_dim(), R = p.gate_low_rank_dim;
  return 2 * p.d * Kd + 2 * p.d * Vd + p.d * R + R * Kd + Kd + Vd * p.d + p.head_v_dim();
}

// zoology GatedLinearAttention.state_size(): key_dim * head_v_dim (no ShortConvolution children here).
inline std::optional<std::int64_t> state_size(const Problem& p) { return p.key_dim() * p.head_v_dim(); }

// FLOPs: the projections (2 per multiply-add), logsigmoid (~10 per key channel), the norm and swish gate (~12 per
// value channel), plus the operator. HBM: u and y once, every parameter once.
inline Cost cost(const Problem& p) {
  const double rows = static_cast<double>(p.B * p.T), d = static_cast<double>(p.d);
  const double Kd = static_cast<double>(p.key_dim()), Vd = static_cast<double>(p.value_dim());
  const double R = static_cast<double>(p.gate_low_rank_dim);
  const double gemm = 2.0 * (2.0 * d * Kd + 3.0 * d * Vd + d * R + R * Kd);
  return {rows * (gemm + 10.0 * Kd + 12.0 * Vd) + ops::gated_linear_attention::cost(attention_problem(p)).flops,
          2.0 * rows * d + static_cast<double>(param_count(p)), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "gla";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .has_recurrent_form = true};
  static constexpr std::array<std::string_view, 0> frozen{};
  static constexpr std::int64_t Problem::*model_width = &Problem::d;
  // zoology's MQAR sweep (experiments/models_repo.py add_gla) sets num_heads = 2 and use_short_conv = False.
  static std::vector<ConfigKey<Problem>> config_keys() {
    return {int_key("num_heads", &Problem::num_heads, {.fallback = 4, .min = 1}),
            real_key("expand_k", &Problem::expand_k, {.fallback = 0.5, .min = 0}),
            real_key("expand_v", &Problem::expand_v, {.fallback = 1.0, .min = 0}),
            int_key("gate_logit_normalizer", &Problem::gate_logit_normalizer, {.fallback = 16, .min = 1}),
            int_key("gate_low_rank_dim", &Problem::gate_low_rank_dim, {.fallback = 16, .min = 1})};
  }
  // zoology's _init_weights (TransformerBlock) covers every Linear (generic laws: N(0, 0.02^2), gk_proj.1.bias 0);
  // the fused norm's weight starts at 1.
  static std::vector<InitLaw> init_laws() { return {{"g_norm_swish_gate.weight", laws::Constant{1.0}}}; }
  // Per layer at the defaults (Kd = d/2, Vd = d, R = 16, H = 4): 4d^2 + 16d + 17 (d/2) + d/4; two layers at
  // d = 64, 128, 256, 512: 2 x 17,968 / 68,704 / 268,480 / 1,061,248.
  static std::vector<ParamColumn> param_columns(std::int64_t d, std::int64_t N) {
    const auto layer = model::LayerMixer::of<Contract>({.B = 1, .T = N, .d = d});
    return {{"gla", {layer, layer}, 2 * (4 * d * d + 16 * d + 17 * (d / 2) + d / 4), {35936, 137408, 536960, 2122496}}};
  }
  static std::vector<StateColumn> state_columns(std::int64_t d, std::int64_t T) {
    return {{"gla (key_dim head_v_dim)", model::LayerMixer::of<Contract>({.B = 1, .T = T, .d = d})}};
  }
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .d = d}}};
  }
  // An odd d needs H = 1 at expand_k = 1/2 (int(d/2) and d share no odd factor), or expand_k = 1.
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {
        {.B = 1, .T = 1, .d = 8, .num_heads = 2, .gate_low_rank_dim = 3},
        {.B = 2, .T = 7, .d = 7, .num_heads = 1, .gate_low_rank_dim = 2},
        {.B = 1, .T = 16, .d = 8, .num_heads = 2, .expand_v = 0.5, .gate_low_rank_dim = 4},
        {.B = 1, .T = 13, .d = 9, .num_heads = 3, .expand_k = 1.0, .gate_logit_normalizer = 4, .gate_low_rank_dim = 5}};
    if (full)
      g.insert(g.end(), {{.B = 1, .T = 97, .d = 16, .num_heads = 4},
                         {.B = 2, .T = 113, .d = 11, .num_heads = 1, .expand_v = 2.0, .gate_low_rank_dim = 3}});
    return g;
  }
};

}  // namespace menagerie::mixers::gla
