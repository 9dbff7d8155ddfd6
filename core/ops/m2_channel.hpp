// Contract: the channel (dimension) mixer of Monarch Mixer (Fu et al. 2023, "Monarch Mixer", §3 and M2-BERT): the
// Transformer's MLP with its dense matrices replaced by Monarch matrices along the feature axis, in the gated (GLU)
// form M2-BERT trains (bert_layers.py BertGatedLinearUnitMLP with use_monarch_mlp; operator id m2_channel):
//   x [B, T, d] -> y [B, T, d], per token (no mixing along T):
//   y_t = M_out (GELU(M_gate x_t) ⊙ (M_value x_t)) + b_out,   GELU(z) = z Φ(z) = z (1 + erf(z / sqrt 2)) / 2 (exact)
//   each M a d x d Monarch matrix M = P_(b2,b1) L P_(b1,b2) R with d = b1 b2 (reference/monarch.hpp):
//     R = diag(R_0..R_{b1-1}) of b2 x b2 blocks, L = diag(L_0..L_{b2-1}) of b1 x b1 blocks.
// M2-BERT's BlockdiagLinear is the R factor alone (L = identity blocks) with intermediate width = d here, the gate
// layer without bias and the output with one; its residual and LayerNorm belong to the block, not to this map.
// The MQAR model has no channel-mixer slot (core/model_config.hpp: Identity state mixer), so this is an operator.
// Params 3 d (b1 + b2) + d (three Monarch matrices, b1 b2^2 + b2 b1^2 = d (b1 + b2) entries each, and b_out).
#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/contract.hpp"

namespace menagerie::ops::m2_channel {

struct Problem {
  std::int64_t B = 1, T = 1, d = 1;
  std::int64_t b1 = 1, b2 = 1;  // d = b1 b2

  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && d >= 1 && b1 >= 1 && b2 >= 1, "m2_channel: B, T, d, b1, b2 = ", B, ", ",
                        T, ", ", d, ", ", b1, ", ", b2, " must all be >= 1");
    require<ShapeError>(b1 * b2 == d, "m2_channel: b1 b2 = ", b1, " x ", b2, " = ", b1 * b2, " must equal d = ", d);
  }
};

// Names of the three Monarch matrices; each has "<name>.R" [b1, b2, b2] and "<name>.L" [b2, b1, b1].
inline constexpr std::string_view matrices[3] = {"gate", "value", "out"};

// Test ranges: entries in +-1/sqrt(b2) for R and +-1/sqrt(b1) for L, so each Monarch product keeps O(1) scale.
inline std::vector<TensorSpec> tensors(const Problem& p) {
  const double r = 1.0 / std::sqrt(static_cast<double>(p.b2)), l = 1.0 / std::sqrt(static_cast<double>(p.b1));
  std::vector<TensorSpec> s = {{"x", {p.B, p.T, p.d}, "B,T,D", Role::input}};
  for (const auto m : matrices) {
    s.push_back({std::string(m) + ".R", {p.b1, p.b2, p.b2}, "K,N,N", Role::param, -r, r});
    s.push_back({std::string(m) + ".L", {p.b2, p.b1, p.b1}, "K,N,N", Role::param, -l, l});
  }
  s.push_back({"out.bias", {p.d}, "D", Role::param});
  s.push_back({"y", {p.B, p.T, p.d}, "B,T,D", Role::output});
  return s;
}

inline std::int64_t param_count(const Problem& p) { return 3 * p.d * (p.b1 + p.b2) + p.d; }

// Per token: three Monarch products (2 d (b1 + b2) each), GELU (~10), the product and the bias (2 d).
inline Cost cost(const Problem& p) {
  const double rows = static_cast<double>(p.B * p.T), d = static_cast<double>(p.d);
  return {rows * (6.0 * d * static_cast<double>(p.b1 + p.b2) + 12.0 * d),
          2.0 * rows * d + static_cast<double>(param_count(p)), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "m2_channel";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true};  // per token
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    std::int64_t b1 = 1;
    for (std::int64_t k = 1; k * k <= d; ++k)
      if (d % k == 0) b1 = k;
    return {{"", {.B = 1, .T = T, .d = d, .b1 = b1, .b2 = d / b1}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .d = 4, .b1 = 2, .b2 = 2}, {.B = 2, .T = 7, .d = 6, .b1 = 2, .b2 = 3},
                              {.B = 1, .T = 5, .d = 6, .b1 = 3, .b2 = 2}, {.B = 1, .T = 3, .d = 7, .b1 = 1, .b2 = 7}};
    if (full) g.insert(g.end(), {{.B = 1, .T = 13, .d = 16, .b1 = 4, .b2 = 4}, {.B = 1, .T = 7, .d = 15, .b1 = 5, .b2 = 3}});
    return g;
  }
};

}  // namespace menagerie::ops::m2_channel
