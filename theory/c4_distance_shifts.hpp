// C4 — one shift per key-to-query distance: a data-independent BaseConv of width O(N c) and the input-dependent
// variant with only the t distances that occur (the flavour of Zoology Thm 4.5: O(t N c) parameters, O(1) layers);
// docs/theory.md §4.5-C4. This is not the paper's Õ(N log c) construction of Thm 4.4 (not specified); it shows
// that O(N c) width suffices.
//
// For each distance τ in the set 𝒯, a group of 2c channels holding e(x_t) twice: S_τ and P_τ. Two formal layers:
//   layer 1  S_τ,i: gate = S_τ,i itself (diagonal W), conv δ_τ       ->  e_i(x_t) e_i(x_{t-τ})
//            P_τ,i: gate bias 1, conv δ_{τ-1}                         ->  e_i(x_{t-τ+1})
//   layer 2  P_τ,i: gate = sum_i' S_τ,i' = [x_t = x_{t-τ}] (all-ones W), conv δ_0
// Readout: y_t = sum_τ P_τ(t) = sum_τ [x_t = x_{t-τ}] e(x_{t-τ+1}). At a query t whose key sits at p, τ = t - p
// gives e(value), and no other τ matches when the key occurs once before t: y_t = e(value), onehot margin (over the
// c/2 values) 1.
//   data-independent: 𝒯 = {1, ..., N-1}, width 2(N-1)c (the (2N-1)c of docs/theory.md §4.5 also counts a
//                     pass-through copy of e(x_t) that the readout does not need), filters of length <= N.
//   input-dependent:  𝒯 = the distances t - p of the example's queries (the filters depend on the input),
//                     width 2|𝒯|c <= (2t+1)c.
// The stack is block-diagonal over τ (no W entry or filter crosses groups), so it is evaluated one group at a time
// through base_conv_formal (reference short/long conv) and the readouts are summed: exactly the full stack's output.
// Preconditions (checked): clean MQAR instances (check_mqar_context), c >= 4 even, N >= 2. Guarantee: margin 1 when
// each query key occurs exactly once before its query (random_non_queries = false). Evaluated in double.
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"
#include "theory/base_conv_formal.hpp"
#include "theory/common.hpp"

namespace menagerie::theory::c4 {

enum class Filters { data_independent, input_dependent };

struct Config {
  std::int64_t c = 40;
  std::int64_t num_kv_pairs = 4;
  Filters filters = Filters::data_independent;
};

// The two layers of the group of distance τ (local width 2c: S on [0, c), P on [c, 2c)).
std::vector<FormalLayer<double>> group_layers(std::int64_t c, std::int64_t tau);

// 𝒯 for one example, ascending.
std::vector<std::int64_t> distances(const Config& cfg, const Tensor<std::int64_t>& inputs,
                                    const Tensor<std::int64_t>& labels, std::int64_t example);

// y [N, c] for one example.
Tensor<double> forward(const Config& cfg, const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels,
                       std::int64_t example);

// dims.width is the largest 2|𝒯|c over the examples; dims.params the nonzero parameters of that example's stack.
Result run(const Config& cfg, const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels);

}  // namespace menagerie::theory::c4
