// core/stats.hpp: the Mann-Whitney U test, a bootstrap interval of a median ratio, and the gate's verdict.
#include "core/stats.hpp"

#include <algorithm>
#include <cmath>

#include "core/errors.hpp"

namespace menagerie::stats {

namespace {

void check_sample(const std::vector<double>& x, const char* what) {
  require<InputError>(!x.empty(), "gate: the ", what, " sample is empty");
  for (double v : x)
    require<InputError>(std::isfinite(v) && v >= 0, "gate: the ", what, " sample holds ", v,
                        "; expected finite values >= 0");
}

// Midranks of the pooled sample; returns U_a = R_a - n(n+1)/2 and the tie term sum (t^3 - t).
struct Ranked {
  double u_a = 0, ties = 0;
};
Ranked rank(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<std::pair<double, int>> all;
  for (double v : a) all.push_back({v, 0});
  for (double v : b) all.push_back({v, 1});
  std::sort(all.begin(), all.end());
  Ranked r;
  double rank_a = 0;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) ++j;
    const double mid = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2, t = static_cast<double>(j - i);
    for (std::size_t k = i; k < j; ++k)
      if (all[k].second == 0) rank_a += mid;
    r.ties += t * t * t - t;
    i = j;
  }
  const double n = static_cast<double>(a.size());
  r.u_a = rank_a - n * (n + 1) / 2;
  return r;
}

// P(U <= u) under the null, no ties: counts of arrangements by the recurrence
// c(n, m, u) = c(n - 1, m, u - m) + c(n, m - 1, u), in doubles (exact up to 2^53 arrangements, ample here).
double exact_cdf(std::size_t n, std::size_t m, double u) {
  const std::size_t top = n * m;
  // f[j][v]: arrangements of n' = current row, j of the other sample, with U = v; rolled over n'.
  std::vector<std::vector<double>> f(m + 1, std::vector<double>(top + 1, 0));
  for (std::size_t j = 0; j <= m; ++j) f[j][0] = 1;  // n' = 0: U = 0
  for (std::size_t i = 1; i <= n; ++i) {
    std::vector<std::vector<double>> g(m + 1, std::vector<double>(top + 1, 0));
    g[0][0] = 1;  // no others: U = 0
    for (std::size_t j = 1; j <= m; ++j)
      for (std::size_t v = 0; v <= i * j; ++v) g[j][v] = (v >= j ? f[j][v - j] : 0) + g[j - 1][v];
    f.swap(g);
  }
  double total = 0, below = 0;
  for (std::size_t v = 0; v <= top; ++v) {
    total += f[m][v];
    if (static_cast<double>(v) <= u + 1e-9) below += f[m][v];
  }
  return below / total;
}

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::vector<double> resample(const std::vector<double>& x, std::uint64_t& s) {
  std::vector<double> y(x.size());
  for (auto& v : y) v = x[splitmix(s) % x.size()];
  return y;
}

double quantile(std::vector<double> x, double q) {
  std::sort(x.begin(), x.end());
  const double pos = q * static_cast<double>(x.size() - 1);
  const auto i = static_cast<std::size_t>(pos);
  const double frac = pos - static_cast<double>(i);
  return i + 1 < x.size() ? x[i] * (1 - frac) + x[i + 1] * frac : x[i];
}

}  // namespace

double median(std::vector<double> x) {
  require<InputError>(!x.empty(), "median of an empty sample");
  return quantile(std::move(x), 0.5);
}

double mann_whitney(const std::vector<double>& a, const std::vector<double>& b) {
  check_sample(a, "first");
  check_sample(b, "second");
  const auto r = rank(a, b);
  const double n = static_cast<double>(a.size()), m = static_cast<double>(b.size());
  const double mean = n * m / 2;
  if (r.ties == 0 && a.size() * b.size() <= 2500) {
    const double lo = std::min(r.u_a, n * m - r.u_a);  // the smaller tail, by symmetry of the null
    return std::min(1.0, 2 * exact_cdf(a.size(), b.size(), lo));
  }
  const double N = n + m;
  const double var = n * m / 12 * ((N + 1) - r.ties / (N * (N - 1)));
  if (var <= 0) return 1;  // every value equal
  const double z = std::max(0.0, std::abs(r.u_a - mean) - 0.5) / std::sqrt(var);
  return std::min(1.0, std::erfc(z / std::sqrt(2.0)));
}

Interval median_ratio_interval(const std::vector<double>& base, const std::vector<double>& now, double level,
                               std::uint64_t seed, int resamples) {
  check_sample(base, "baseline");
  check_sample(now, "new");
  std::vector<double> ratios;
  ratios.reserve(static_cast<std::size_t>(resamples));
  std::uint64_t s = seed;
  for (int i = 0; i < resamples; ++i) {
    const double b = median(resample(base, s)), n = median(resample(now, s));
    ratios.push_back(b > 0 ? n / b : (n > 0 ? INFINITY : 1));
  }
  const double tail = (1 - level) / 2;
  return {quantile(ratios, tail), quantile(ratios, 1 - tail)};
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::same: return "SAME";
    case Verdict::faster: return "FASTER";
    case Verdict::slower: return "SLOWER";
    default: return "UNSURE";
  }
}

Comparison compare(const std::vector<double>& base, const std::vector<double>& now, const Rule& rule,
                   std::uint64_t seed) {
  Comparison c;
  c.p = mann_whitney(base, now);
  c.base_median = median(base);
  c.now_median = median(now);
  c.ratio = c.base_median > 0 ? c.now_median / c.base_median : (c.now_median > 0 ? INFINITY : 1);
  c.interval = median_ratio_interval(base, now, rule.level, seed);
  const bool significant = c.p < rule.alpha;
  if (significant && c.ratio > 1 + rule.threshold)
    c.verdict = Verdict::slower;
  else if (significant && c.ratio < 1 - rule.threshold)
    c.verdict = Verdict::faster;
  else if (c.interval.lo >= 1 - rule.threshold && c.interval.hi <= 1 + rule.threshold)
    c.verdict = Verdict::same;
  else
    c.verdict = Verdict::unsure;
  return c;
}

}  // namespace menagerie::stats
