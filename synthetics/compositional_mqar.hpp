// Compositional MQAR as zoology/data/compositional_ar.py builds it (docs/synthetics.md §1.3), numpy stream
// reproduced: with random_non_queries = false the output equals the public generator's for the same seed.
//
// Compound keys (K1, K2) on a g x g grid, g = sqrt(D) (D a perfect square), so neither part alone gives the value.
// Vocabulary thirds, t = c/3 (integer): K1 from [1, t), K2 from [t, 2t), values from [2t, c); 0 = filler.
//   1. k1_set [n, g] = distinct_rows(1, t, g); k2_set [n, g] = distinct_rows(t, 2t, g).
//   2. pairs j = 0..D-1: K1 = k1_set[j / g], K2 = k2_set[j % g] (np.repeat / np.tile), then per row the pair order
//      is shuffled by permutation(D); values [n, D] = distinct_rows(2t, c, D), value j belongs to pair j.
//   3. context: D triplets K1 K2 V (3D tokens); space = (N - 3D)/3 (integer); gaps = gap_slots(space, D, a).
//   4. query j: K1 at 3D + 3 g_j, K2 at 3D + 3 g_j + 1; its label (the value) at the K2 position.
//   5. random_non_queries: zeros -> uniform {0..c-1}, from the numpy stream (the public code uses torch's RNG).
// Assertions (InputError): N even, c > N, 6D <= N, D a perfect square; D >= 1, n >= 1, power_a finite > 0.
// Slices: num_kv_pairs, input_seq_len.
#pragma once
#include <cstdint>

#include "synthetics/examples.hpp"

namespace menagerie::synthetics {

struct CompositionalMqarConfig {
  std::int64_t vocab_size = 8192;
  std::int64_t num_examples = 1000;
  std::int64_t input_seq_len = 64;
  double power_a = 0.01;
  std::int64_t num_kv_pairs = 4;
  bool random_non_queries = true;

  template <class F>
  void fields(F&& f) {
    f("vocab_size", vocab_size, "vocabulary size c: K1 in [1,c/3), K2 in [c/3,2c/3), values in [2c/3,c)");
    f("num_examples", num_examples, "number of sequences n");
    f("input_seq_len", input_seq_len, "sequence length N (even, < vocab_size)");
    f("power_a", power_a, "power-law exponent a of the gaps, p_i ~ i^(a-1)");
    f("num_kv_pairs", num_kv_pairs, "compound-key/value pairs D, a perfect square (4, 9, 16, ...)");
    f("random_non_queries", random_non_queries, "replace the 0 filler tokens by uniform random tokens");
  }
  void validate() const;
};

Examples compositional_mqar(const CompositionalMqarConfig& config, std::uint32_t seed);

}  // namespace menagerie::synthetics
