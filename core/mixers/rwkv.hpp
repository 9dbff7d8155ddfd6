// Contract: the RWKV-4 time mixer, zoology.mixers.rwkv.RWKVTimeMixer (mixer id rwkv).
//   u [B, T, d] -> y [B, T, d]
//   x'_t = u_{t-1} (0 at t = 0)                                 token shift (nn.ZeroPad2d((0, 0, 1, -1)))
//   xk = mu_k u + (1 - mu_k) x',  xv, xr likewise              time_mix_k, time_mix_v, time_mix_r [1, 1, d]
//   k = xk Wk^T, v = xv Wv^T, r = xr Wr^T                       key.weight, value.weight, receptance.weight [d, d]
//   wkv = WKV(k, v; time_decay, time_first)                    operator core/ops/wkv.hpp, time_decay/first [d]
//   y = (sigmoid(r) * wkv) Wo^T                                 output.weight [d, d]; no biases anywhere
// zoology runs WKV in fp32 and returns it rounded to bf16 (RWKV_FLOAT_MODE=bf16); this contract and its reference
// compute it exactly in the scalar type (no rounding), by the kernel's stable recurrence.
// Params 4d^2 + 5d (trainable, none frozen). state_size: zoology's module has no state_size method, so nullopt (and
// the model-level state size is None). The true recurrent state is the WKV state (p, q, o) per channel plus the
// previous token u_{t-1}: 4d numbers.
// Init (zoology, all layers built with n_layer = 12 since the model never passes its depth; c = channel, l = layer):
//   time_decay_c = -5 + 8 (c/(d-1))^{0.7 + 1.3 l/(n_layer-1)};   time_first_c = ln 0.3 + 0.5 ((c+1) mod 3 - 1)
//   mu_k,c = (c/d)^{1 - l/n_layer};  mu_v,c = mu_k,c + 0.3 l/(n_layer-1);  mu_r,c = (c/d)^{0.5 (1 - l/n_layer)}
// (the Linear weights are re-drawn by the model's _init_weights, docs/mixers.md §2.1).
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
#include "core/ops/wkv.hpp"
#include "core/table_columns.hpp"

namespace menagerie::mixers::rwkv {

struct Problem {
  std::int64_t B = 1, T = 1, d = 1;

  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && d >= 1, "rwkv: B, T, d = ", B, ", ", T, ", ", d, " must all be >= 1");
  }
};

// The WKV operator problem inside the mixer.
inline ops::wkv::Problem wkv_problem(const Problem& p) { return {.B = p.B, .T = p.T, .D = p.d}; }

// Test ranges: Linear weights in +-1/sqrt(d) (nn.Linear's default bound); mixes in [0, 1] as the init gives;
// time_decay in [-2, 1] (w in [0.14, 2.7]).
inline std::vector<TensorSpec> tensors(const Problem& p) {
  const double w = 1.0 / std::sqrt(static_cast<double>(p.d));
  return {{"u", {p.B, p.T, p.d}, "B,T,D", Role::input},
          {"time_decay", {p.d}, "D", Role::param, -2, 1},
          {"time_first", {p.d}, "D", Role::param},
          {"time_mix_k", {1, 1, p.d}, "1,1,D", Role::param, 0, 1},
          {"time_mix_v", {1, 1, p.d}, "1,1,D", Role::param, 0, 1},
          {"time_mix_r", {1, 1, p.d}, "1,1,D", Role::param, 0, 1},
          {"key.weight", {p.d, p.d}, "D,D", Role::param, -w, w},
          {"value.weight", {p.d, p.d}, "D,D", Role::param, -w, w},
          {"receptance.weight", {p.d, p.d}, "D,D", Role::param, -w, w},
          {"output.weight", {p.d, p.d}, "D,D", Role::param, -w, w},
          {"y", {p.B, p.T, p.d}, "B,T,D", Role::output}};
}

inline std::int64_t param_count(const Problem& p) { return 4 * p.d * p.d + 5 * p.d; }

// zoology's RWKVTimeMixer has no state_size method.
inline std::optional<std::int64_t> state_size(const Problem&) { return std::nullopt; }

// FLOPs: four d x d projections (8 d^2 per token), the three token-shift mixes (3 x 3 per channel), sigmoid and
// gate (5 per channel), plus the WKV operator. HBM: u and y once, every parameter once.
inline Cost cost(const Problem& p) {
  const double rows = static_cast<double>(p.B * p.T), d = static_cast<double>(p.d);
  return {rows * (8.0 * d * d + 14.0 * d) + ops::wkv::cost(wkv_problem(p)).flops,
          2.0 * rows * d + static_cast<double>(param_count(p)), 2.5};
}

// zoology's init of the time_* parameters (formulas above), exactly in double (torch rounds them to fp32):
// time_decay, time_first [d]; time_mix_k, time_mix_v, time_mix_r [1, 1, d]. Needs d >= 2, n_layer >= 2 and
// 0 <= layer_idx < n_layer.
inline Named<double> time_init(std::int64_t d, std::int64_t layer_idx, std::int64_t n_layer = 12) {
  require<InputError>(d >= 2 && n_layer >= 2 && layer_idx >= 0 && layer_idx < n_layer, "rwkv init: d = ", d,
                      ", layer_idx = ", layer_idx, ", n_layer = ", n_layer,
                      "; expected d >= 2, n_layer >= 2 and 0 <= layer_idx < n_layer");
  const double ratio_0_to_1 = static_cast<double>(layer_idx) / static_cast<double>(n_layer - 1);
  const double ratio_1_to_almost0 = 1.0 - static_cast<double>(layer_idx) / static_cast<double>(n_layer);
  Tensor<double> decay({d}), first({d}), mk({1, 1, d}), mv({1, 1, d}), mr({1, 1, d});
  for (std::int64_t c = 0; c < d; ++c) {
    const double x = static_cast<double>(c) / static_cast<double>(d);
    decay(c) = -5.0 + 8.0 * std::pow(static_cast<double>(c) / static_cast<double>(d - 1), 0.7 + 1.3 * ratio_0_to_1);
    first(c) = std::log(0.3) + 0.5 * static_cast<double>((c + 1) % 3 - 1);
    mk(0, 0, c) = std::pow(x, ratio_1_to_almost0);
    mv(0, 0, c) = std::pow(x, ratio_1_to_almost0) + 0.3 * ratio_0_to_1;
    mr(0, 0, c) = std::pow(x, 0.5 * ratio_1_to_almost0);
  }
  Named<double> out;
  out.emplace("time_decay", std::move(decay));
  out.emplace("time_first", std::move(first));
  out.emplace("time_mix_k", std::move(mk));
  out.emplace("time_mix_v", std::move(mv));
  out.emplace("time_mix_r", std::move(mr));
  return out;
}

// The init law of the time_* parameters: time_init's tensor of that name, at the model's layer, n_layer = 12.
inline void init_time(Tensor<double>& t, const InitTarget& x) {
  const auto all = time_init(x.shape.back(), x.layer, 12);
  const auto it = all.find(x.name);
  require<InputError>(it != all.end(), "rwkv init: no time_init law for '", x.name, "'");
  t = it->second;
}

struct Contract {
  static constexpr std::string_view id = "rwkv";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .has_recurrent_form = true};
  static constexpr std::array<std::string_view, 0> frozen{};  // every state_dict tensor is trained
  static constexpr std::int64_t Problem::*model_width = &Problem::d;
  static std::vector<ConfigKey<Problem>> config_keys() { return {}; }  // no hyper-parameters besides d
  static std::vector<InitLaw> init_laws() { return {{"time_*", laws::Custom{"rwkv_time_init", &init_time}}}; }
  static std::vector<ParamColumn> param_columns(std::int64_t d, std::int64_t N) {
    const auto layer = model::LayerMixer::of<Contract>({.B = 1, .T = N, .d = d});
    return {{"rwkv", {layer, layer}, 2 * (4 * d * d + 5 * d), {33408, 132352, 526848, 2102272}}};
  }
  static std::vector<StateColumn> state_columns(std::int64_t d, std::int64_t T) {
    return {{"rwkv", model::LayerMixer::of<Contract>({.B = 1, .T = T, .d = d})}};
  }
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .d = d}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .d = 3}, {.B = 2, .T = 7, .d = 5}, {.B = 1, .T = 16, .d = 4},
                              {.B = 1, .T = 13, .d = 6}};
    if (full) g.insert(g.end(), {{.B = 1, .T = 97, .d = 8}, {.B = 2, .T = 113, .d = 7}});
    return g;
  }
  // GPU conformance (harness/kernels.hpp): T = 1, 7, 97 (WKV's 64-token chunks cut), 1025; widths off the 32-channel
  // blocks.
  static std::vector<Problem> gpu_grid(bool full) {
    std::vector<Problem> g = {{.B = 3, .T = 1, .d = 4},    {.B = 2, .T = 7, .d = 5},
                              {.B = 2, .T = 97, .d = 33},  {.B = 2, .T = 200, .d = 130},
                              {.B = 1, .T = 1025, .d = 64}};
    if (full) g.push_back({.B = 4, .T = 512, .d = 256});
    return g;
  }
  // Benchmarks (bench/kernels_bench.cpp): RWKV's shapes (B = 8, d = 1024, T = 1k-16k) and Zoology's training shapes
  // (B = 256, T = 256, d_model 128 and 512) for the parallel variant; decoding (256 tokens from the empty state at
  // batch 1, 16, 256, d = 1024) for both: the step variant's time per token.
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() {
    std::vector<GpuBenchCase<Problem>> c;
    const std::vector<std::string_view> all = {"fwd", "bwd", "fwdbwd"};
    for (std::int64_t T : {1024, 4096, 16384}) c.push_back({{.B = 8, .T = T, .d = 1024}, {"composed_fp32"}, all});
    for (std::int64_t d : {128, 512}) c.push_back({{.B = 256, .T = 256, .d = d}, {"composed_fp32"}, all});
    for (std::int64_t B : {1, 16, 256}) c.push_back({{.B = B, .T = 256, .d = 1024}, {}, {"fwd"}});
    return c;
  }
  static BenchFields bench_fields(const Problem& p) { return {{"B", p.B}, {"T", p.T}, {"D", p.d}}; }
};

}  // namespace menagerie::mixers::rwkv
