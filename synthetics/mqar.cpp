// MQAR (see mqar.hpp for the layout, the stream order and the num_passes fix).
#include "synthetics/mqar.hpp"

#include <cmath>

#include "synthetics/draws.hpp"

namespace menagerie::synthetics {

void MqarConfig::validate() const {
  const char* t = "mqar";
  require_at_least(t, "num_examples", num_examples, 1);
  require_at_least(t, "num_kv_pairs", num_kv_pairs, 1);
  require_at_least(t, "num_passes", num_passes, 1);
  require_at_least(t, "input_seq_len", input_seq_len, 2);
  require_even(t, "input_seq_len", input_seq_len);
  require_vocab_exceeds_len(t, vocab_size, input_seq_len);
  require(std::isfinite(power_a) && power_a > 0, t, ": power_a = ", power_a, " must be a finite number > 0");
  check_total_size(num_examples, input_seq_len, t);
  require(num_passes < input_seq_len && num_kv_pairs <= input_seq_len / (2 * (num_passes + 1)), t,
          ": 2*num_kv_pairs*num_passes + 2*num_kv_pairs = 2*", num_kv_pairs, "*", num_passes, " + 2*", num_kv_pairs,
          " must be <= input_seq_len = ", input_seq_len);
}

Examples mqar(const MqarConfig& c, std::uint32_t seed) {
  c.validate();
  const std::int64_t n = c.num_examples, N = c.input_seq_len, D = c.num_kv_pairs, P = c.num_passes;
  const std::int64_t half = c.vocab_size / 2, C = 2 * D * P, space = (N - C) / 2;
  LegacyRandomState rs(seed);
  const auto keys = distinct_rows(rs, n, 1, half, D, c.numpy_stream);
  const auto values = distinct_rows(rs, n, half, c.vocab_size, D, c.numpy_stream);
  const auto gaps = gap_slots(rs, n, space, D, c.power_a);

  Examples ex = blank_examples(n, N);
  for (std::int64_t r = 0; r < n; ++r) {
    std::int64_t* in = ex.inputs.data() + r * N;
    std::int64_t* lab = ex.labels.data() + r * N;
    const std::int64_t* k = keys.data() + r * D;
    const std::int64_t* v = values.data() + r * D;
    const std::int64_t* g = gaps.data() + r * D;
    for (std::int64_t pass = 0; pass < P; ++pass)
      for (std::int64_t j = 0; j < D; ++j) {
        in[pass * 2 * D + 2 * j] = k[j];
        in[pass * 2 * D + 2 * j + 1] = v[j];
      }
    for (std::int64_t j = 0; j < D; ++j) {
      in[C + 2 * g[j]] = k[j];
      lab[C + 2 * g[j]] = v[j];
    }
  }
  if (c.random_non_queries) fill_zeros_uniform(rs, ex.inputs, c.vocab_size);
  ex.slices = {{"num_kv_pairs", std::to_string(D)}, {"input_seq_len", std::to_string(N)},
               {"num_passes", std::to_string(P)}};
  return ex;
}

}  // namespace menagerie::synthetics
