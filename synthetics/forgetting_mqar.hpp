// Forgetting MQAR after zoology/data/forgetting_mqar.py (docs/synthetics.md §1.3): D key-value pairs, then U of
// the keys re-bound to new values, then queries for all D keys asking for the latest value.
//
// Vocabulary as MQAR: keys {1..c/2-1}, values {c/2..c-1}, 0 = filler. Context C = 2(D + U) tokens:
//   k_0 v_0 ... k_{D-1} v_{D-1} | k_{u_0} w_0 ... k_{u_{U-1}} w_{U-1}
// then gaps = gap_slots((N - C)/2, D, a) and key j at C + 2 g_j with label = its final value (w if updated).
// Stream (numpy legacy RNG): keys = distinct_rows(1, c/2, D), values = distinct_rows(c/2, c, D); per row the
// updated key indices u = choice(D, U, replace=False) and U new values; then the gaps; then the random fill.
//
// Fixes to the public code (so the stream differs from it):
//   * the public "new != old" check compares the j-th new value with original_values[i, j], the value of key j,
//     not of the key actually updated (update_indices are drawn afterwards), so a "new" value can equal the old;
//   * new values may collide with other keys' values (and each other), making value -> key ambiguous.
//   Here the updated keys are chosen first and the U new values are distinct, and distinct from all D original
//   values of the row (rejection on randint(c/2, c)).
// random_non_queries: zeros -> uniform {0..c-1} (public: torch RNG; here the numpy stream).
// Assertions (InputError): N even, c > N, U <= D, 2(D+U) + 2D <= N; D >= 1, U >= 0, n >= 1, power_a finite > 0.
// Slices: num_kv_pairs, num_updates, input_seq_len.
#pragma once
#include <cstdint>

#include "synthetics/examples.hpp"

namespace menagerie::synthetics {

struct ForgettingMqarConfig {
  std::int64_t vocab_size = 8192;
  std::int64_t num_examples = 1000;
  std::int64_t input_seq_len = 64;
  double power_a = 0.01;
  std::int64_t num_kv_pairs = 8;
  std::int64_t num_updates = 4;
  bool random_non_queries = true;

  template <class F>
  void fields(F&& f) {
    f("vocab_size", vocab_size, "vocabulary size c: keys 1..c/2-1, values c/2..c-1, 0 = filler");
    f("num_examples", num_examples, "number of sequences n");
    f("input_seq_len", input_seq_len, "sequence length N (even, < vocab_size)");
    f("power_a", power_a, "power-law exponent a of the gaps, p_i ~ i^(a-1)");
    f("num_kv_pairs", num_kv_pairs, "distinct keys D per sequence");
    f("num_updates", num_updates, "keys U <= D re-bound to a new value after the D pairs");
    f("random_non_queries", random_non_queries, "replace the 0 filler tokens by uniform random tokens");
  }
  void validate() const;
};

Examples forgetting_mqar(const ForgettingMqarConfig& config, std::uint32_t seed);

}  // namespace menagerie::synthetics
