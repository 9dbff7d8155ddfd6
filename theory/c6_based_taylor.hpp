// C6 — Based (a shift, then Taylor linear attention) with binary key codes; docs/theory.md §4.5-C6, §4.3 §4.1.
//
// Layer 1: the previous-token formal BaseConv layer (base_conv_formal.hpp) on [code(x_t); code(x_t)], ±1 codes of
// f = ceil(log2 c) bits, giving [code(x_t); code(x_{t-1})].
// Layer 2: reference linear_attention, taylor_exp feature map (phi(q).phi(k) = 1 + q.k/sqrt(f) + (q.k)^2/(2f)),
// normalised (Based, eps 1e-12):  q_t = α code(x_t), k_s = α code(x_{s-1}), α^2 = 1/sqrt(f);
// v_s = one-hot of x_s - c/2 over the c/2 values if x_s is a value, else 0 (W_v keeps only value tokens).
// With σ = code(x_t).code(x_{s-1}) in [-f, f] and s = α^2 σ in [-sqrt f, sqrt f], the kernel
//   κ(s) = 1 + s/sqrt f + s^2/(2f) = ((s/sqrt f + 1)^2 + 1)/2
// is increasing on that whole range; the matched key has σ = f (κ = 5/2) and any other code σ <= f - 2
// (κ <= 5/2 - 4/f + 2/f^2). In a clean MQAR instance each value occurs once, after its key, so
//   y_t[value] - max_{other} y_t = (κ_match - κ_other)/Z_t >= (4/f - 2/f^2) / (5/2 · N)   (Z_t <= 5/2 (t + 1)),
// for any D, with no crosstalk: argmax y_t = the matched value. That bound is the guaranteed onehot margin.
// State (recurrent form): (1 + f + f^2)(c/2 + 1) numbers, independent of N. This does not contradict Based Thm 3.1:
// c > N is needed, and each entry needs ~log N bits.
// With random filler (random_non_queries = true) value tokens occur at random places after random tokens and the
// blunt quadratic kernel (5/2 vs ~2.2) lets their sum win: exactness fails (tested).
// Preconditions (checked): clean MQAR context (check_mqar_context), c >= 4 even. The value one-hots are fed to the
// reference operator only on the values that occur (common.hpp Present; the rest are exact zeros). In double.
#pragma once
#include <cstdint>

#include "core/tensor.hpp"
#include "theory/common.hpp"

namespace menagerie::theory::c6 {

struct Config {
  std::int64_t c = 8192;
  std::int64_t num_kv_pairs = 8;
};

std::int64_t feature_dim(std::int64_t c);  // f = ceil(log2 c)

// y [N, c/2] for one example.
Tensor<double> forward(const Config& cfg, const Tensor<std::int64_t>& inputs, std::int64_t example);

double guaranteed_margin(std::int64_t c, std::int64_t N);

Result run(const Config& cfg, const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels);

}  // namespace menagerie::theory::c6
