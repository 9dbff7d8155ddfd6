// JRT set disjointness and mini MQAR (see jrt.hpp).
#include "synthetics/jrt.hpp"

#include <vector>

#include "synthetics/draws.hpp"

namespace menagerie::synthetics {

void DisjointSetsConfig::validate() const {
  const char* t = "disjoint_sets";
  require_at_least(t, "num_examples", num_examples, 1);
  require_at_least(t, "short_length", short_length, 1);
  require_at_least(t, "long_length", long_length, 1);
  require_at_least(t, "vocab_size", vocab_size, 6);
  require(short_length <= vocab_size / 2, t, ": short_length = ", short_length, " must be <= vocab_size/2 = ",
          vocab_size / 2);
  require(long_length <= vocab_size - 4 - vocab_size / 2, t, ": long_length = ", long_length,
          " must be <= vocab_size - 4 - vocab_size/2 = ", vocab_size - 4 - vocab_size / 2);
  check_total_size(num_examples, short_length + long_length + 3, t);
}

void MiniMqarConfig::validate() const {
  const char* t = "mini_mqar";
  require_at_least(t, "num_examples", num_examples, 1);
  require_at_least(t, "num_kv_pairs", num_kv_pairs, 1);
  require_at_least(t, "num_queries", num_queries, 1);
  require_at_least(t, "input_seq_len", input_seq_len, 2);
  require_even(t, "input_seq_len", input_seq_len);
  require_vocab_exceeds_len(t, vocab_size, input_seq_len);
  require(num_kv_pairs <= input_seq_len / 8, t, ": 8*num_kv_pairs = 8*", num_kv_pairs,
          " must be <= input_seq_len = ", input_seq_len);
  require(num_queries <= num_kv_pairs, t, ": num_queries = ", num_queries, " must be <= num_kv_pairs = ",
          num_kv_pairs);
  check_total_size(num_examples, 2 * num_kv_pairs + 3 * num_queries + 1, t);
}

Examples disjoint_sets(const DisjointSetsConfig& c, std::uint32_t seed) {
  c.validate();
  const std::int64_t n = c.num_examples, A = c.short_length, B = c.long_length, L = A + B + 3;
  const std::int64_t half = c.vocab_size / 2;
  LegacyRandomState rs(seed);
  Examples ex = blank_examples(n, L);
  std::vector<std::int64_t> pool(static_cast<std::size_t>(c.vocab_size - 4)), a(static_cast<std::size_t>(A)),
      b(static_cast<std::size_t>(B));
  for (std::int64_t r = 0; r < n; ++r) {
    for (std::size_t i = 0; i < pool.size(); ++i) pool[i] = static_cast<std::int64_t>(i) + 4;
    rs.shuffle(pool);  // np.random.permutation(np.arange(4, c))
    rs.choice_without_replacement(half, a);
    rs.choice_without_replacement(c.vocab_size - 4 - half, b);
    for (auto& v : a) v = pool[static_cast<std::size_t>(v)];
    for (auto& v : b) v = pool[static_cast<std::size_t>(half + v)];
    const auto t = a[static_cast<std::size_t>(rs.randint(0, A))];
    b[static_cast<std::size_t>(rs.randint(0, B))] = t;
    std::int64_t* in = ex.inputs.data() + r * L;
    std::int64_t p = 0;
    in[p++] = 1;
    for (auto v : a) in[p++] = v;
    in[p++] = 2;
    for (auto v : b) in[p++] = v;
    in[p] = 3;
    ex.labels(r, L - 1) = t;
  }
  ex.slices = {{"short_length_long_length", std::to_string(A) + "_" + std::to_string(B)}};
  return ex;
}

Examples mini_mqar(const MiniMqarConfig& c, std::uint32_t seed) {
  c.validate();
  const std::int64_t n = c.num_examples, D = c.num_kv_pairs, q = c.num_queries, half = c.vocab_size / 2;
  const std::int64_t L = 2 * D + 3 * q + 2;  // before the shift
  LegacyRandomState rs(seed);
  const auto keys = distinct_rows(rs, n, 2, half, D);
  const auto values = distinct_rows(rs, n, half, c.vocab_size, D);
  const auto pick = distinct_rows(rs, n, 0, D, q);  // choice(keys_row, q, replace=False): indices into the row
  Examples ex = blank_examples(n, L - 1);
  std::vector<std::int64_t> seq(static_cast<std::size_t>(L)), lab(static_cast<std::size_t>(L));
  for (std::int64_t r = 0; r < n; ++r) {
    std::fill(seq.begin(), seq.end(), 0);
    std::fill(lab.begin(), lab.end(), kIgnoreIndex);
    for (std::int64_t j = 0; j < D; ++j) {
      seq[static_cast<std::size_t>(2 * j)] = keys(r, j);
      seq[static_cast<std::size_t>(2 * j + 1)] = values(r, j);
    }
    seq[static_cast<std::size_t>(2 * D)] = 1;
    for (std::int64_t j = 0; j < q; ++j) {
      seq[static_cast<std::size_t>(2 * D + 1 + j)] = keys(r, pick(r, j));
      lab[static_cast<std::size_t>(L - 2 * q + 2 * j)] = keys(r, pick(r, j));
      lab[static_cast<std::size_t>(L - 2 * q + 2 * j + 1)] = values(r, pick(r, j));
    }
    seq[static_cast<std::size_t>(2 * D + 1 + q)] = 1;
    for (std::int64_t i = 0; i + 1 < L; ++i) {
      ex.inputs(r, i) = seq[static_cast<std::size_t>(i)];
      ex.labels(r, i) = lab[static_cast<std::size_t>(i + 1)];
    }
  }
  ex.slices = {{"num_kv_pairs", std::to_string(D)}, {"input_seq_len", std::to_string(c.input_seq_len)}};
  return ex;
}

}  // namespace menagerie::synthetics
