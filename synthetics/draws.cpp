// Row-wise numpy draws shared by the Zoology-family generators (see draws.hpp).
#include "synthetics/draws.hpp"

namespace menagerie::synthetics {

Tensor<std::int64_t> distinct_rows(LegacyRandomState& rs, std::int64_t n, std::int64_t lo, std::int64_t hi,
                                   std::int64_t k, bool numpy_stream) {
  require(k <= hi - lo, "cannot draw ", k, " distinct values from [", lo, ", ", hi, ")");
  Tensor<std::int64_t> out({n, k});
  for (std::int64_t r = 0; r < n; ++r) {
    std::span<std::int64_t> row(out.data() + r * k, static_cast<std::size_t>(k));
    if (numpy_stream) {
      rs.choice_without_replacement(hi - lo, row);
    } else {
      rs.sample_without_replacement(hi - lo, row);
    }
    for (auto& v : row) v += lo;
  }
  return out;
}

Tensor<std::int64_t> gap_slots(LegacyRandomState& rs, std::int64_t n, std::int64_t space, std::int64_t k,
                               double power_a) {
  const auto p = power_law_probs(space, power_a);
  Tensor<std::int64_t> out({n, k});
  for (std::int64_t r = 0; r < n; ++r)
    rs.weighted_choice_without_replacement(p, std::span<std::int64_t>(out.data() + r * k, static_cast<std::size_t>(k)));
  return out;
}

void fill_zeros_uniform(LegacyRandomState& rs, Tensor<std::int64_t>& x, std::int64_t vocab) {
  for (auto& v : x.flat())
    if (v == 0) v = rs.randint(0, vocab);
}

}  // namespace menagerie::synthetics
