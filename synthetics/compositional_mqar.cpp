// Compositional MQAR (see compositional_mqar.hpp).
#include "synthetics/compositional_mqar.hpp"

#include <cmath>

#include "synthetics/draws.hpp"

namespace menagerie::synthetics {

namespace {
std::int64_t isqrt(std::int64_t d) {
  auto g = static_cast<std::int64_t>(std::sqrt(static_cast<double>(d)));
  while (g * g > d) --g;
  while ((g + 1) * (g + 1) <= d) ++g;
  return g;
}
}  // namespace

void CompositionalMqarConfig::validate() const {
  const char* t = "compositional_mqar";
  require_at_least(t, "num_examples", num_examples, 1);
  require_at_least(t, "num_kv_pairs", num_kv_pairs, 1);
  require_at_least(t, "input_seq_len", input_seq_len, 2);
  require_even(t, "input_seq_len", input_seq_len);
  require_vocab_exceeds_len(t, vocab_size, input_seq_len);
  require(std::isfinite(power_a) && power_a > 0, t, ": power_a = ", power_a, " must be a finite number > 0");
  require(num_kv_pairs <= input_seq_len / 6, t, ": 6*num_kv_pairs = 6*", num_kv_pairs,
          " must be <= input_seq_len = ", input_seq_len);
  const auto g = isqrt(num_kv_pairs);
  require(g * g == num_kv_pairs, t, ": num_kv_pairs = ", num_kv_pairs, " must be a perfect square (4, 9, 16, ...)");
  check_total_size(num_examples, input_seq_len, t);
}

Examples compositional_mqar(const CompositionalMqarConfig& c, std::uint32_t seed) {
  c.validate();
  const std::int64_t n = c.num_examples, N = c.input_seq_len, D = c.num_kv_pairs, g = isqrt(D);
  const std::int64_t third = c.vocab_size / 3, C = 3 * D, space = (N - C) / 3;
  LegacyRandomState rs(seed);
  const auto k1_set = distinct_rows(rs, n, 1, third, g);
  const auto k2_set = distinct_rows(rs, n, third, 2 * third, g);
  Tensor<std::int64_t> k1({n, D}), k2({n, D});
  std::vector<std::int64_t> perm(static_cast<std::size_t>(D));
  for (std::int64_t r = 0; r < n; ++r) {
    rs.choice_without_replacement(D, perm);  // np.random.permutation(D)
    for (std::int64_t j = 0; j < D; ++j) {
      const auto q = perm[static_cast<std::size_t>(j)];
      k1(r, j) = k1_set(r, q / g);
      k2(r, j) = k2_set(r, q % g);
    }
  }
  const auto values = distinct_rows(rs, n, 2 * third, c.vocab_size, D);
  const auto gaps = gap_slots(rs, n, space, D, c.power_a);

  Examples ex = blank_examples(n, N);
  for (std::int64_t r = 0; r < n; ++r) {
    std::int64_t* in = ex.inputs.data() + r * N;
    std::int64_t* lab = ex.labels.data() + r * N;
    for (std::int64_t j = 0; j < D; ++j) {
      in[3 * j] = k1(r, j);
      in[3 * j + 1] = k2(r, j);
      in[3 * j + 2] = values(r, j);
      const std::int64_t q = C + 3 * gaps(r, j);
      in[q] = k1(r, j);
      in[q + 1] = k2(r, j);
      lab[q + 1] = values(r, j);
    }
  }
  if (c.random_non_queries) fill_zeros_uniform(rs, ex.inputs, c.vocab_size);
  ex.slices = {{"num_kv_pairs", std::to_string(D)}, {"input_seq_len", std::to_string(N)}};
  return ex;
}

}  // namespace menagerie::synthetics
