// Continuous MQAR index layout (see continuous_mqar.hpp).
#include "synthetics/continuous_mqar.hpp"

#include "synthetics/examples.hpp"
#include "synthetics/numpy_random.hpp"

namespace menagerie::synthetics {

void ContinuousMqarConfig::validate() const {
  const char* t = "continuous_mqar";
  require_at_least(t, "num_examples", num_examples, 1);
  require_at_least(t, "vocab_size", vocab_size, 2);
  require_at_least(t, "num_kv_pairs", num_kv_pairs, 1);
  require_at_least(t, "num_passes", num_passes, 1);
  require(num_kv_pairs <= vocab_size / 2, t, ": num_kv_pairs = ", num_kv_pairs, " must be <= vocab_size/2 = ",
          vocab_size / 2);
  require(num_passes < kMaxElements / num_kv_pairs, t, ": num_passes = ", num_passes, " is too large");
  check_total_size(num_examples, (num_passes + 1) * num_kv_pairs, t);
}

ContinuousMqarExamples continuous_mqar(const ContinuousMqarConfig& c, std::uint32_t seed) {
  c.validate();
  const std::int64_t n = c.num_examples, D = c.num_kv_pairs, P = c.num_passes, K = c.vocab_size / 2;
  const std::int64_t R = (P + 1) * D;
  LegacyRandomState rs(seed);
  std::vector<std::int64_t> fixed_map;
  if (!c.per_sequence_mapping) fixed_map = rs.permutation(K);

  ContinuousMqarExamples out{Tensor<std::int64_t>({n, R}), Tensor<std::int64_t>({n, R}, -1),
                             Tensor<std::int64_t>({n, D})};
  std::vector<std::int64_t> keys(static_cast<std::size_t>(D)), vals(static_cast<std::size_t>(D)),
      order(static_cast<std::size_t>(D));
  for (std::int64_t r = 0; r < n; ++r) {
    rs.choice_without_replacement(K, keys);
    if (c.per_sequence_mapping) {
      rs.choice_without_replacement(K, vals);  // D distinct values; their order is the random matching
    } else {
      for (std::size_t j = 0; j < keys.size(); ++j) vals[j] = fixed_map[static_cast<std::size_t>(keys[j])];
    }
    std::int64_t row = 0;
    for (std::int64_t pass = 0; pass < P; ++pass) {
      rs.choice_without_replacement(D, order);
      for (auto j : order) {
        out.key_ids(r, row) = keys[static_cast<std::size_t>(j)];
        out.value_ids(r, row) = vals[static_cast<std::size_t>(j)];
        ++row;
      }
    }
    rs.choice_without_replacement(D, order);
    for (std::int64_t q = 0; q < D; ++q) {
      const auto j = static_cast<std::size_t>(order[static_cast<std::size_t>(q)]);
      out.key_ids(r, row++) = keys[j];
      out.labels(r, q) = vals[j];
    }
  }
  return out;
}

}  // namespace menagerie::synthetics
