// The ICLR-era single- and few-query recall tasks of zoology fea27f5, data/associative_recall.py
// (docs/synthetics.md §1.3).
//
// associative_recall (`_ar`; numpy stream reproduced, so with random_non_queries = false the output equals the
// public generator's for the same seed). Keys {1..c/2-1}, values {c/2..c-1}, 0 = filler; C = 2D.
//   keys = distinct_rows(1, c/2, D), values = distinct_rows(c/2, c, D); context k_0 v_0 ... at 0 .. C-1.
//   Per row q = num_queries distinct pairs (choice(D, q, replace=False)) are queried at q distinct positions drawn
//   uniformly from [C, N) (choice of np.arange(C, N)); the label, the pair's value, sits at the query position
//   itself (no shift in this generator). Queries may be adjacent; 0s are filler (random_non_queries: zeros ->
//   uniform {0..c-1} from the numpy stream; the public code uses torch's RNG).
//   Assertions: N even, c > N, 2D + q <= N; and 1 <= q <= D, n >= 1.
//   The public wrapper draws the train split with `seed` and the test split with seed + 10.
//
// base_ar (`base_ar`, drawn in the public code from np.random.default_rng, a PCG64 Generator that is not
// reproduced: here the numpy legacy stream, same distributions). K = (c-1)/2 keys 0..K-1 (0 is a key here),
// values K .. c-2, copy prefix c-1. Each sequence draws a key -> value map (uniform values, repeats allowed),
// (N-2)/2 pairs with keys uniform with replacement, then the copy prefix, a key uniform over the keys present, and
// its value: seq = k v k v ... k v [c-1] k* v*, inputs = seq[:-1], labels = seq[1:] (language-model targets at
// every position, as the public code) or, with all_targets = false, only the last position (label v*).
//   Assertions: N even, N >= 4, c >= 3, n >= 1.
#pragma once
#include <cstdint>

#include "synthetics/examples.hpp"

namespace menagerie::synthetics {

struct AssociativeRecallConfig {
  std::int64_t vocab_size = 8192;
  std::int64_t num_examples = 1000;
  std::int64_t input_seq_len = 64;
  std::int64_t num_kv_pairs = 4;
  std::int64_t num_queries = 3;
  bool random_non_queries = true;

  template <class F>
  void fields(F&& f) {
    f("vocab_size", vocab_size, "vocabulary size c: keys 1..c/2-1, values c/2..c-1, 0 = filler");
    f("num_examples", num_examples, "number of sequences n");
    f("input_seq_len", input_seq_len, "sequence length N (even, < vocab_size)");
    f("num_kv_pairs", num_kv_pairs, "key-value pairs D at the start of the sequence");
    f("num_queries", num_queries, "queried pairs q <= D, at uniform random positions after the pairs");
    f("random_non_queries", random_non_queries, "replace the 0 filler tokens by uniform random tokens");
  }
  void validate() const;
};

struct BaseArConfig {
  std::int64_t vocab_size = 8192;
  std::int64_t num_examples = 1000;
  std::int64_t input_seq_len = 64;
  bool all_targets = true;

  template <class F>
  void fields(F&& f) {
    f("vocab_size", vocab_size, "vocabulary size c: keys 0..(c-1)/2-1, values up to c-2, copy prefix c-1");
    f("num_examples", num_examples, "number of sequences n");
    f("input_seq_len", input_seq_len, "sequence length N (even): (N-2)/2 pairs, prefix, query key");
    f("all_targets", all_targets, "next-token labels everywhere (public); false: only the recalled value");
  }
  void validate() const;
};

Examples associative_recall(const AssociativeRecallConfig& config, std::uint32_t seed);
Examples base_ar(const BaseArConfig& config, std::uint32_t seed);

}  // namespace menagerie::synthetics
