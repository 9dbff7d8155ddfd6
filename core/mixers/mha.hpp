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

#include "core/contract.hpp"
#include "core/ops/softmax_attention.hpp"

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
  return {p.B, p.T, p.heads, p.head_dim(), p.head_dim(), -1, 0};
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
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{1, 1, 4, 1}, {2, 7, 6, 2}, {1, 16, 5, 1}, {1, 13, 6, 3}};
    if (full) g.insert(g.end(), {{1, 97, 8, 2}, {1, 113, 9, 3}});
    return g;
  }
};

}  // namespace menagerie::mixers::mha
