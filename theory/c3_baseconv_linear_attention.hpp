// C3 — two formal BaseConv layers implement exact linear attention (short conv, then the long all-ones conv: the
// Zoology Fig. 2 BaseConv layout); docs/theory.md §4.5-C3, the flavour of Based Prop F.8 (BaseConv simulates
// linear attention).
//
// c_k = c/2 key slots, b = ceil(log2(c/2)) value bits. Channels:
//   A block (j, l) -> j·b + l, j < c/2, l < b:   e_j(x_t)                      (the key one-hot, repeated b times)
//   Q block j      -> (c/2) b + j:               e_j(x_t)
//   V block l      -> (c/2)(b + 1) + l:          bit_l(x_t - c/2) if x_t is a value, else 0
//   (key token j = x for x in [1, c/2); token 0 is filler and embeds to nothing).
// Layer 1, channel (j, l): gate = (u W)_(j,l) = V_l(t) (one all-ones block per l), conv = δ_1:
//   z1_(j,l)(t) = bit_l(x_t) e_j(x_{t-1}).   Q block: gate bias 1, conv δ_0 (passes through). V block: no filter.
// Layer 2, channel (j, l): gate = Q_j(t) (one all-ones block per j), conv = the all-ones filter of length N:
//   z2_(j,l)(t) = e_j(x_t) sum_{s<=t} e_j(x_{s-1}) bit_l(x_s).
// Readout: bit_l(t) = sum_j z2_(j,l)(t), which is the bits of the value after the (unique) earlier copy of the
// query key: exactly 0 or 1, so the 0/1 margin is 1/2. Width (c/2) b + c/2 + b; 2 layers.
// Evaluated channel-structured (base_conv_formal.hpp): only the channels of keys that occur are ever nonzero, so
// c = 8192 (width ~5·10^4) runs in seconds; no dense matrix is formed. Evaluated in double (all values are small
// integers, so the result is exact).
// Preconditions (checked): clean MQAR instances (check_mqar_context), c >= 4 even. Guarantee: keys distinct in the
// context and not repeated before their query (random_non_queries = false): margin 1/2 on every query.
// With random filler, spurious matches add bits (the result can leave {0, 1}).
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"
#include "theory/base_conv_formal.hpp"
#include "theory/common.hpp"

namespace menagerie::theory::c3 {

struct Config {
  std::int64_t c = 8192;
  std::int64_t num_kv_pairs = 8;
};

std::int64_t value_bits(std::int64_t c);  // b = ceil(log2(c/2))
std::int64_t width(std::int64_t c);       // (c/2) b + c/2 + b

// The two layers for sequences of length N.
std::vector<FormalLayer<double>> layers(std::int64_t c, std::int64_t N);

// The readout bits [N, b] of one example.
Tensor<double> forward(const Config& cfg, const Tensor<std::int64_t>& inputs, std::int64_t example);

Result run(const Config& cfg, const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels);

}  // namespace menagerie::theory::c3
