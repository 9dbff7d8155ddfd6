// Contract: DeltaNet, zoology.mixers.delta_net.DeltaNet (flash-linear-attention's DeltaNet layer; mixer id deltanet)
// with qk_activation = silu, qk_norm = l2, use_beta, use_short_conv (the module's defaults; the other activations and
// the sum norm are not offered). Yang et al. 2024, "Parallelizing Linear Transformers with the Delta Rule over
// Sequence Length"; allow_neg_eigval: Grazzi et al. 2024, "Unlocking State-Tracking in Linear RNNs Through Negative
// Eigenvalues"; num_householder = n > 1: DeltaProduct, Siems et al. 2025, "DeltaProduct: Improving State-Tracking
// in Linear RNNs via Householder Products" (no zoology module; flash-linear-attention's DeltaProduct layout).
//   u [B, T, d] -> y [B, T, d];  H = num_heads, Kd = int(d expand_k), Vd = int(d expand_v) (Python's int(): toward
//   zero), Dk = Kd / H, Dv = Vd / H, K = conv_size
//   q = SiLU(conv_q(u Wq^T)), k = SiLU(conv_k(u Wk^T))   q_proj.weight [Kd, d], k_proj.weight [n Kd, d];
//                                                        q_conv1d.weight [Kd, 1, K], k_conv1d.weight [n Kd, 1, K]
//                                                        (fla ShortConvolution: depthwise causal Conv1d, no bias,
//                                                        then the activation)
//   v = SiLU(conv_v(u Wv^T))                             v_proj.weight [n Vd, d]; v_conv1d.weight [n Vd, 1, K]
//       conv(x)[t, c] = sum_{j<K} w[c, 0, j] x[t - K + 1 + j, c]            (x at t < 0 is 0)
//   q, k viewed [B, T, H, Dk], then l2norm(x) = x / sqrt(sum_i x_i^2 + 1e-6) per head (fla's l2norm_fwd, which the
//       chunk kernels apply for use_qk_l2norm_in_kernel: eps inside the square root, 1e-6; some fused_recurrent
//       kernels use x / (|x| + 1e-6) instead; for |x| = O(1) the two differ by ~1e-6 relatively)
//   beta = sigmoid(u Wb^T) (x 2 when allow_neg_eigval)   b_proj.weight [n H, d]
//   DeltaProduct (n > 1): k, v, beta hold n Householder steps per token, channels laid out '(n h d)'; the delta rule
//       runs over T n sub-steps ('b t (n h d) -> b (t n) h d'), q enters at each token's last sub-step only (zero
//       elsewhere) and o is read there: S_t = S_{t-1} prod_j (I - beta_tj k_tj k_tj^T) + sum of the value terms.
//   o = delta_rule(q, k, v, beta, g = 0; scale = Dk^-1/2)  operator core/ops/delta_rule.hpp, o [B, T, H, Dv]:
//       S_t = S_{t-1} (I - beta_t k_t k_t^T) + beta_t v_t k_t^T,  o_t = scale S_t q_t
//   use_gate = false: n = RMSNorm(o) = o / sqrt(mean_i o_i^2 + norm_eps) * w per head   o_norm.weight [Dv]
//   use_gate = true:  n = RMSNorm(o) * SiLU(gt), gt = u Wg^T viewed [B, T, H, Dv]      g_proj.weight [Vd, d]
//                     (fla FusedRMSNormSwishGate: rmsnorm(o) w gt sigmoid(gt))
//   y = n.reshape(B, T, Vd) Wo^T                         o_proj.weight [d, Vd]   (no biases anywhere)
// The module runs the kernel on bf16 q, k, v; the reference computes in its scalar throughout.
// Params (none frozen): (1 + n) Kd d + n Vd d + n H d + (Kd + n Kd + n Vd) K + [Vd d] + Dv + d Vd, which at the
// defaults (n = 1, Kd = Vd = d, H = 4, K = 4, no gate) is 4 d^2 + 4d + 12d + d/4 = 4d^2 + 16d + d/4.
// state_size (zoology DeltaNet.state_size, literally): H Dk Dv (= d^2 / 4 at the defaults). The true recurrent
// state adds the three conv windows, (2 Kd + Vd)(K - 1).
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
#include "core/ops/delta_rule.hpp"
#include "core/table_columns.hpp"

namespace menagerie::mixers::deltanet {

struct Problem {
  std::int64_t B = 1, T = 1, d = 1;
  std::int64_t heads = 4;              // zoology num_heads
  double expand_k = 1.0, expand_v = 1.0;
  std::int64_t conv_size = 4;
  bool use_gate = false;
  bool allow_neg_eigval = false;       // beta x 2: eigenvalues of I - beta k k^T in [-1, 1]
  std::int64_t householder = 1;        // DeltaProduct's n_h: delta-rule steps per token
  double norm_eps = 1e-5;

  std::int64_t key_dim() const { return static_cast<std::int64_t>(static_cast<double>(d) * expand_k); }
  std::int64_t value_dim() const { return static_cast<std::int64_t>(static_cast<double>(d) * expand_v); }
  std::int64_t head_k_dim() const { return key_dim() / heads; }
  std::int64_t head_v_dim() const { return value_dim() / heads; }
  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && d >= 1 && heads >= 1 && conv_size >= 1 && householder >= 1,
                        "deltanet: B, T, d, num_heads, conv_size, num_householder = ", B, ", ", T, ", ", d, ", ", heads,
                        ", ", conv_size, ", ", householder, " must all be >= 1");
    require<ShapeError>(std::isfinite(expand_k) && std::isfinite(expand_v) && key_dim() >= heads &&
                            value_dim() >= heads && key_dim() % heads == 0 && value_dim() % heads == 0,
                        "deltanet: key_dim = int(", d, " * expand_k ", expand_k, ") = ", key_dim(),
                        " and value_dim = int(", d, " * expand_v ", expand_v, ") = ", value_dim(),
                        " must be positive multiples of num_heads = ", heads);
    require<InputError>(std::isfinite(norm_eps) && norm_eps >= 0, "deltanet: norm_eps = ", norm_eps,
                        " must be finite and >= 0");
  }
};

// The delta rule operator problem inside the mixer (g = 0), over the T n sub-steps.
inline ops::delta_rule::Problem rule_problem(const Problem& p) {
  return {.B = p.B, .T = p.T * p.householder, .H = p.heads, .Dk = p.head_k_dim(), .Dv = p.head_v_dim(),
          .scale = 1.0 / std::sqrt(static_cast<double>(p.head_k_dim()))};
}

// Test ranges: Linear weights in +-1/sqrt(d) (nn.Linear's default bound), convs in +-1/sqrt(K) (Conv1d's), the
// norm weight in [0.5, 1.5] (1 at init).
inline std::vector<TensorSpec> tensors(const Problem& p) {
  const std::int64_t Kd = p.key_dim(), Vd = p.value_dim(), K = p.conv_size, n = p.householder;
  const double w = 1.0 / std::sqrt(static_cast<double>(p.d)), c = 1.0 / std::sqrt(static_cast<double>(K));
  std::vector<TensorSpec> s = {{"u", {p.B, p.T, p.d}, "B,T,D", Role::input},
                               {"q_proj.weight", {Kd, p.d}, "HD,D", Role::param, -w, w},
                               {"k_proj.weight", {n * Kd, p.d}, "nHD,D", Role::param, -w, w},
                               {"v_proj.weight", {n * Vd, p.d}, "nHDv,D", Role::param, -w, w},
                               {"b_proj.weight", {n * p.heads, p.d}, "nH,D", Role::param, -w, w},
                               {"q_conv1d.weight", {Kd, 1, K}, "HD,1,K", Role::param, -c, c},
                               {"k_conv1d.weight", {n * Kd, 1, K}, "nHD,1,K", Role::param, -c, c},
                               {"v_conv1d.weight", {n * Vd, 1, K}, "nHDv,1,K", Role::param, -c, c}};
  if (p.use_gate) s.push_back({"g_proj.weight", {Vd, p.d}, "HDv,D", Role::param, -w, w});
  s.push_back({"o_norm.weight", {p.head_v_dim()}, "Dv", Role::param, 0.5, 1.5});
  s.push_back({"o_proj.weight", {p.d, Vd}, "D,HDv", Role::param,
               -1.0 / std::sqrt(static_cast<double>(Vd)), 1.0 / std::sqrt(static_cast<double>(Vd))});
  s.push_back({"y", {p.B, p.T, p.d}, "B,T,D", Role::output});
  return s;
}

// q_proj + k_proj + v_proj + b_proj + the three convs (no bias) + g_proj (use_gate) + o_norm + o_proj.
inline std::int64_t param_count(const Problem& p) {
  const std::int64_t Kd = p.key_dim(), Vd = p.value_dim(), K = p.conv_size, n = p.householder;
  return (1 + n) * Kd * p.d + n * Vd * p.d + n * p.heads * p.d + (Kd + n * Kd + n * Vd) * K +
         (p.use_gate ? Vd * p.d : 0) + p.head_v_dim() + p.d * Vd;
}

// zoology DeltaNet.state_size(): num_heads * head_k_dim * head_v_dim, whatever the sequence length.
inline std::optional<std::int64_t> state_size(const Problem& p) {
  return p.heads * p.head_k_dim() * p.head_v_dim();
}

// FLOPs: the projections (2 per multiply-add), the convs (2K per channel), SiLU, the L2 norms, the output norm and
// gate (~15 per channel), plus the delta rule. HBM: u and y once, every parameter once.
inline Cost cost(const Problem& p) {
  const double rows = static_cast<double>(p.B * p.T), d = static_cast<double>(p.d);
  const double Kd = static_cast<double>(p.key_dim()), Vd = static_cast<double>(p.value_dim());
  const double H = static_cast<double>(p.heads), K = static_cast<double>(p.conv_size);
  const double n = static_cast<double>(p.householder);
  const double gemm = 2.0 * d * ((1.0 + n) * Kd + n * (Vd + H) + (p.use_gate ? Vd : 0.0) + Vd);
  return {rows * (gemm + ((1.0 + n) * Kd + n * Vd) * (2.0 * K + 15.0) + 15.0 * Vd) +
              ops::delta_rule::cost(rule_problem(p)).flops,
          2.0 * rows * d + static_cast<double>(param_count(p)), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "deltanet";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .has_recurrent_form = true};
  static constexpr std::array<std::string_view, 0> frozen{};
  static constexpr std::int64_t Problem::*model_width = &Problem::d;
  static std::vector<ConfigKey<Problem>> config_keys() {
    return {int_key("num_heads", &Problem::heads, {.fallback = 4, .min = 1}),
            real_key("expand_k", &Problem::expand_k, {.fallback = 1.0, .min = 0}),
            real_key("expand_v", &Problem::expand_v, {.fallback = 1.0, .min = 0}),
            int_key("conv_size", &Problem::conv_size, {.fallback = 4, .min = 1}),
            choice_key("use_gate", &Problem::use_gate, "false", {{"false", false}, {"true", true}}),
            choice_key("allow_neg_eigval", &Problem::allow_neg_eigval, "false", {{"false", false}, {"true", true}}),
            real_key("norm_eps", &Problem::norm_eps, {.fallback = 1e-5, .min = 0}),
            int_key("num_householder", &Problem::householder, {.fallback = 1, .min = 1})};
  }
  // Linear and conv weights: the generic laws (zoology's _init_weights, Conv1d's default); RMSNorm's weight is 1.
  static std::vector<InitLaw> init_laws() { return {{"o_norm.weight", laws::Constant{1.0}}}; }
  // Two DeltaNet layers at the defaults: 2 (4d^2 + 16d + d/4), from the module's constructor by hand:
  // d = 64: 2 (16384 + 1024 + 16) = 34848;  128: 2 (65536 + 2048 + 32) = 135232;
  // 256: 2 (262144 + 4096 + 64) = 532608;  512: 2 (1048576 + 8192 + 128) = 2113792.
  static std::vector<ParamColumn> param_columns(std::int64_t d, std::int64_t N) {
    const auto layer = model::LayerMixer::of<Contract>({.B = 1, .T = N, .d = d});
    return {{"deltanet", {layer, layer}, 2 * (4 * d * d + 16 * d + d / 4), {34848, 135232, 532608, 2113792}}};
  }
  static std::vector<StateColumn> state_columns(std::int64_t d, std::int64_t T) {
    return {{"deltanet (H Dk Dv)", model::LayerMixer::of<Contract>({.B = 1, .T = T, .d = d})}};
  }
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .d = d, .heads = d % 4 == 0 ? 4 : 1}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .d = 4, .heads = 2, .conv_size = 4},
                              {.B = 2, .T = 7, .d = 5, .heads = 1, .conv_size = 4, .use_gate = true},
                              {.B = 1, .T = 16, .d = 6, .heads = 3, .expand_v = 1.5, .conv_size = 3,
                               .allow_neg_eigval = true},
                              {.B = 1, .T = 13, .d = 5, .heads = 1, .expand_k = 0.6, .conv_size = 2,
                               .use_gate = true, .allow_neg_eigval = true},
                              {.B = 2, .T = 7, .d = 4, .heads = 2, .conv_size = 3, .allow_neg_eigval = true,
                               .householder = 2}};
    if (full)
      g.insert(g.end(), {{.B = 1, .T = 97, .d = 8, .heads = 4, .conv_size = 4},
                         {.B = 2, .T = 113, .d = 7, .heads = 1, .conv_size = 4, .use_gate = true},
                         {.B = 1, .T = 97, .d = 6, .heads = 2, .conv_size = 4, .householder = 3}});
    return g;
  }
};

}  // namespace menagerie::mixers::deltanet
