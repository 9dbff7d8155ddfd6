// MQAR exactly as zoology/data/multiquery_ar.py builds it (docs/synthetics.md §1.1), with numpy's stream
// reproduced bit for bit (numpy_random.hpp): for random_non_queries = false the output equals the public
// generator's for the same seed (verify/fixtures/synthetics/goldens.json).
//
// Vocabulary c: token 0 = filler; keys {1 .. c/2 - 1}; values {c/2 .. c - 1}. D = num_kv_pairs, P = num_passes,
// context C = 2·D·P, space = (N - C)/2 gap slots.
//   1. keys   [n, D] = distinct_rows(1, c/2, D), row by row; then values [n, D] = distinct_rows(c/2, c, D).
//   2. one pass = k_0 v_0 k_1 v_1 ... k_{D-1} v_{D-1}; the context is that pass P times (positions 0 .. C-1).
//   3. gaps [n, D] = gap_slots(space, D, power_a): p_i ∝ i^(a-1) over slots 0 .. space-1, drawn sequentially
//      without replacement (numpy's batch rejection); slot g_j belongs to key j.
//   4. key j again at input position C + 2 g_j, with label value j there (the next-token target: labels are the
//      public labels[:, 1:]). All other labels are -100; every other query-region input is 0.
//   5. random_non_queries: every 0 of the inputs becomes uniform on {0 .. c-1}. The public code draws these from
//      torch's global RNG (advanced by model init, so not reproducible); here they continue the numpy stream after
//      the gaps: same distribution, not the same numbers.
// Slices: num_kv_pairs, input_seq_len, num_passes.
//
// Fix to the public code: num_passes > 1 crashes there (kvs is sized 2·D·P and then given D keys in its 0::2
// slice). Implemented as intended (JRT): the pass is tiled P times in identical order, space = (N - 2·D·P)/2 and
// the labels sit at C + 2g with C = 2·D·P.
// numpy_stream = false (not in the public code): keys and values are drawn with D draws each instead of numpy's full
// shuffle of the key and of the value vocabulary (2 x ~c/2 draws, most of the time): the same law (uniform ordered
// D-subsets), other numbers; the gaps and the fill are unchanged. About 4.5x faster at c = 8192 (docs/synthetics.md).
// The public assertions are InputErrors naming the parameter: N even, c > N, 2·D·P + 2·D <= N; and, where numpy
// would fail later, D >= 1, P >= 1, n >= 1, power_a finite and > 0.
#pragma once
#include <cstdint>

#include "synthetics/examples.hpp"

namespace menagerie::synthetics {

struct MqarConfig {
  std::int64_t vocab_size = 8192;
  std::int64_t num_examples = 1000;
  std::int64_t input_seq_len = 64;
  double power_a = 0.01;
  std::int64_t num_kv_pairs = 8;
  std::int64_t num_passes = 1;
  bool random_non_queries = true;
  bool numpy_stream = true;

  template <class F>
  void fields(F&& f) {
    f("vocab_size", vocab_size, "vocabulary size c: keys 1..c/2-1, values c/2..c-1, 0 = filler");
    f("num_examples", num_examples, "number of sequences n");
    f("input_seq_len", input_seq_len, "sequence length N (even, < vocab_size)");
    f("power_a", power_a, "power-law exponent a of the key-to-query gaps, p_i ~ i^(a-1); 1 = uniform");
    f("num_kv_pairs", num_kv_pairs, "key-value pairs D per sequence");
    f("num_passes", num_passes, "passes P over the pairs in the context (JRT repetition)");
    f("random_non_queries", random_non_queries, "replace the 0 filler tokens by uniform random tokens");
    f("numpy_stream", numpy_stream, "draw keys/values exactly as numpy does (Zoology's bytes); false: same law, faster");
  }
  void validate() const;
};

Examples mqar(const MqarConfig& config, std::uint32_t seed);

}  // namespace menagerie::synthetics
