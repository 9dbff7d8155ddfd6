// core/stats.hpp, the statistics of `menagerie gate`: the Mann-Whitney U test against values worked out by hand
// from its null distribution, the normal approximation against the exact distribution where both apply, and the
// verdict's two promises: a sample compared with itself, or with a copy carrying noise well inside the threshold,
// is never SLOWER; a clear slowdown is SLOWER, a clear speed-up FASTER, too few noisy samples UNSURE.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "core/errors.hpp"
#include "core/stats.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

using stats::Verdict;

TEST(Stats, ExactPValuesFromTheNullDistribution) {
  // n = m = 5, every a below every b: U = 0, one arrangement of C(10, 5) = 252 is that extreme on each side.
  EXPECT_NEAR(stats::mann_whitney({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}), 2.0 / 252, 1e-15);
  EXPECT_NEAR(stats::mann_whitney({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5}), 2.0 / 252, 1e-15);
  // n = 3, m = 2: the U counts of the 10 arrangements are 0,1,2,2,3,3,4,4,5,6; a = {1,3,5}, b = {2,4} has U = 3,
  // P(U <= 3) = 6/10, so the two-sided p is capped at 1. a = {1,2,3}, b = {4,5}: U = 0, p = 2/10.
  EXPECT_DOUBLE_EQ(stats::mann_whitney({1, 3, 5}, {2, 4}), 1.0);
  EXPECT_NEAR(stats::mann_whitney({1, 2, 3}, {4, 5}), 0.2, 1e-15);
  // n = 4, m = 4, U = 1 (one pair out of order): arrangements with U <= 1 are 2 of C(8, 4) = 70.
  EXPECT_NEAR(stats::mann_whitney({1, 2, 3, 5}, {4, 6, 7, 8}), 2 * 2.0 / 70, 1e-15);
}

TEST(Stats, NormalApproximationAgreesWithTheExactTestOnLargeSamples) {
  // 60 x 60 = 3600 > 2500 pairs: the normal branch: near 1 for interleaved samples, tiny for a large shift. Against
  // the exact branch: 50 x 50 grid points shifted by 10.5 (U = 780 against a mean of 1250, z = 3.2, p ~ 1e-3),
  // then one more point (51 x 50 = 2550 pairs: the normal branch) on nearly the same data.
  std::vector<double> a, b, c;
  for (int i = 0; i < 60; ++i) a.push_back(i), b.push_back(i + 0.5), c.push_back(i + 30.5);
  EXPECT_GT(stats::mann_whitney(a, b), 0.8);
  EXPECT_LT(stats::mann_whitney(a, c), 1e-6);
  std::vector<double> a50(a.begin(), a.begin() + 50), c50;
  for (int i = 0; i < 50; ++i) c50.push_back(i + 10.5);
  const double exact = stats::mann_whitney(a50, c50);
  a50.push_back(0.25);  // 51 x 50 = 2550 pairs: the normal branch, nearly the same data
  const double normal = stats::mann_whitney(a50, c50);
  EXPECT_GT(exact, 1e-4);
  EXPECT_LT(exact, 1e-2);
  EXPECT_NEAR(std::log10(normal), std::log10(exact), 0.35) << "exact " << exact << ", normal " << normal;
}

TEST(Stats, TiesAndIdenticalSamples) {
  EXPECT_DOUBLE_EQ(stats::mann_whitney({3, 3, 3}, {3, 3, 3}), 1.0);
  const std::vector<double> x = {1.00, 1.01, 0.99, 1.02, 1.00, 0.98};
  EXPECT_DOUBLE_EQ(stats::mann_whitney(x, x), 1.0);
  EXPECT_THROW(stats::mann_whitney({}, x), InputError);
  EXPECT_THROW(stats::mann_whitney({1, NAN}, x), InputError);
}

std::vector<double> noisy(std::mt19937_64& rng, int n, double center, double rel_noise) {
  std::normal_distribution<double> z(0, 1);
  std::vector<double> x;
  for (int i = 0; i < n; ++i) x.push_back(center * (1 + rel_noise * z(rng)));
  return x;
}

TEST(Stats, SelfComparisonIsNeverSlower) {
  const auto seed = test::test_seed();
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  int slower = 0, same = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int n = 3 + trial % 20;
    const double noise = trial % 3 == 0 ? 0.001 : trial % 3 == 1 ? 0.01 : 0.05;
    const auto x = noisy(rng, n, 1.0, noise);
    const auto self = stats::compare(x, x, {}, trial);
    slower += self.verdict == Verdict::slower;
    // two runs of identical code: independent noise, same center, noise at most a fifth of the 5% threshold (with
    // noise near the threshold a false alarm has probability about alpha, which no test can remove)
    if (noise <= 0.01) slower += stats::compare(x, noisy(rng, n, 1.0, noise), {}, trial).verdict == Verdict::slower;
    same += self.verdict == Verdict::same;
  }
  EXPECT_EQ(slower, 0);
  EXPECT_GT(same, 100);  // quiet self-comparisons are confirmed SAME, not merely not-SLOWER
}

TEST(Stats, VerdictsOnClearChangesAndOnNoise) {
  std::mt19937_64 rng(test::test_seed());
  const auto base = noisy(rng, 10, 1.0, 0.005);
  EXPECT_EQ(stats::compare(base, noisy(rng, 10, 1.20, 0.005), {}).verdict, Verdict::slower);
  EXPECT_EQ(stats::compare(base, noisy(rng, 10, 0.80, 0.005), {}).verdict, Verdict::faster);
  EXPECT_EQ(stats::compare(base, noisy(rng, 10, 1.01, 0.005), {}).verdict, Verdict::same);
  // 3 samples with 30% noise and a 10% slowdown: the test cannot reject: UNSURE, not a false alarm
  EXPECT_EQ(stats::compare(noisy(rng, 3, 1.0, 0.3), noisy(rng, 3, 1.1, 0.3), {}).verdict, Verdict::unsure);
  const auto c = stats::compare(base, noisy(rng, 10, 1.20, 0.005), {});
  EXPECT_GT(c.interval.lo, 1.15);
  EXPECT_LT(c.interval.hi, 1.25);
}

}  // namespace
}  // namespace menagerie
