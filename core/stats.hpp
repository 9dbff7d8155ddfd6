// The statistics behind `menagerie gate` (cli/gate.cpp): is a fresh measurement of a time-like quantity (larger is
// worse) the same as its baseline, or slower, given run-to-run noise?
//   mann_whitney(a, b)   two-sided p-value of the Mann-Whitney U test (Wilcoxon rank sum) that a and b come from the
//                        same distribution: the exact null distribution of U when neither sample has ties and
//                        |a| |b| <= 2500, else the normal approximation with the tie-corrected variance and a continuity
//                        correction (Google Benchmark's compare.py uses the same test, through scipy)
//   median_ratio_interval(base, now, level, seed)   percentile bootstrap interval of median(now) / median(base):
//                        `resamples` draws of each sample with replacement (SplitMix64 from `seed`: reproducible)
//   compare(base, now, rule)   the verdict: SLOWER when the U test rejects (p < alpha) and the median ratio exceeds
//                        1 + threshold; FASTER when it rejects and the ratio is below 1 - threshold; SAME when the
//                        ratio's interval lies inside [1 - threshold, 1 + threshold]; UNSURE otherwise (too few or too
//                        noisy samples to tell). A sample compared with itself gives p = 1: never SLOWER.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace menagerie::stats {

double median(std::vector<double> x);
double mann_whitney(const std::vector<double>& a, const std::vector<double>& b);

struct Interval {
  double lo = 0, hi = 0;
};
Interval median_ratio_interval(const std::vector<double>& base, const std::vector<double>& now, double level,
                               std::uint64_t seed, int resamples = 2000);

enum class Verdict { same, faster, slower, unsure };
const char* verdict_name(Verdict v);  // "SAME", "FASTER", "SLOWER", "UNSURE"

struct Rule {
  double threshold = 0.05;  // relative change that matters
  double alpha = 0.01;      // the U test's significance level
  double level = 0.95;      // the bootstrap interval's coverage
};

struct Comparison {
  double base_median = 0, now_median = 0, ratio = 0, p = 1;
  Interval interval;
  Verdict verdict = Verdict::unsure;
};
// Throws InputError when either sample is empty or holds a non-finite or negative value.
Comparison compare(const std::vector<double>& base, const std::vector<double>& now, const Rule& rule,
                   std::uint64_t seed = 1);

}  // namespace menagerie::stats
