// Continuous ("stacked") MQAR after zoology/data/stacked_mqar.py (docs/synthetics.md §1.3), as an index layout:
// the generator says which embedding rows go where; the lookup into the model's own embedding table (E, [c, e])
// belongs to the model (ContinuousInputModel: Linear(2e -> e), backbone, Linear(e -> e)).
//
// Keys are rows 0 .. c/2 - 1 of E, values rows c/2 + v of E for value index v in 0 .. c/2 - 1.
// Each sequence has R = (P + 1)·D rows of width 2e:
//   rows 0 .. P·D-1: P passes over the D pairs, each pass in a fresh random order, row = [E[key] ; E[c/2 + value]];
//   rows P·D .. R-1: the D keys again in a fresh random order, row = [E[key] ; 0] (value index -1 here).
//   labels[i, j] = the value index of the j-th query row (score against E[c/2:], or MSE to E[c/2 + label]).
// Output: key_ids [n, R], value_ids [n, R] (-1 on query rows), labels [n, D].
// Per sequence: D distinct keys and D distinct value indices from 0 .. c/2 - 1 (torch.randperm(c/2)[:D] in the
// public code); with per_sequence_mapping the D values are matched to the keys by a fresh random permutation.
//
// Departures from the public code: its draws come from torch's RNG (torch.manual_seed), here from the numpy
// legacy stream (same distributions). And per_sequence_mapping = false is implemented as intended ("stateful": one
// key -> value map shared by all sequences, drawn once per dataset as a permutation of 0 .. c/2 - 1, value(k) =
// perm[k]): the public code keeps only the local slot permutation of the first sequence while re-drawing the keys
// and values of every sequence, so no key keeps its value across sequences.
// Assertions (InputError): c >= 2, 1 <= D <= c/2, P >= 1, n >= 1.
#pragma once
#include <cstdint>

#include "core/tensor.hpp"

namespace menagerie::synthetics {

struct ContinuousMqarConfig {
  std::int64_t vocab_size = 8192;
  std::int64_t num_examples = 1000;
  std::int64_t num_kv_pairs = 8;
  std::int64_t num_passes = 1;
  bool per_sequence_mapping = true;

  template <class F>
  void fields(F&& f) {
    f("vocab_size", vocab_size, "rows c of the embedding table: keys 0..c/2-1, values c/2..c-1");
    f("num_examples", num_examples, "number of sequences n");
    f("num_kv_pairs", num_kv_pairs, "key-value pairs D; a sequence has (num_passes + 1)*D rows");
    f("num_passes", num_passes, "passes P over the pairs before the D query rows");
    f("per_sequence_mapping", per_sequence_mapping, "a fresh key->value map per sequence (else one fixed map)");
  }
  void validate() const;
};

struct ContinuousMqarExamples {
  Tensor<std::int64_t> key_ids;    // [n, R] key row of E
  Tensor<std::int64_t> value_ids;  // [n, R] value index (row c/2 + id of E); -1 on the D query rows
  Tensor<std::int64_t> labels;     // [n, D] value index answering each query row, in query-row order
};

ContinuousMqarExamples continuous_mqar(const ContinuousMqarConfig& config, std::uint32_t seed);

}  // namespace menagerie::synthetics
