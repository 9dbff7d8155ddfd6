// C2 and C2b — MQAR in its own layout (k v k v ... q _ q _) in two layers: a shift, then attention (an induction
// head); docs/theory.md §4.5-C2. This makes "attention needs only O(log c) width, independent of N" concrete.
//
// Layer 1 (formal BaseConv, base_conv_formal.hpp previous_token_layer, i.e. a short convolution with kernel δ_1):
//   fed [e(x_t); e(x_t)] it writes h_t = [e(x_t); e(x_{t-1})] (zero block at t = 0).
// Layer 2, attention causal over s <= t:  q_t = W_q h_t = e(x_t),  k_s = W_k h_s = e(x_{s-1}),
//   v_s = W_v h_s (the value part of x_s). At a query position t the only s <= t with x_{s-1} = x_t is s = p + 1
//   (p = the key's context position), whose token is the value.
// Variants:
//   onehot_linear  (C2)   e = one-hot over the c/2 key tokens for q, k; v_s = e(x_s - c/2) if x_s is a value, else 0;
//                         reference linear_attention (identity map, no normalisation). y_t = e(value): margin 1.
//                         Width 2c (layer 1), depth 2.
//   onehot_softmax (C2)   the same Q, K, V through reference softmax_attention with scale β: the match has weight
//                         w >= 1 / (1 + (N - 1) e^{-β}); onehot margin >= 2w - 1 (a guarantee when β > ln(N - 1)).
//   binary         (C2b)  e = ±1 code of b = ceil(log2 c) bits, d = 2b; v_s = code(x_s) for every token; softmax
//                         with scale β. A match scores b, anything else <= b - 2 (the zero key at s = 0 scores 0),
//                         so w >= 1 / (1 + (N - 1) e^{-2β}) and the sign margin is >= 2w - 1 (a guarantee when
//                         β > ln(N - 1)/2). Decoded token = sum_l [y_l > 0] 2^l.
// Parameters (nonzero): layer 1's gate biases and taps, plus the selections W_q, W_k, W_v; the dense count is
// that of a width-d formal layer plus the dense d x m projections.
// Preconditions (checked): clean MQAR instances (check_mqar_context: context k v pairs, labels on keys after it),
// tokens in [0, c), c >= 4 even; softmax variants: β finite and > 0. The guarantee needs every query key to occur
// once before its query (random_non_queries = false); with random filler a spurious earlier copy can tie.
// One-hot runs feed the reference operators only the coordinates of tokens that occur in the example (common.hpp
// Present: the dropped ones are exact zeros), so c = 8192 takes seconds. Evaluated in double.
#pragma once
#include <cstdint>

#include "core/tensor.hpp"
#include "theory/common.hpp"

namespace menagerie::theory::c2 {

enum class Variant { onehot_linear, onehot_softmax, binary };

struct Config {
  std::int64_t c = 8192;
  std::int64_t num_kv_pairs = 8;
  Variant variant = Variant::onehot_linear;
  double beta = 8.0;  // softmax scale (softmax variants)
};

// The attention output of one example: [N, Dv] (Dv = c/2 one-hot, b binary).
Tensor<double> forward(const Config& cfg, const Tensor<std::int64_t>& inputs, std::int64_t example);

Result run(const Config& cfg, const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels);

// 1, or 2w - 1 for the softmax variants (<= 0 = no guarantee; run() then reports NaN).
double guaranteed_margin(const Config& cfg, std::int64_t N);

}  // namespace menagerie::theory::c2
