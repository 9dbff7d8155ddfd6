// Contract: sliding-window causal softmax attention, zoology.mixers.slide_attn.SlidingAttn (mixer id
// sliding_attn), dropout off. Single head: D = d.
//   u [B, T, d] -> y [B, T, d];  w = window (zoology block_size).
//   qkv = u Wqkv^T + b_qkv                                   [B, T, 3d], Wqkv.weight [3d, d], Wqkv.bias [3d]
//   q, k, v = qkv.split(d): q = qkv[.., 0:d], k = qkv[.., d:2d], v = qkv[.., 2d:3d]
//   o[t] = sum_{s in [max(0, t - w), t]} softmax_s(q_t . k_s / sqrt(d)) v_s        (w + 1 keys at most)
//       (operator core/ops/softmax_attention.hpp with window w; zoology masks s < t - w and s > t with -10000)
//   y = o Wo^T + b_o                                         out_proj.weight [d, d], out_proj.bias [d]
// The state_dict names equal MHA's. Params 4d^2 + 4d; state_size (zoology) 2 w d.
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
#include "core/ops/softmax_attention.hpp"
#include "core/table_columns.hpp"

namespace menagerie::mixers::sliding_attn {

struct Problem {
  std::int64_t B = 1, T = 1, d = 1;
  std::int64_t window = 256;  // zoology block_size

  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && d >= 1, "sliding_attn: B, T, d = ", B, ", ", T, ", ", d,
                        " must all be >= 1");
    require<InputError>(window >= 0, "sliding_attn: window = ", window, " must be >= 0");
  }
};

// The attention operator problem inside the mixer (one head of dim d).
inline ops::softmax_attention::Problem attention_problem(const Problem& p) {
  return {.B = p.B, .T = p.T, .H = 1, .D = p.d, .Dv = p.d, .window = p.window, .scale = 0};
}

// Test ranges: weights and biases uniform in +-1/sqrt(d) (nn.Linear's default bound), so activations stay O(1).
inline std::vector<TensorSpec> tensors(const Problem& p) {
  const double w = 1.0 / std::sqrt(static_cast<double>(p.d));
  return {{"u", {p.B, p.T, p.d}, "B,T,D", Role::input},
          {"Wqkv.weight", {3 * p.d, p.d}, "3D,D", Role::param, -w, w},
          {"Wqkv.bias", {3 * p.d}, "3D", Role::param, -w, w},
          {"out_proj.weight", {p.d, p.d}, "D,D", Role::param, -w, w},
          {"out_proj.bias", {p.d}, "D", Role::param, -w, w},
          {"y", {p.B, p.T, p.d}, "B,T,D", Role::output}};
}

inline std::int64_t param_count(const Problem& p) { return 4 * p.d * p.d + 4 * p.d; }

// zoology SlidingAttn.state_size: block_size * d_model * 2 (independent of T).
inline std::optional<std::int64_t> state_size(const Problem& p) { return 2 * p.window * p.d; }

// FLOPs: the two projections (2 B T d 3d and 2 B T d d) plus the windowed attention operator.
inline Cost cost(const Problem& p) {
  const auto a = ops::softmax_attention::cost(attention_problem(p));
  const double rows = static_cast<double>(p.B * p.T), d = static_cast<double>(p.d);
  return {rows * 8.0 * d * d + a.flops, 2.0 * rows * d + static_cast<double>(param_count(p)), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "sliding_attn";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true};
  static constexpr std::array<std::string_view, 0> frozen{};  // no frozen tensors in the state_dict
  static constexpr std::int64_t Problem::*model_width = &Problem::d;
  static std::vector<ConfigKey<Problem>> config_keys() {
    return {int_key("window", &Problem::window, {.fallback = 256, .min = 0})};
  }
  static std::vector<InitLaw> init_laws() { return {}; }  // nn.Linear weights and biases: the generic laws
  static std::vector<ParamColumn> param_columns(std::int64_t, std::int64_t) { return {}; }  // not in the spec's table
  static std::vector<StateColumn> state_columns(std::int64_t d, std::int64_t T) {
    return {{"sliding_attn w=64 (2wd)", model::LayerMixer::of<Contract>({.B = 1, .T = T, .d = d, .window = 64})}};
  }
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .d = d, .window = 64}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .d = 4, .window = 0},  {.B = 2, .T = 7, .d = 5, .window = 2},
                              {.B = 1, .T = 16, .d = 6, .window = 3}, {.B = 1, .T = 13, .d = 3, .window = 0},
                              {.B = 1, .T = 16, .d = 4, .window = 20}};
    if (full) g.insert(g.end(), {{.B = 1, .T = 97, .d = 8, .window = 31}, {.B = 1, .T = 113, .d = 7, .window = 8}});
    return g;
  }
  // GPU conformance (harness/kernels.hpp): T = 1, 7, 97, 200, 1025; widths off the blocks (5, 33, 130); windows 0,
  // ones that cut the attention's tiles (2, 31, 100) and one wider than T; d up to 512 (the attention's gemm_cublas_fp32
  // at T <= 1024) and T = 1025 (its flash_tiled_fp32, d <= 128).
  static std::vector<Problem> gpu_grid(bool full) {
    std::vector<Problem> g = {{.B = 3, .T = 1, .d = 4, .window = 0},     {.B = 2, .T = 7, .d = 5, .window = 2},
                              {.B = 2, .T = 97, .d = 33, .window = 31},  {.B = 1, .T = 97, .d = 8, .window = 200},
                              {.B = 2, .T = 200, .d = 130, .window = 0}, {.B = 1, .T = 1025, .d = 64, .window = 100}};
    if (full) g.push_back({.B = 4, .T = 512, .d = 256, .window = 64});
    return g;
  }
  // Benchmarks (bench/kernels_bench.cpp): Zoology's training shapes (B = 256, T = 256, d_model 128 and 512) for the
  // parallel variant; decoding (256 tokens from the empty state at batch 1, 16, 256, d = 512) for both: the step
  // variant's time per token. Window 64 (the Based paper's sliding-window sweep point of state_columns).
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() {
    std::vector<GpuBenchCase<Problem>> c;
    const std::vector<std::string_view> all = {"fwd", "bwd", "fwdbwd"};
    for (std::int64_t d : {128, 512}) c.push_back({{.B = 256, .T = 256, .d = d, .window = 64}, {"composed_fp32"}, all});
    for (std::int64_t B : {1, 16, 256}) c.push_back({{.B = B, .T = 256, .d = 512, .window = 64}, {}, {"fwd"}});
    return c;
  }
  static BenchFields bench_fields(const Problem& p) {
    return {{"B", p.B}, {"T", p.T}, {"D", p.d}, {"W", p.window}};
  }
};

}  // namespace menagerie::mixers::sliding_attn
