// Contract: Gated DeltaNet, zoology.mixers.gated_delta_net.GatedDeltaNet (flash-linear-attention's GatedDeltaNet
// layer as zoology adapts it; mixer id gated_deltanet). Yang, Kautz, Hatamizadeh 2024, "Gated Delta Networks:
// Improving Mamba2 with Delta Rule".
//   u [B, T, d] -> y [B, T, d];  H = num_heads, Dk = d / H (zoology's head_dim = hidden_size // num_heads; its
//   head_dim argument is commented out), Kd = H Dk (<= d), Vd = Kd expand_v, Dv = Dk expand_v, K = conv_size
//   q = SiLU(conv_q(u Wq^T)), k = SiLU(conv_k(u Wk^T))   q_proj.weight, k_proj.weight [Kd, d]; q_conv1d.weight,
//                                                        k_conv1d.weight [Kd, 1, K] (fla ShortConvolution: depthwise
//                                                        causal Conv1d, no bias, then SiLU)
//   v = SiLU(conv_v(u Wv^T))                             v_proj.weight [Vd, d]; v_conv1d.weight [Vd, 1, K]
//       conv(x)[t, c] = sum_{j<K} w[c, 0, j] x[t - K + 1 + j, c]            (x at t < 0 is 0)
//   q, k viewed [B, T, H, Dk], l2norm(x) = x / sqrt(sum_i x_i^2 + 1e-6) per head (use_qk_l2norm_in_kernel; fla's
//       l2norm_fwd, eps inside the square root)
//   beta = sigmoid(u Wb^T)                               b_proj.weight [H, d]
//   g = -exp(A_log) softplus(u Wa^T + dt_bias)           a_proj.weight [H, d], A_log [H], dt_bias [H]  (log decay)
//   o = delta_rule(q, k, v, beta, g; scale = Dk^-1/2)    operator core/ops/delta_rule.hpp, o [B, T, H, Dv]:
//       S_t = exp(g_t) S_{t-1} (I - beta_t k_t k_t^T) + beta_t v_t k_t^T,  o_t = scale S_t q_t
//   use_gate = true (default): n = RMSNorm(o) SiLU(gt), gt = u Wg^T viewed [B, T, H, Dv]   g_proj.weight [Vd, d]
//       (fla FusedRMSNormSwishGate: o / sqrt(mean_i o_i^2 + norm_eps) w gt sigmoid(gt), per head; o_norm.weight [Dv])
//   use_gate = false: n = RMSNorm(o)
//   y = n.reshape(B, T, Vd) Wo^T                         o_proj.weight [d, Vd]   (no biases anywhere)
//   D [H] (ones) is a parameter of the module that its forward never reads: it is in the state_dict and the count,
//   and its gradient is 0.
// The module casts q, k, v, beta, g to bf16 before the kernel; the reference computes in its scalar throughout.
// Params (none frozen): 2 Kd d + Vd d + 2 H d + 3 H + (2 Kd + Vd) K + [Vd d] + Dv + d Vd; at the defaults (H = 6,
// expand_v = 2, K = 4, gate): 2 Kd d + 3 Vd d + 12 d + 18 + 4 (2 Kd + Vd) + Dv with Kd = 6 (d / 6), Vd = 2 Kd.
// state_size (zoology GatedDeltaNet.state_size, literally): H Dk Dv. The true recurrent state adds the three conv
// windows, (2 Kd + Vd)(K - 1).
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
#include "core/mixers/mamba.hpp"
#include "core/ops/delta_rule.hpp"
#include "core/random.hpp"
#include "core/table_columns.hpp"

namespace menagerie::mixers::gated_deltanet {

struct Problem {
  std::int64_t B = 1, T = 1, d = 1;
  std::int64_t heads = 6;    // zoology num_heads
  std::int64_t expand_v = 2;  // an integer: value_dim = key_dim * expand_v sizes an nn.Linear
  std::int64_t conv_size = 4;
  bool use_gate = true;
  double norm_eps = 1e-5;

  std::int64_t head_k_dim() const { return d / heads; }
  std::int64_t head_v_dim() const { return head_k_dim() * expand_v; }
  std::int64_t key_dim() const { return heads * head_k_dim(); }
  std::int64_t value_dim() const { return key_dim() * expand_v; }
  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && d >= 1 && heads >= 1 && expand_v >= 1 && conv_size >= 1,
                        "gated_deltanet: B, T, d, num_heads, expand_v, conv_size = ", B, ", ", T, ", ", d, ", ", heads,
                        ", ", expand_v, ", ", conv_size, " must all be >= 1");
    require<ShapeError>(d >= heads, "gated_deltanet: head_dim = d // num_heads = ", d, " // ", heads,
                        " = 0; expected num_heads <= d");
    require<InputError>(std::isfinite(norm_eps) && norm_eps >= 0, "gated_deltanet: norm_eps = ", norm_eps,
                        " must be finite and >= 0");
  }
};

// The gated delta rule operator problem inside the mixer.
inline ops::delta_rule::Problem rule_problem(const Problem& p) {
  return {.B = p.B, .T = p.T, .H = p.heads, .Dk = p.head_k_dim(), .Dv = p.head_v_dim(),
          .scale = 1.0 / std::sqrt(static_cast<double>(p.head_k_dim()))};
}

// Test ranges: Linear weights in +-1/sqrt(fan_in), convs in +-1/sqrt(K); A_log in [-1, 1], dt_bias in [-2, 0]
// (softplus in [0.13, 0.69]), so the log decay is in [-1.9, -0.05]; norm weight and D in [0.5, 1.5].
inline std::vector<TensorSpec> tensors(const Problem& p) {
  const std::int64_t Kd = p.key_dim(), Vd = p.value_dim(), K = p.conv_size;
  const double w = 1.0 / std::sqrt(static_cast<double>(p.d)), c = 1.0 / std::sqrt(static_cast<double>(K));
  std::vector<TensorSpec> s = {{"u", {p.B, p.T, p.d}, "B,T,D", Role::input},
                               {"q_proj.weight", {Kd, p.d}, "HD,D", Role::param, -w, w},
                               {"k_proj.weight", {Kd, p.d}, "HD,D", Role::param, -w, w},
                               {"v_proj.weight", {Vd, p.d}, "HDv,D", Role::param, -w, w},
                               {"b_proj.weight", {p.heads, p.d}, "H,D", Role::param, -w, w},
                               {"a_proj.weight", {p.heads, p.d}, "H,D", Role::param, -w, w},
                               {"A_log", {p.heads}, "H", Role::param},
                               {"D", {p.heads}, "H", Role::param, 0.5, 1.5},
                               {"dt_bias", {p.heads}, "H", Role::param, -2, 0},
                               {"q_conv1d.weight", {Kd, 1, K}, "HD,1,K", Role::param, -c, c},
                               {"k_conv1d.weight", {Kd, 1, K}, "HD,1,K", Role::param, -c, c},
                               {"v_conv1d.weight", {Vd, 1, K}, "HDv,1,K", Role::param, -c, c}};
  if (p.use_gate) s.push_back({"g_proj.weight", {Vd, p.d}, "HDv,D", Role::param, -w, w});
  s.push_back({"o_norm.weight", {p.head_v_dim()}, "Dv", Role::param, 0.5, 1.5});
  s.push_back({"o_proj.weight", {p.d, Vd}, "D,HDv", Role::param,
               -1.0 / std::sqrt(static_cast<double>(Vd)), 1.0 / std::sqrt(static_cast<double>(Vd))});
  s.push_back({"y", {p.B, p.T, p.d}, "B,T,D", Role::output});
  return s;
}

// q_proj + k_proj + v_proj + b_proj + a_proj + A_log, D, dt_bias + the three convs (no bias) + g_proj (use_gate) +
// o_norm + o_proj.
inline std::int64_t param_count(const Problem& p) {
  const std::int64_t Kd = p.key_dim(), Vd = p.value_dim(), K = p.conv_size;
  return 2 * Kd * p.d + Vd * p.d + 2 * p.heads * p.d + 3 * p.heads + (2 * Kd + Vd) * K +
         (p.use_gate ? Vd * p.d : 0) + p.head_v_dim() + p.d * Vd;
}

// zoology GatedDeltaNet.state_size(): num_heads * head_k_dim * head_v_dim, whatever the sequence length.
inline std::optional<std::int64_t> state_size(const Problem& p) {
  return p.heads * p.head_k_dim() * p.head_v_dim();
}

// FLOPs: the projections (2 per multiply-add), the convs (2K per channel), SiLU, the L2 norms, the gates and the
// output norm (~15 per channel), plus the delta rule. HBM: u and y once, every parameter once.
inline Cost cost(const Problem& p) {
  const double rows = static_cast<double>(p.B * p.T), d = static_cast<double>(p.d);
  const double Kd = static_cast<double>(p.key_dim()), Vd = static_cast<double>(p.value_dim());
  const double H = static_cast<double>(p.heads), K = static_cast<double>(p.conv_size);
  const double gemm = 2.0 * d * (2.0 * Kd + Vd + 2.0 * H + (p.use_gate ? Vd : 0.0) + Vd);
  return {rows * (gemm + (2.0 * Kd + Vd) * (2.0 * K + 15.0) + 15.0 * Vd + 30.0 * H) +
              ops::delta_rule::cost(rule_problem(p)).flops,
          2.0 * rows * d + static_cast<double>(param_count(p)), 2.5};
}

// The module's A_log = log(A), A ~ U(0, 16) per head.
inline void init_a_log(Tensor<double>& t, const InitTarget& x) {
  fill_uniform(t.view(), x.seed, x.stream, 0.0, 16.0);
  for (std::int64_t i = 0; i < t.numel(); ++i) t.data()[i] = std::log(t.data()[i]);
}

struct Contract {
  static constexpr std::string_view id = "gated_deltanet";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .has_recurrent_form = true};
  static constexpr std::array<std::string_view, 0> frozen{};  // A_log, D, dt_bias: no weight decay, but trained
  static constexpr std::int64_t Problem::*model_width = &Problem::d;
  static std::vector<ConfigKey<Problem>> config_keys() {
    return {int_key("num_heads", &Problem::heads, {.fallback = 6, .min = 1}),
            int_key("expand_v", &Problem::expand_v, {.fallback = 2, .min = 1}),
            int_key("conv_size", &Problem::conv_size, {.fallback = 4, .min = 1}),
            choice_key("use_gate", &Problem::use_gate, "true", {{"false", false}, {"true", true}}),
            real_key("norm_eps", &Problem::norm_eps, {.fallback = 1e-5, .min = 0})};
  }
  // Linear and conv weights: the generic laws. dt_bias: mamba's softplus^-1 of logU[1e-3, 1e-1] floored at 1e-4
  // (the module's dt_min, dt_max, dt_init_floor); A_log = log U(0, 16); D and RMSNorm's weight 1.
  static std::vector<InitLaw> init_laws() {
    return {{"A_log", laws::Custom{"log_uniform_0_16", &init_a_log}},
            {"D", laws::Constant{1.0}},
            {"dt_bias", laws::Custom{"dt_softplus_inverse", &mamba::init_dt_bias}},
            {"o_norm.weight", laws::Constant{1.0}}};
  }
  // Two layers at the defaults, from the module's constructor by hand (Dk = d // 6, Kd = 6 Dk, Vd = 2 Kd, Dv = 2 Dk):
  // 2 (2 Kd d + 3 Vd d + 12 d + 18 + 4 (2 Kd + Vd) + Dv):
  // d = 64 (Dk 10):  2 (7680 + 23040 + 768 + 18 + 960 + 20) = 64972
  // d = 128 (Dk 21): 2 (32256 + 96768 + 1536 + 18 + 2016 + 42) = 265272
  // d = 256 (Dk 42): 2 (129024 + 387072 + 3072 + 18 + 4032 + 84) = 1046604
  // d = 512 (Dk 85): 2 (522240 + 1566720 + 6144 + 18 + 8160 + 170) = 4206904
  static std::vector<ParamColumn> param_columns(std::int64_t d, std::int64_t N) {
    const auto layer = model::LayerMixer::of<Contract>({.B = 1, .T = N, .d = d});
    const std::int64_t Dk = d / 6, Kd = 6 * Dk, Vd = 2 * Kd;
    return {{"gated_deltanet", {layer, layer},
             2 * (2 * Kd * d + 3 * Vd * d + 12 * d + 18 + 4 * (2 * Kd + Vd) + 2 * Dk),
             {64972, 265272, 1046604, 4206904}}};
  }
  static std::vector<StateColumn> state_columns(std::int64_t d, std::int64_t T) {
    return {{"gated_deltanet (H Dk Dv)", model::LayerMixer::of<Contract>({.B = 1, .T = T, .d = d})}};
  }
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .d = d, .heads = d >= 6 ? 6 : 1}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .d = 4, .heads = 2, .expand_v = 2, .conv_size = 4},
                              {.B = 2, .T = 7, .d = 5, .heads = 1, .expand_v = 1, .conv_size = 4},
                              {.B = 1, .T = 16, .d = 7, .heads = 2, .expand_v = 2, .conv_size = 3,
                               .use_gate = false},
                              {.B = 1, .T = 13, .d = 6, .heads = 2, .expand_v = 1, .conv_size = 2}};
    if (full)
      g.insert(g.end(), {{.B = 1, .T = 97, .d = 12, .heads = 6, .expand_v = 2, .conv_size = 4},
                         {.B = 2, .T = 113, .d = 7, .heads = 1, .expand_v = 2, .conv_size = 4}});
    return g;
  }
};

}  // namespace menagerie::mixers::gated_deltanet
