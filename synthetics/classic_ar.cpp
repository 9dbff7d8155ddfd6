// ICLR-era associative recall and base_ar (see classic_ar.hpp).
#include "synthetics/classic_ar.hpp"

#include <vector>

#include "synthetics/draws.hpp"

namespace menagerie::synthetics {

void AssociativeRecallConfig::validate() const {
  const char* t = "associative_recall";
  require_at_least(t, "num_examples", num_examples, 1);
  require_at_least(t, "num_kv_pairs", num_kv_pairs, 1);
  require_at_least(t, "num_queries", num_queries, 1);
  require_at_least(t, "input_seq_len", input_seq_len, 2);
  require_even(t, "input_seq_len", input_seq_len);
  require_vocab_exceeds_len(t, vocab_size, input_seq_len);
  require(num_queries <= num_kv_pairs, t, ": num_queries = ", num_queries, " must be <= num_kv_pairs = ",
          num_kv_pairs);
  require(num_kv_pairs <= input_seq_len && 2 * num_kv_pairs + num_queries <= input_seq_len, t,
          ": 2*num_kv_pairs + num_queries = 2*", num_kv_pairs, " + ", num_queries, " must be <= input_seq_len = ",
          input_seq_len);
  check_total_size(num_examples, input_seq_len, t);
}

void BaseArConfig::validate() const {
  const char* t = "base_ar";
  require_at_least(t, "num_examples", num_examples, 1);
  require_at_least(t, "vocab_size", vocab_size, 3);
  require_at_least(t, "input_seq_len", input_seq_len, 4);
  require_even(t, "input_seq_len", input_seq_len);
  check_total_size(num_examples, input_seq_len, t);
}

Examples associative_recall(const AssociativeRecallConfig& c, std::uint32_t seed) {
  c.validate();
  const std::int64_t n = c.num_examples, N = c.input_seq_len, D = c.num_kv_pairs, q = c.num_queries;
  const std::int64_t half = c.vocab_size / 2, C = 2 * D;
  LegacyRandomState rs(seed);
  const auto keys = distinct_rows(rs, n, 1, half, D);
  const auto values = distinct_rows(rs, n, half, c.vocab_size, D);
  const auto pick = distinct_rows(rs, n, 0, D, q);
  const auto pos = distinct_rows(rs, n, C, N, q);
  Examples ex = blank_examples(n, N);
  for (std::int64_t r = 0; r < n; ++r) {
    for (std::int64_t j = 0; j < D; ++j) {
      ex.inputs(r, 2 * j) = keys(r, j);
      ex.inputs(r, 2 * j + 1) = values(r, j);
    }
    for (std::int64_t j = 0; j < q; ++j) {
      ex.inputs(r, pos(r, j)) = keys(r, pick(r, j));
      ex.labels(r, pos(r, j)) = values(r, pick(r, j));
    }
  }
  if (c.random_non_queries) fill_zeros_uniform(rs, ex.inputs, c.vocab_size);
  ex.slices = {{"num_kv_pairs", std::to_string(D)}, {"num_queries", std::to_string(q)},
               {"input_seq_len", std::to_string(N)}};
  return ex;
}

Examples base_ar(const BaseArConfig& c, std::uint32_t seed) {
  c.validate();
  const std::int64_t n = c.num_examples, N = c.input_seq_len, K = (c.vocab_size - 1) / 2;
  const std::int64_t copy = c.vocab_size - 1, pairs = (N - 2) / 2;
  LegacyRandomState rs(seed);
  Examples ex = blank_examples(n, N);
  std::vector<std::int64_t> map(static_cast<std::size_t>(K)), stamp(static_cast<std::size_t>(K), -1), present;
  std::vector<std::int64_t> seq(static_cast<std::size_t>(N + 1));
  for (std::int64_t r = 0; r < n; ++r) {
    present.clear();
    std::size_t t = 0;
    for (std::int64_t i = 0; i < pairs; ++i) {
      const auto k = static_cast<std::size_t>(rs.randint(0, K));
      if (stamp[k] != r) {  // the map entry of a key is drawn when the key first appears: same law as drawing all
        stamp[k] = r;
        map[k] = rs.randint(K, c.vocab_size - 1);
        present.push_back(static_cast<std::int64_t>(k));
      }
      seq[t++] = static_cast<std::int64_t>(k);
      seq[t++] = map[k];
    }
    const auto k = present[static_cast<std::size_t>(rs.randint(0, static_cast<std::int64_t>(present.size())))];
    seq[t++] = copy;
    seq[t++] = k;
    seq[t++] = map[static_cast<std::size_t>(k)];
    for (std::int64_t i = 0; i < N; ++i) {
      ex.inputs(r, i) = seq[static_cast<std::size_t>(i)];
      if (c.all_targets || i == N - 1) ex.labels(r, i) = seq[static_cast<std::size_t>(i + 1)];
    }
  }
  ex.slices = {{"input_seq_len", std::to_string(N)}};
  return ex;
}

}  // namespace menagerie::synthetics
