// Forgetting MQAR (see forgetting_mqar.hpp for the layout and the fixes).
#include "synthetics/forgetting_mqar.hpp"

#include <algorithm>
#include <cmath>

#include "synthetics/draws.hpp"

namespace menagerie::synthetics {

void ForgettingMqarConfig::validate() const {
  const char* t = "forgetting_mqar";
  require_at_least(t, "num_examples", num_examples, 1);
  require_at_least(t, "num_kv_pairs", num_kv_pairs, 1);
  require_at_least(t, "num_updates", num_updates, 0);
  require_at_least(t, "input_seq_len", input_seq_len, 2);
  require_even(t, "input_seq_len", input_seq_len);
  require_vocab_exceeds_len(t, vocab_size, input_seq_len);
  require(std::isfinite(power_a) && power_a > 0, t, ": power_a = ", power_a, " must be a finite number > 0");
  require(num_updates <= num_kv_pairs, t, ": num_updates = ", num_updates, " must be <= num_kv_pairs = ",
          num_kv_pairs);
  require(num_kv_pairs <= input_seq_len && 4 * num_kv_pairs + 2 * num_updates <= input_seq_len, t,
          ": 2*(num_kv_pairs + num_updates) + 2*num_kv_pairs = 2*(", num_kv_pairs, " + ", num_updates, ") + 2*",
          num_kv_pairs, " must be <= input_seq_len = ", input_seq_len);
  check_total_size(num_examples, input_seq_len, t);
}

Examples forgetting_mqar(const ForgettingMqarConfig& c, std::uint32_t seed) {
  c.validate();
  const std::int64_t n = c.num_examples, N = c.input_seq_len, D = c.num_kv_pairs, U = c.num_updates;
  const std::int64_t half = c.vocab_size / 2, C = 2 * (D + U), space = (N - C) / 2;
  LegacyRandomState rs(seed);
  const auto keys = distinct_rows(rs, n, 1, half, D);
  const auto values = distinct_rows(rs, n, half, c.vocab_size, D);
  Tensor<std::int64_t> updated({n, U}), fresh({n, U});
  std::vector<std::int64_t> used;
  for (std::int64_t r = 0; r < n; ++r) {
    std::span<std::int64_t> idx(updated.data() + r * U, static_cast<std::size_t>(U));
    rs.choice_without_replacement(D, idx);
    used.assign(values.data() + r * D, values.data() + (r + 1) * D);
    for (std::int64_t j = 0; j < U; ++j) {
      std::int64_t w;
      do {
        w = rs.randint(half, c.vocab_size);
      } while (std::find(used.begin(), used.end(), w) != used.end());
      used.push_back(w);
      fresh(r, j) = w;
    }
  }
  const auto gaps = gap_slots(rs, n, space, D, c.power_a);

  Examples ex = blank_examples(n, N);
  std::vector<std::int64_t> final_value(static_cast<std::size_t>(D));
  for (std::int64_t r = 0; r < n; ++r) {
    std::int64_t* in = ex.inputs.data() + r * N;
    std::int64_t* lab = ex.labels.data() + r * N;
    for (std::int64_t j = 0; j < D; ++j) {
      in[2 * j] = keys(r, j);
      in[2 * j + 1] = values(r, j);
      final_value[static_cast<std::size_t>(j)] = values(r, j);
    }
    for (std::int64_t j = 0; j < U; ++j) {
      const auto u = updated(r, j);
      in[2 * D + 2 * j] = keys(r, u);
      in[2 * D + 2 * j + 1] = fresh(r, j);
      final_value[static_cast<std::size_t>(u)] = fresh(r, j);
    }
    for (std::int64_t j = 0; j < D; ++j) {
      in[C + 2 * gaps(r, j)] = keys(r, j);
      lab[C + 2 * gaps(r, j)] = final_value[static_cast<std::size_t>(j)];
    }
  }
  if (c.random_non_queries) fill_zeros_uniform(rs, ex.inputs, c.vocab_size);
  ex.slices = {{"num_kv_pairs", std::to_string(D)}, {"num_updates", std::to_string(U)},
               {"input_seq_len", std::to_string(N)}};
  return ex;
}

}  // namespace menagerie::synthetics
