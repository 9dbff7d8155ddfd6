// MQAR gap-slot statistics (see gap_stats.hpp).
#include "synthetics/gap_stats.hpp"

#include <algorithm>
#include <cmath>

#include "core/errors.hpp"
#include "synthetics/draws.hpp"

namespace menagerie::synthetics {

GapStats mqar_gap_stats(std::int64_t seq_len, std::int64_t num_kv_pairs, double power_a, std::int64_t samples,
                        std::uint32_t seed) {
  require(num_kv_pairs >= 1 && seq_len >= 4 * num_kv_pairs && seq_len % 2 == 0, "mqar gap stats: (N = ", seq_len,
          ", D = ", num_kv_pairs, ") needs an even N >= 4D and D >= 1");
  require(samples >= 2, "mqar gap stats: samples = ", samples, " must be >= 2");
  require(std::isfinite(power_a) && power_a > 0, "mqar gap stats: power_a = ", power_a, " must be finite and > 0");
  GapStats s;
  s.seq_len = seq_len;
  s.num_kv_pairs = num_kv_pairs;
  s.samples = samples;
  const std::int64_t D = num_kv_pairs, C = 2 * D;
  s.slots = (seq_len - C) / 2;
  const auto p = power_law_probs(s.slots, power_a);
  double var = 0;
  for (std::int64_t i = 0; i < s.slots; ++i) {
    const double pi = p[static_cast<std::size_t>(i)];
    if (i < D) s.exact_below_d += pi;
    s.exact_mean += static_cast<double>(i) * pi;
    var += static_cast<double>(i) * static_cast<double>(i) * pi;
  }
  s.exact_slot0 = p[0];
  var -= s.exact_mean * s.exact_mean;
  const auto m = static_cast<double>(samples);
  auto bernoulli_se = [m](double q) {
    q = std::clamp(q, 0.0, 1.0);  // a sum of probabilities can pass 1 by an ulp
    return std::sqrt(q * (1 - q) / m);
  };
  s.se_slot0 = bernoulli_se(s.exact_slot0);
  s.se_below_d = bernoulli_se(s.exact_below_d);
  s.se_mean = std::sqrt(std::max(var, 0.0) / m);

  LegacyRandomState rs(seed);
  const auto gaps = gap_slots(rs, samples, s.slots, D, power_a);
  double zero = 0, below = 0, sum = 0, dist = 0;
  s.min_distance = seq_len;
  for (std::int64_t r = 0; r < samples; ++r) {
    const auto g0 = gaps(r, 0);
    zero += g0 == 0;
    below += g0 < D;
    sum += static_cast<double>(g0);
    for (std::int64_t j = 0; j < D; ++j) {
      const auto d = C + 2 * gaps(r, j) - 2 * j;
      dist += static_cast<double>(d);
      s.min_distance = std::min(s.min_distance, d);
      s.max_distance = std::max(s.max_distance, d);
    }
  }
  s.p_slot0 = zero / m;
  s.p_below_d = below / m;
  s.mean_slot = sum / m;
  s.mean_distance = dist / (m * static_cast<double>(D));
  return s;
}

std::vector<std::pair<std::int64_t, std::int64_t>> paper_gap_settings() {
  return {{64, 4}, {128, 8}, {256, 16}, {512, 64}, {1024, 256}};
}

}  // namespace menagerie::synthetics
