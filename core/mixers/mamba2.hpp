// Contract: the Mamba-2 mixer, zoology.mixers.mamba2.Mamba2 (mamba_ssm's Mamba2 through mamba_chunk_scan_combined;
// mixer id mamba2) with ngroups = 1, d_ssm = d_inner (no gated-MLP split), rmsnorm True, norm_before_gate False,
// D per head (D_has_hdim False), dt_limit (0, inf), conv_bias True, bias False, conv_init None.
//   u [B, T, d] -> y [B, T, d];  E = expand d (d_inner), N = d_state, K = d_conv, P = headdim, H = E / P heads.
//   [z xBC dt] = u Win^T, widths E, E + 2N, H           in_proj.weight [2E + 2N + H, d], no bias
//   xBC <- SiLU(conv(xBC)), depthwise causal, K taps    conv1d.weight [E + 2N, 1, K], conv1d.bias [E + 2N]
//   [x B C] = xBC, widths E, N, N;  x viewed [B, T, H, P]
//   dt = softplus(dt + dt_bias)  [B, T, H]              dt_bias [H];  A = -exp(A_log)  A_log [H]
//   SSD per head (Dao and Gu 2024, eq. 16 with A_t = a_t I), state h [N, P]:
//     h_t = exp(dt_t A_h) h_{t-1} + B_t (dt_t x_t)^T,  y_t = h_t^T C_t + D_h x_t          D [H]
//   evaluated as gated_linear_attention (core/ops/gated_linear_attention.hpp) with q = C, k = B (both broadcast
//   over the heads), v = dt x, g = dt A broadcast over the N key channels, scale 1; then the D skip.
//   y <- RMSNormGated(y, z) = a / sqrt(mean_E(a^2) + 1e-5) * w,  a = y SiLU(z)    norm.weight w [E] (one group)
//   out = y Wout^T                                      out_proj.weight [d, E], no bias
// mamba_ssm's Triton kernel returns dt + dt_bias itself above 20 instead of its softplus (an error below 2.1e-9
// absolute); the reference uses the exact softplus. As in the paper's Mamba-2 block, x, B, C and dt come from one
// projection of u, the conv covers x, B and C, and an extra normalisation precedes out_proj (here RMSNormGated with
// the gate applied before the norm, over all E channels as one group since ngroups = 1).
// Params: d (2E + 2N + H) + (E + 2N)(K + 1) + 3H + E + E d, which at the module's defaults (E = 2d, N = 128,
// K = 4, P = 64, H = d/32) is 6d^2 + d^2/32 + 268d + 3d/32 + 1280 (the block's RMSNorm, +d, is Mamba2Block's).
// state_size (zoology Mamba2.state_size, literally): 2 d N. The true recurrent state is H N P = E N (SSD) plus
// (E + 2N)(K - 1) (the conv window).
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
#include "core/ops/gated_linear_attention.hpp"
#include "core/random.hpp"
#include "core/table_columns.hpp"

namespace menagerie::mixers::mamba2 {

struct Problem {
  std::int64_t B = 1, T = 1, d = 1;
  std::int64_t d_state = 128, d_conv = 4, expand = 2, headdim = 64;
  double norm_eps = 1e-5;  // RMSNormGated's eps (not a config key)

  std::int64_t d_inner() const { return expand * d; }
  std::int64_t nheads() const { return d_inner() / headdim; }
  std::int64_t conv_dim() const { return d_inner() + 2 * d_state; }
  std::int64_t in_proj_dim() const { return 2 * d_inner() + 2 * d_state + nheads(); }
  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && d >= 1, "mamba2: B, T, d = ", B, ", ", T, ", ", d, " must all be >= 1");
    require<ShapeError>(d_state >= 1 && d_conv >= 1 && expand >= 1 && headdim >= 1,
                        "mamba2: d_state, d_conv, expand, headdim = ", d_state, ", ", d_conv, ", ", expand, ", ",
                        headdim, " must all be >= 1");
    require<ShapeError>(d_inner() % headdim == 0, "mamba2: d_inner = expand d = ", d_inner(),
                        " must be a multiple of headdim = ", headdim);
    require<InputError>(std::isfinite(norm_eps) && norm_eps > 0, "mamba2: norm_eps = ", norm_eps, " must be > 0");
  }
};

// The gated_linear_attention operator problem inside the mixer: H heads, Dk = N, Dv = P, scale 1.
inline ops::gated_linear_attention::Problem attention_problem(const Problem& p) {
  return {.B = p.B, .T = p.T, .H = p.nheads(), .Dk = p.d_state, .Dv = p.headdim, .scale = 1.0};
}

// Test ranges: Linear weights in +-1/sqrt(fan_in) (nn.Linear's default bound), conv in +-1/sqrt(K); dt_bias in
// [-2, 0]; A_log in [-1, 1] (A in [-2.7, -0.37]); the norm weight in [0.5, 1.5].
inline std::vector<TensorSpec> tensors(const Problem& p) {
  const std::int64_t E = p.d_inner(), H = p.nheads(), K = p.d_conv, C = p.conv_dim();
  const auto bound = [](std::int64_t fan_in) { return 1.0 / std::sqrt(static_cast<double>(fan_in)); };
  return {{"u", {p.B, p.T, p.d}, "B,T,D", Role::input},
          {"in_proj.weight", {p.in_proj_dim(), p.d}, "2E+2N+H,D", Role::param, -bound(p.d), bound(p.d)},
          {"conv1d.weight", {C, 1, K}, "E+2N,1,K", Role::param, -bound(K), bound(K)},
          {"conv1d.bias", {C}, "E+2N", Role::param, -bound(K), bound(K)},
          {"dt_bias", {H}, "H", Role::param, -2, 0},
          {"A_log", {H}, "H", Role::param},
          {"D", {H}, "H", Role::param},
          {"norm.weight", {E}, "E", Role::param, 0.5, 1.5},
          {"out_proj.weight", {p.d, E}, "D,E", Role::param, -bound(E), bound(E)},
          {"y", {p.B, p.T, p.d}, "B,T,D", Role::output}};
}

inline std::int64_t param_count(const Problem& p) {
  const std::int64_t E = p.d_inner(), H = p.nheads();
  return p.d * p.in_proj_dim() + p.conv_dim() * (p.d_conv + 1) + 3 * H + E + E * p.d;
}

// zoology Mamba2.state_size(): 2 * d_model * d_state, whatever the sequence length.
inline std::optional<std::int64_t> state_size(const Problem& p) { return 2 * p.d * p.d_state; }

// FLOPs: the two projections (2 per multiply-add), the conv (2K per channel), SiLU (~5 per conv channel), softplus
// (~10 per head), D skip, gate and norm (~12 per inner channel), plus the operator. HBM: u and y once, every
// parameter once.
inline Cost cost(const Problem& p) {
  const double rows = static_cast<double>(p.B * p.T), d = static_cast<double>(p.d);
  const double E = static_cast<double>(p.d_inner()), H = static_cast<double>(p.nheads());
  const double C = static_cast<double>(p.conv_dim()), K = static_cast<double>(p.d_conv);
  const double gemm = 2.0 * (d * static_cast<double>(p.in_proj_dim()) + E * d);
  return {rows * (gemm + C * (2.0 * K + 5.0) + 10.0 * H + 12.0 * E) +
              ops::gated_linear_attention::cost(attention_problem(p)).flops,
          2.0 * rows * d + static_cast<double>(param_count(p)), 2.5};
}

// A_log = ln(A), A ~ U[1, 16] (A_init_range), one per head.
inline void init_a_log(Tensor<double>& t, const InitTarget& x) {
  fill_uniform(t.view(), x.seed, x.stream, 1.0, 16.0);
  for (std::int64_t i = 0; i < t.numel(); ++i) t.data()[i] = std::log(t.data()[i]);
}

struct Contract {
  static constexpr std::string_view id = "mamba2";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .has_recurrent_form = true};
  static constexpr std::array<std::string_view, 0> frozen{};  // A_log, D, dt_bias are trained (no weight decay only)
  static constexpr std::int64_t Problem::*model_width = &Problem::d;
  // zoology's MQAR sweep (experiments/models_repo.py add_mamba2) sets d_state in {8, 16, 24} at d = 64, 128, 256
  // and keeps the rest at the module's defaults (headdim 64: H = d/32).
  static std::vector<ConfigKey<Problem>> config_keys() {
    return {int_key("d_state", &Problem::d_state, {.fallback = 128, .min = 1}),
            int_key("d_conv", &Problem::d_conv, {.fallback = 4, .min = 1}),
            int_key("expand", &Problem::expand, {.fallback = 2, .min = 1}),
            int_key("headdim", &Problem::headdim, {.fallback = 64, .min = 1})};
  }
  // zoology's _init_weights for Mamba blocks keeps PyTorch's Linear init (bias-free here), out_proj.weight's bound
  // divided by sqrt(n_layers); dt_bias = softplus^-1(dt), dt ~ logU[1e-3, 1e-1] floored at 1e-4 (Mamba's law);
  // A_log = ln U[1, 16]; D = 1; norm.weight = 1. The conv follows the generic Conv1d law.
  static std::vector<InitLaw> init_laws() {
    return {{"in_proj.weight", laws::FanInUniform{}},
            {"out_proj.weight", laws::FanInUniform{.depth_scaled = true}},
            {"dt_bias", laws::Custom{"dt_softplus_inverse", &mamba::init_dt_bias}},
            {"A_log", laws::Custom{"log_uniform_1_16", &init_a_log}},
            {"D", laws::Constant{1.0}},
            {"norm.weight", laws::Constant{1.0}}};
  }
  // Per layer at the module's defaults: 6d^2 + d^2/32 + 268d + 3d/32 + 1280; two layers at d = 64, 128, 256, 512:
  // 2 x 43,142 / 134,412 / 465,176 / 1,719,600.
  static std::vector<ParamColumn> param_columns(std::int64_t d, std::int64_t N) {
    const auto layer = model::LayerMixer::of<Contract>({.B = 1, .T = N, .d = d});
    return {{"mamba2", {layer, layer}, 2 * (6 * d * d + d * d / 32 + 268 * d + 3 * d / 32 + 1280),
             {86284, 268824, 930352, 3439200}}};
  }
  static std::vector<StateColumn> state_columns(std::int64_t d, std::int64_t T) {
    return {{"mamba2 (2 d d_state)", model::LayerMixer::of<Contract>({.B = 1, .T = T, .d = d})}};
  }
  // d_state 16 (the middle of zoology's MQAR sweep); headdim 64 where 2d divides by it, else one head.
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .d = d, .d_state = 16, .headdim = d % 32 == 0 ? 64 : 2 * d}}};
  }
  // Small N H at the long lengths: the quadratic operator takes H N T^2 / 2 exponentials per forward, in Mp.
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .d = 3, .d_state = 2, .d_conv = 4, .expand = 2, .headdim = 3},
                              {.B = 2, .T = 7, .d = 5, .d_state = 3, .d_conv = 4, .expand = 2, .headdim = 5},
                              {.B = 1, .T = 16, .d = 4, .d_state = 4, .d_conv = 4, .expand = 2, .headdim = 2},
                              {.B = 1, .T = 13, .d = 3, .d_state = 5, .d_conv = 3, .expand = 1, .headdim = 1}};
    if (full)
      g.insert(g.end(), {{.B = 1, .T = 97, .d = 8, .d_state = 4, .d_conv = 4, .expand = 2, .headdim = 8},
                         {.B = 2, .T = 113, .d = 7, .d_state = 5, .d_conv = 4, .expand = 2, .headdim = 7}});
    return g;
  }
};

}  // namespace menagerie::mixers::mamba2
