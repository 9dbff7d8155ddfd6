// The gap-statistics table of docs/synthetics.md §1.1 reproduced: for the five paper settings (a = 0.01) the
// first key's gap slot g_0 from mqar's draws has P(g_0 = 0), P(g_0 < D) and E[g_0] within 4 standard errors of
// the exact values (p_1, p_1 + ... + p_D, sum (i-1) p_i), and those exact values round to the spec's printed
// digits; at (256, 16) the key -> query distance is ~73 tokens, 2 at least and 254 at most. The test prints the
// table (measured, exact, spec); `menagerie data mqar-gap-stats` prints the same.
#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>

#include "synthetics/gap_stats.hpp"
#include "verify/support/env.hpp"

namespace menagerie::synthetics {
namespace {

struct SpecRow {
  std::int64_t N, D, slots;
  double p0, below, mean;
};
// docs/synthetics.md §1.1, "Gap statistics for the paper settings (a = 0.01)".
const SpecRow kSpec[] = {{64, 4, 28, 0.251, 0.526, 6.2},
                         {128, 8, 56, 0.213, 0.584, 11.3},
                         {256, 16, 112, 0.185, 0.632, 20.5},
                         {512, 64, 192, 0.167, 0.808, 32.5},
                         {1024, 256, 256, 0.159, 1.000, 41.7}};

TEST(SyntheticsGapStats, SpecTableReproducedWithinSamplingError) {
  const std::int64_t samples = test::tier() == test::Tier::full ? 200000 : 20000;
  const auto seed = static_cast<std::uint32_t>(test::test_seed());
  std::printf("MQAR gap slot of the first key, a = 0.01, %lld samples per row (measured +- 1 s.e. | exact | spec)\n",
              static_cast<long long>(samples));
  std::printf("%-12s %5s  %-26s %-26s %-26s\n", "(N, D)", "slots", "P(slot 0)", "P(slot < D)", "E[slot]");
  ASSERT_EQ(paper_gap_settings().size(), std::size(kSpec));
  for (const auto& spec : kSpec) {
    const auto s = mqar_gap_stats(spec.N, spec.D, 0.01, samples, seed);
    std::printf("(%4lld, %3lld) %5lld  %.3f+-%.3f|%.4f|%.3f  %.3f+-%.3f|%.4f|%.3f  %5.2f+-%.2f|%6.2f|%4.1f\n",
                static_cast<long long>(spec.N), static_cast<long long>(spec.D), static_cast<long long>(s.slots),
                s.p_slot0, s.se_slot0, s.exact_slot0, spec.p0, s.p_below_d, s.se_below_d, s.exact_below_d,
                spec.below, s.mean_slot, s.se_mean, s.exact_mean, spec.mean);
    EXPECT_EQ(s.slots, spec.slots);
    // The exact law rounds to the spec's digits.
    EXPECT_LE(std::abs(s.exact_slot0 - spec.p0), 0.0005 + 1e-12);
    EXPECT_LE(std::abs(s.exact_below_d - spec.below), 0.0005 + 1e-12);
    EXPECT_LE(std::abs(s.exact_mean - spec.mean), 0.05 + 1e-12);
    // The generator's draws agree with it within 4 standard errors (and hence with the spec, up to its rounding).
    EXPECT_LE(std::abs(s.p_slot0 - s.exact_slot0), 4 * s.se_slot0 + 1e-12);
    EXPECT_LE(std::abs(s.p_below_d - s.exact_below_d), 4 * s.se_below_d + 1e-12);
    EXPECT_LE(std::abs(s.mean_slot - s.exact_mean), 4 * s.se_mean + 1e-12);
    EXPECT_LE(std::abs(s.p_slot0 - spec.p0), 4 * s.se_slot0 + 0.0005);
    EXPECT_LE(std::abs(s.p_below_d - spec.below), 4 * s.se_below_d + 0.0005);
    EXPECT_LE(std::abs(s.mean_slot - spec.mean), 4 * s.se_mean + 0.05);
    if (spec.N == 256) {
      std::printf("(256, 16) key -> query distance: mean %.1f, min %lld, max %lld (spec: ~73, 2, 254)\n",
                  s.mean_distance, static_cast<long long>(s.min_distance), static_cast<long long>(s.max_distance));
      EXPECT_NEAR(s.mean_distance, 73.0, 1.0);
      EXPECT_EQ(s.min_distance, 2);
      EXPECT_EQ(s.max_distance, 254);
    }
  }
}

TEST(SyntheticsGapStats, FullSpaceOnlyPermutesTheSlots) {  // (1024, 256): space = D, every slot used once
  const auto s = mqar_gap_stats(1024, 256, 0.01, 200, 7);
  EXPECT_EQ(s.slots, 256);
  EXPECT_DOUBLE_EQ(s.p_below_d, 1.0);
  EXPECT_DOUBLE_EQ(s.exact_below_d, 1.0);
}

}  // namespace
}  // namespace menagerie::synthetics
