// Contract: multi-head causal softmax attention, zoology.mixers.attention.MHA (mixer id mha), dropout off.
//   u [B, T, d] -> y [B, T, d];  H = heads, D = d / H (head dim).
//   qkv = u Wqkv^T + b_qkv                                   [B, T, 3d], Wqkv.weight [3d, d], Wqkv.bias [3d]
//   split "(three h D)": q[b,t,h,e] = qkv[b,t,h D + e], k = qkv[.., d + h D + e], v = qkv[.., 2d + h D + e]
//   o = softmax_attention(q, k, v) with scale 1/sqrt(D), full causal mask     [B, T, H, D]
//       (operator core/ops/softmax_attention.hpp; zoology's additive -10000 mask is exact exclusion in fp32)
//   y = o.reshape(B, T, d) Wo^T + b_o                        out_proj.weight [d, d], out_proj.bias [d]
// Parameters are named as the module's state_dict. Params 4d^2 + 4d; state_size (zoology) 2 d T.
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

namespace menagerie::mixers::mha {

struct Problem {
  std::int64_t B = 1, T = 1, d = 1;
  std::int64_t heads = 1;  // zoology num_heads (the MQAR configs use 1)

  std::int64_t head_dim() const { return d / heads; }
  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && d >= 1 && heads >= 1, "mha: B, T, d, heads = ", B, ", ", T, ", ", d,
                        ", ", heads, " must all be >= 1");
    require<ShapeError>(d % heads == 0, "mha: d = ", d, " is not divisible by heads = ", heads);
  }
};

// The attention operator problem inside the mixer.
inline ops::softmax_attention::Problem attention_problem(const Problem& p) {
  return {.B = p.B, .T = p.T, .H = p.heads, .D = p.head_dim(), .Dv = p.head_dim(), .window = -1, .scale = 0};
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

// zoology MHA.state_size(sequence_length = T): the KV cache, 2 d T.
inline std::optional<std::int64_t> state_size(const Problem& p) { return 2 * p.d * p.T; }

// FLOPs: the two projections (2 B T d 3d and 2 B T d d) plus the attention operator.
inline Cost cost(const Problem& p) {
  const auto a = ops::softmax_attention::cost(attention_problem(p));
  const double rows = static_cast<double>(p.B * p.T), d = static_cast<double>(p.d);
  return {rows * 8.0 * d * d + a.flops, 2.0 * rows * d + static_cast<double>(param_count(p)), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "mha";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true};
  static constexpr std::array<std::string_view, 0> frozen{};  // no frozen tensors in the state_dict
  static constexpr std::int64_t Problem::*model_width = &Problem::d;
  static std::vector<ConfigKey<Problem>> config_keys() {
    return {int_key("heads", &Problem::heads, {.fallback = 1, .min = 1})};
  }
  static std::vector<InitLaw> init_laws() { return {}; }  // nn.Linear weights and biases: the generic laws
  static std::vector<ParamColumn> param_columns(std::int64_t d, std::int64_t N) {
    const auto layer = model::LayerMixer::of<Contract>({.B = 1, .T = N, .d = d, .heads = 1});
    return {{"attention", {layer, layer}, 2 * (4 * d * d + 4 * d), {33280, 132096, 526336, 2101248}}};
  }
  static std::vector<StateColumn> state_columns(std::int64_t d, std::int64_t T) {
    return {{"mha (2dT)", model::LayerMixer::of<Contract>({.B = 1, .T = T, .d = d, .heads = 1})}};
  }
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .d = d}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .d = 4, .heads = 1}, {.B = 2, .T = 7, .d = 6, .heads = 2},
                              {.B = 1, .T = 16, .d = 5, .heads = 1}, {.B = 1, .T = 13, .d = 6, .heads = 3}};
    if (full) g.insert(g.end(), {{.B = 1, .T = 97, .d = 8, .heads = 2}, {.B = 1, .T = 113, .d = 9, .heads = 3}});
    return g;
  }
  // GPU conformance (harness/kernels.hpp): T = 1, 7, 97, 200, 1025; widths off the blocks (d 5, 33, 130); one head
  // (the attention's gemm_cublas_fp32 at T <= 1024) and several (flash_tiled_fp32, head dims 3-65), and T = 1025,
  // where one head also takes the flash kernel.
  static std::vector<Problem> gpu_grid(bool full) {
    std::vector<Problem> g = {{.B = 3, .T = 1, .d = 4, .heads = 1},    {.B = 2, .T = 7, .d = 6, .heads = 2},
                              {.B = 2, .T = 97, .d = 33, .heads = 1},  {.B = 2, .T = 97, .d = 64, .heads = 4},
                              {.B = 1, .T = 200, .d = 130, .heads = 2}, {.B = 1, .T = 256, .d = 256, .heads = 1},
                              {.B = 1, .T = 1025, .d = 64, .heads = 1}};
    if (full) g.push_back({.B = 4, .T = 512, .d = 256, .heads = 4});
    return g;
  }
  // Benchmarks (bench/kernels_bench.cpp): B = 8, d = 1024 (8 heads of 128: the flash kernel), T = 1k-16k, and
  // Zoology's training shapes (B = 256, T = 256, d_model 128 and 512, one head).
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() {
    std::vector<GpuBenchCase<Problem>> c;
    const std::vector<std::string_view> all = {"fwd", "bwd", "fwdbwd"};
    for (std::int64_t T : {1024, 4096, 16384}) c.push_back({{.B = 8, .T = T, .d = 1024, .heads = 8}, {}, all});
    for (std::int64_t d : {128, 512}) c.push_back({{.B = 256, .T = 256, .d = d, .heads = 1}, {}, all});
    return c;
  }
  static BenchFields bench_fields(const Problem& p) { return {{"B", p.B}, {"T", p.T}, {"D", p.d}, {"H", p.heads}}; }
};

}  // namespace menagerie::mixers::mha
