// C1 — Zoology Prop 4.3: one attention layer, without softmax, solves MQAR on one-hot triplets with O(c^2)
// parameters (independent of N), O(N c^2 + N^2 c) time and O(1) layers (docs/theory.md §4.2, §4.5-C1).
//
// Input: triplet rows u_i = [e(k_i); e(v_i); e(q_i)] in {0,1}^{3c} (a zero block where the slot is empty).
// Weights: W_q, W_k, W_v in {0,1}^{3c x c} select the q, k and v blocks: Q = u W_q, K = u W_k, V = u W_v.
// Scores S = Q K^T with a strict causal mask (j < i) and no softmax; y_i = sum_{j<i} S_ij V_j = e(v_j) for the
// unique earlier row j with k_j = q_i, or 0 if there is none. Parameters 3 (3c·c) = 9c^2; width 3c; depth 1.
// Evaluation: reference linear_attention (identity feature map, no normalisation, causal s <= t) on the keys and
// values delayed by one row (K'_i = K_{i-1}, V'_i = V_{i-1}, zero at i = 0), which is exactly the strict mask:
//   sum_{s<=i} (q_i·k'_s) v'_s = sum_{j<i} (q_i·k_j) v_j.
// The W's are selections, applied as block copies (a dense 3c x c matrix at c = 8192 would be 1.6 GB), and only
// the one-hot coordinates of tokens that occur are fed to the operator (common.hpp Present: the rest are zeros).
//
// Binary variant (the reviewer's u in {0,1}^{N x log c}): ±1 codes of b = ceil(log2 c) bits per block, softmax
// attention (reference softmax_attention, scale β) on the same delayed keys; the sign of each output bit is decoded.
// A match scores b, a different code at most b - 2 and an empty (zero) key 0 <= b - 2, so with R rows the matched
// weight is >= w = 1 / (1 + (R - 1) e^{-2β}) and every output bit has the right sign with |y_l| >= 2w - 1.
//
// Preconditions (checked, InputError / ShapeError): c >= 4 and even; triplets [n, R, 3] with R >= 1, every slot
// -1 (empty) or a token in [0, c); targets [n, R] with kNoLabel or a token; binary: β > 0 and b >= 2.
// Guarantee (keys distinct before each query): one-hot y_i = e(target) exactly, margin (onehot) = 1;
// binary: sign margin >= 2w - 1 (a guarantee when β > ln(R - 1)/2). Repeated keys violate the premise: y is then
// the sum of the matched values (tested). Evaluated in double.
#pragma once
#include <cstdint>

#include "core/tensor.hpp"
#include "theory/common.hpp"

namespace menagerie::theory::c1 {

enum class Code { one_hot, binary };

struct Config {
  std::int64_t c = 8192;
  Code code = Code::one_hot;
  double beta = 4.0;  // binary only: the softmax scale
};

// The triplet form of clean MQAR instances: rows 0..D-1 hold (k_j, v_j, -1) from the context, then one row
// (-1, -1, x_t) per labelled position t in order; targets [n, R] hold the label on those rows. Checks the MQAR
// context (common.hpp). R = D + (the largest number of queries in an example); shorter examples are padded with
// empty rows.
struct Triplets {
  Tensor<std::int64_t> rows;     // [n, R, 3]
  Tensor<std::int64_t> targets;  // [n, R]
};
Triplets mqar_triplets(const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels, std::int64_t c,
                       std::int64_t num_kv_pairs);

// The construction's output for one example: one-hot y [R, c], binary y [R, b].
Tensor<double> forward(const Config& cfg, const Tensor<std::int64_t>& rows, std::int64_t example);

// All examples; margins as in common.hpp (one-hot or sign readout).
Result run(const Config& cfg, const Triplets& t);

// The guaranteed margin for R rows (1 for one-hot; 2w - 1 for binary, <= 0 = no guarantee; run() then reports NaN).
double guaranteed_margin(const Config& cfg, std::int64_t R);

}  // namespace menagerie::theory::c1
