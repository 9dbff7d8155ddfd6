// The JRT synthetics of HazyResearch/prefix-linear-attention, synthetic/zoology/data/non_autoreg.py
// (docs/synthetics.md §1.4), numpy stream reproduced: both equal the public generators' output for the same seed.
//
// disjoint_sets (set disjointness with exactly one common element). Special tokens: 0 mask, 1 prefix,
// 2 separator between the sets, 3 answer separator. Per example: permute {4 .. c-1} (permutation), the first c/2
// of it are the A pool, the rest the B pool (so the pools have c/2 and c/2 - 4 tokens); A = |A| distinct tokens
// of the A pool, B = |B| distinct tokens of the B pool (choice without replacement); t = A[randint(|A|)] overwrites
// B[randint(|B|)]. Sequence [1] A [2] B [3] t; inputs = all but t (length |A| + |B| + 3), label t at the last
// position (the 3), -100 elsewhere. Slice short_length_long_length = "|A|_|B|".
//   Assertions (InputError): 1 <= |A| <= c/2, 1 <= |B| <= c/2 - 4 (numpy's choice would fail), n >= 1.
//   The JRT study mixes (|A|, |B|) segments at c = 2048: see jrt_disjoint_sets_dataset() in mixture.hpp.
//
// mini_mqar (`mini_multiquery_ar`, causal branch): keys from [2, c/2), values [c/2, c), D distinct of each; then
// SEP(1), q = num_queries of the keys (choice(keys, q, replace=False)), SEP(1), 2q zeros. Labels over the zero
// region alternate key, value of each queried pair (re-emit the key, then its value), shifted for next-token
// prediction: inputs = seq[:-1], labels = labels[1:], so sequences have 2D + 3q + 1 tokens whatever N is (the
// public code only asserts 8D <= N). random_non_queries is forced off in the public code; not offered here.
//   Assertions: N even, c > N, 8D <= N; and 1 <= q <= D, D >= 1, n >= 1.
#pragma once
#include <cstdint>

#include "synthetics/examples.hpp"

namespace menagerie::synthetics {

struct DisjointSetsConfig {
  std::int64_t vocab_size = 2048;
  std::int64_t num_examples = 1000;
  std::int64_t short_length = 4;
  std::int64_t long_length = 8;

  template <class F>
  void fields(F&& f) {
    f("vocab_size", vocab_size, "vocabulary size c: 0..3 special, set elements 4..c-1");
    f("num_examples", num_examples, "number of sequences n");
    f("short_length", short_length, "size |A| of the first set");
    f("long_length", long_length, "size |B| of the second set; sequence length |A| + |B| + 3");
  }
  void validate() const;
};

struct MiniMqarConfig {
  std::int64_t vocab_size = 8192;
  std::int64_t num_examples = 1000;
  std::int64_t input_seq_len = 64;
  std::int64_t num_kv_pairs = 8;
  std::int64_t num_queries = 2;

  template <class F>
  void fields(F&& f) {
    f("vocab_size", vocab_size, "vocabulary size c: keys 2..c/2-1, values c/2..c-1, 1 = separator");
    f("num_examples", num_examples, "number of sequences n");
    f("input_seq_len", input_seq_len, "nominal length N (even, 8D <= N < c); sequences have 2D + 3q + 1 tokens");
    f("num_kv_pairs", num_kv_pairs, "key-value pairs D");
    f("num_queries", num_queries, "queried keys q <= D");
  }
  void validate() const;
};

Examples disjoint_sets(const DisjointSetsConfig& config, std::uint32_t seed);
Examples mini_mqar(const MiniMqarConfig& config, std::uint32_t seed);

}  // namespace menagerie::synthetics
