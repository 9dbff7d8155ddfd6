// C5 — a depth-optimal equality test of binary codes (matches Based Thm 3.2 / JRT Thm G.7); docs/theory.md
// §4.5-C5. Thm 3.2: L data-independent BaseConv layers compute a polynomial of degree <= 2^L in the input, and the
// equality of two b-bit codes, prod_j (a_j b_j + (1 - a_j)(1 - b_j)), has multilinear degree 2b, so 2^L >= 2b. This
// tree meets it: depth 1 + ceil(log2 b) = ceil(log2 2b).
//
// Input u_t = α(x_t) in {±1}^b (the ±1 code of x_t), width b. Output (one channel) at t >= τ: [x_t = x_{t-τ}].
//   layer 1, channel j: gate = α_j (diagonal W), conv δ_τ:          p_j(t) = α_j(x_t) α_j(x_{t-τ}) in {±1}
//   layer 2, pairs (a, b) of live channels, output on b:  gate = ½ p_a + ½ (W entry ½, gate bias ½),
//            conv = ½ δ_0 ∗ p_b + ½ (conv bias ½):   e_a e_b with e = (1 + p)/2 in {0, 1}; an odd leftover gets
//            gate bias 1 and the same conv, i.e. (1 + p)/2.
//   layers 3.., pairs multiplied (W entry 1, conv δ_0); an odd leftover passes (gate bias 1, conv δ_0).
// After 1 + ceil(log2 b) layers one channel holds prod_j e_j = [x_t = x_{t-τ}], exactly 0 or 1: the 0/1 margin is
// 1/2. Positions t < τ see x_{t-τ} = 0-padding and are not scored.
// Preconditions (checked): b >= 2 (for b = 1 the affine map needs a second layer), τ >= 1, tokens in [0, 2^b),
// N > τ. Evaluated channel-structured through base_conv_formal (reference short conv) in double (exact: dyadic values).
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"
#include "theory/base_conv_formal.hpp"
#include "theory/common.hpp"

namespace menagerie::theory::c5 {

struct Config {
  std::int64_t bits = 13;
  std::int64_t tau = 1;
};

// ceil(log2 2b): the depth of the tree and Thm 3.2's lower bound.
std::int64_t depth(std::int64_t bits);

// The layers, and the channel that holds the result.
std::vector<FormalLayer<double>> layers(const Config& cfg, std::int64_t* out_channel = nullptr);

// Tokens [n, N] in [0, 2^b) with, at each t >= τ, x_t = x_{t-τ} with probability 1/2 (Philox streams of core/random).
Tensor<std::int64_t> equality_instances(const Config& cfg, std::int64_t n, std::int64_t N, std::uint64_t seed);

// The tree's output [N] for one example.
std::vector<double> forward(const Config& cfg, const Tensor<std::int64_t>& tokens, std::int64_t example);

// Every position t >= τ of every example is one query (target [x_t = x_{t-τ}]).
Result run(const Config& cfg, const Tensor<std::int64_t>& tokens);

}  // namespace menagerie::theory::c5
