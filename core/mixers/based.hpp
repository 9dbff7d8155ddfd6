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
// (the symmetric-reduced count, although the map materialises 1 + f + f^2 features; docs/mixers.md §6.4).
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/bench_case.hpp"
#include "core/config_key.hpp"
#include "core/contract.hpp"
#include "core/init_law.hpp"
#include "core/mixers/base_conv.hpp"
#include "core/ops/linear_attention.hpp"
#include "core/table_columns.hpp"

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
  static constexpr std::int64_t Problem::*model_width = &Problem::d;
  static std::vector<ConfigKey<Problem>> config_keys() {
    return {int_key("feature_dim", &Problem::f, {.fallback = 16, .min = 1}),
            int_key("heads", &Problem::heads, {.fallback = 1, .min = 1}),
            real_key("eps", &Problem::eps, {.fallback = 1e-12, .min = 0})};
  }
  static std::vector<InitLaw> init_laws() { return {}; }  // nn.Linear weights: the generic laws
  // Based Fig. 2's hybrid: a short BaseConv layer, then Based with f = 8.
  static std::vector<ParamColumn> param_columns(std::int64_t d, std::int64_t N) {
    using base_conv::Conv;
    return {{"based (f=8)",
             {model::LayerMixer::of<base_conv::Contract>(
                  {.B = 1, .T = N, .D = d, .conv = Conv::short_conv, .kernel_size = 3, .l_max = N}),
              model::LayerMixer::of<Contract>({.B = 1, .T = N, .d = d, .f = 8, .heads = 1, .eps = 1e-12})},
             (d * d + 5 * d) + (2 * d * d + 2 * d * 8),
             {13632, 51840, 201984, 797184}}};
  }
  static std::vector<StateColumn> state_columns(std::int64_t d, std::int64_t T) {
    return {{"based f=16 (d D~ + D~)",
             model::LayerMixer::of<Contract>({.B = 1, .T = T, .d = d, .f = 16, .heads = 1, .eps = 1e-12})}};
  }
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .d = d}}};
  }
  // At T = 1, y does not depend on proj_q, proj_k unless eps is O(1): that case uses eps = 0.1.
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .d = 4, .f = 2, .heads = 1, .eps = 0.1},
                              {.B = 2, .T = 7, .d = 5, .f = 3, .heads = 1, .eps = 1e-12},
                              {.B = 1, .T = 16, .d = 6, .f = 2, .heads = 2, .eps = 1e-12},
                              {.B = 1, .T = 13, .d = 3, .f = 3, .heads = 1, .eps = 1e-12}};
    if (full)
      g.insert(g.end(), {{.B = 1, .T = 97, .d = 8, .f = 4, .heads = 1, .eps = 1e-12},
                         {.B = 1, .T = 113, .d = 9, .f = 3, .heads = 3, .eps = 1e-12}});
    return g;
  }
  // GPU conformance (harness/kernels.hpp): T = 1 (eps 0.1, as test_grid), 7, 97, 200, 1025; feature dims 8 and 16
  // (the linear attention's chunked_smem), 24 (Based Fig. 2's) and 5 (its quadratic); head dims 5, 33, 48, 64 and
  // ones split into column blocks of <= 64 (65 as 5 x 13, 128 as 2 x 64, 256 as 4 x 64); two heads.
  static std::vector<Problem> gpu_grid(bool full) {
    std::vector<Problem> g = {{.B = 3, .T = 1, .d = 4, .f = 8, .heads = 1, .eps = 0.1},
                              {.B = 2, .T = 7, .d = 5, .f = 16, .heads = 1, .eps = 1e-12},
                              {.B = 2, .T = 97, .d = 33, .f = 8, .heads = 1, .eps = 1e-12},
                              {.B = 2, .T = 97, .d = 130, .f = 16, .heads = 2, .eps = 1e-12},
                              {.B = 1, .T = 200, .d = 256, .f = 8, .heads = 1, .eps = 1e-12},
                              {.B = 1, .T = 1025, .d = 64, .f = 16, .heads = 1, .eps = 1e-12},
                              {.B = 2, .T = 65, .d = 48, .f = 24, .heads = 1, .eps = 1e-12},
                              {.B = 1, .T = 200, .d = 128, .f = 24, .heads = 1, .eps = 1e-12},
                              {.B = 2, .T = 97, .d = 130, .f = 5, .heads = 2, .eps = 1e-12}};
    if (full) g.push_back({.B = 4, .T = 512, .d = 512, .f = 16, .heads = 1, .eps = 1e-12});
    return g;
  }
  // Benchmarks (bench/kernels_bench.cpp): B = 8, d = 1024, T = 1k-16k, and Zoology's training shapes (B = 256,
  // T = 256, d_model 128 and 512) for the parallel variant; decoding (256 tokens from the empty state at batch 1, 16,
  // 256, d = 1024) for both: the step variant's time per token. Feature dim 16 (Zoology's), one head.
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() {
    std::vector<GpuBenchCase<Problem>> c;
    const std::vector<std::string_view> all = {"fwd", "bwd", "fwdbwd"};
    for (std::int64_t T : {1024, 4096, 16384})
      c.push_back({{.B = 8, .T = T, .d = 1024, .f = 16, .heads = 1}, {"composed_fp32"}, all});
    for (std::int64_t d : {128, 512})
      c.push_back({{.B = 256, .T = 256, .d = d, .f = 16, .heads = 1}, {"composed_fp32"}, all});
    for (std::int64_t B : {1, 16, 256}) c.push_back({{.B = B, .T = 256, .d = 1024, .f = 16, .heads = 1}, {}, {"fwd"}});
    return c;
  }
  static BenchFields bench_fields(const Problem& p) {
    return {{"B", p.B}, {"T", p.T}, {"D", p.d}, {"F", p.f}, {"H", p.heads}};
  }
};

}  // namespace menagerie::mixers::based
