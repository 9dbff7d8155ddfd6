// Laughing Hyena distillation (reference/distill.hpp), checked against sources independent of the fit:
//   (a) recovery: h[t] = sum_i R_i λ_i^t built here with std::pow from m0 random modes (|λ| in [0.6, 0.97],
//       conjugate pairs, one real pole when m0 is odd, so h is real) is fitted to < 1e-8 relative L2 at m >= m0,
//       each true pole is found to < 1e-6, and at m = m0 − 2 the error is > 1e-4 (the check can tell);
//   (b) forms: modal_generate (the recurrence, token by token) equals the causal convolution of u with
//       modal_filter(λ, R, T), written here as the O(T^2) double sum, to 1e-12 relative, and modal_filter equals
//       Re sum_i R_i λ_i^t by std::pow, on generic (not conjugate-paired) complex modes;
//   (c) Young's inequality: for the distilled y_m = modal_generate(λ, R, u) and y = h ∗ u (the double sum here),
//       |y_m[t] − y[t]| <= ||h − h_m||_1 ||u||_∞ at every t, on random u, for m in {2, 4, 8, 16}; the fit error
//       bounds the output error;
//   (d) on a smooth Hyena-like filter (a sum of exponentially modulated sinusoids times a Gaussian window, T = 1024)
//       the relative L2 fit error does not increase with m in {2, 4, 8, 16, 32} and is < 1e-3 at m = 32.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <random>
#include <vector>

#include "reference/distill.hpp"

namespace menagerie::test {
namespace {

using distill::cplx;

double rel_l2(const std::vector<double>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return std::sqrt(num / den);
}

std::vector<double> by_pow(const std::vector<cplx>& l, const std::vector<cplx>& R, int T) {
  std::vector<double> h(T, 0.0);
  for (int t = 0; t < T; ++t)
    for (std::size_t i = 0; i < l.size(); ++i) h[t] += (R[i] * std::pow(l[i], t)).real();
  return h;
}

std::vector<double> causal_conv(const std::vector<double>& h, const std::vector<double>& u) {
  std::vector<double> y(u.size(), 0.0);
  for (std::size_t t = 0; t < u.size(); ++t)
    for (std::size_t s = 0; s <= t; ++s) y[t] += h[t - s] * u[s];
  return y;
}

std::vector<double> random_u(std::mt19937_64& g, int T) {
  std::normal_distribution<double> n;
  std::vector<double> u(T);
  for (auto& x : u) x = n(g);
  return u;
}

// T = 1024: sum_k a_k exp(−d_k t/T) sin(ω_k t/T + φ_k) · exp(−(2t/T)^2), plus noise of size `noise`.
std::vector<double> hyena_like(std::uint64_t seed, double noise) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> U(0, 1);
  std::normal_distribution<double> N;
  const int T = 1024;
  std::vector<double> h(T, 0.0);
  for (int k = 0; k < 6; ++k) {
    const double a = 0.5 + U(g), d = 2 + 10 * U(g), w = 2 * std::numbers::pi * (1 + 20 * U(g)), p = 6 * U(g);
    for (int t = 0; t < T; ++t) h[t] += a * std::exp(-d * t / T) * std::sin(w * t / T + p);
  }
  for (int t = 0; t < T; ++t) h[t] = h[t] * std::exp(-std::pow(2.0 * t / T, 2)) + noise * N(g);
  return h;
}

TEST(Distill, RecoversAModalFilter) {
  for (const int m0 : {6, 7}) {
    std::mt19937_64 g(11 + m0);
    std::uniform_real_distribution<double> U(0, 1);
    std::vector<cplx> l, R;
    for (int i = 0; i + 1 < m0; i += 2) {
      const cplx li = std::polar(0.6 + 0.37 * U(g), std::numbers::pi * (0.05 + 0.9 * U(g)));
      const cplx ri(U(g) - 0.5, U(g) - 0.5);
      l.insert(l.end(), {li, std::conj(li)});
      R.insert(R.end(), {ri, std::conj(ri)});
    }
    if (m0 % 2 == 1) {
      l.push_back(-0.8);
      R.push_back(0.7);
    }
    const int T = 256;
    const auto h = by_pow(l, R, T);
    for (const int m : {m0, m0 + 2, m0 + 5}) {
      const auto fit = distill::distill(h, m);
      const double err = rel_l2(by_pow(fit.poles, fit.residues, T), h);
      EXPECT_LT(err, 1e-8) << "m0 = " << m0 << ", m = " << m;
      for (const auto& li : l) {
        double best = 1e9;
        for (const auto& p : fit.poles) best = std::min(best, std::abs(p - li));
        EXPECT_LT(best, 1e-6) << "m0 = " << m0 << ", m = " << m << ", pole " << li;
      }
      std::printf("m0 = %d, m = %d: order %zu, rel L2 %.2e\n", m0, m, fit.poles.size(), err);
    }
    const auto under = distill::distill(h, m0 - 2);
    EXPECT_GT(rel_l2(by_pow(under.poles, under.residues, T), h), 1e-4) << "m0 = " << m0;
  }
}

TEST(Distill, RecurrenceEqualsConvolutionWithTheModalFilter) {
  std::mt19937_64 g(5);
  std::uniform_real_distribution<double> U(-1, 1);
  for (const int n : {1, 5, 16}) {
    std::vector<cplx> l, R;
    for (int i = 0; i < n; ++i) {
      l.push_back(std::polar(0.5 + 0.49 * std::abs(U(g)), std::numbers::pi * U(g)));
      R.emplace_back(U(g), U(g));
    }
    const int T = 500;
    const auto hm = distill::modal_filter(l, R, T);
    EXPECT_LT(rel_l2(hm, by_pow(l, R, T)), 1e-12) << "n = " << n;
    const auto u = random_u(g, T);
    const auto y = distill::modal_generate(l, R, u);
    const auto want = causal_conv(hm, u);
    double worst = 0, scale = 0;
    for (int t = 0; t < T; ++t) {
      worst = std::max(worst, std::abs(y[t] - want[t]));
      scale = std::max(scale, std::abs(want[t]));
    }
    EXPECT_LT(worst, 1e-12 * scale) << "n = " << n;
    std::printf("n = %d: max |generate - conv| / max |conv| = %.2e\n", n, worst / scale);
  }
}

TEST(Distill, OutputErrorWithinYoungBound) {
  const auto h = hyena_like(3, 1e-3);
  const int T = static_cast<int>(h.size());
  std::mt19937_64 g(9);
  for (const int m : {2, 4, 8, 16}) {
    const auto fit = distill::distill(h, m);
    const auto hm = distill::modal_filter(fit.poles, fit.residues, T);
    double l1 = 0;
    for (int t = 0; t < T; ++t) l1 += std::abs(h[t] - hm[t]);
    for (int draw = 0; draw < 3; ++draw) {
      const auto u = random_u(g, T);
      double uinf = 0;
      for (const double x : u) uinf = std::max(uinf, std::abs(x));
      const auto ym = distill::modal_generate(fit.poles, fit.residues, u);
      const auto y = causal_conv(h, u);
      const double bound = l1 * uinf;
      double worst = 0;
      for (int t = 0; t < T; ++t) {
        EXPECT_LE(std::abs(ym[t] - y[t]), bound * (1 + 1e-9) + 1e-12) << "m = " << m << ", t = " << t;
        worst = std::max(worst, std::abs(ym[t] - y[t]));
      }
      if (draw == 0) std::printf("m = %d: max |y_m - y| = %.3e, bound %.3e\n", m, worst, bound);
    }
  }
}

TEST(Distill, ErrorNonIncreasingInOrder) {
  const auto h = hyena_like(7, 0.0);
  double prev = 1e300;
  for (const int m : {2, 4, 8, 16, 32}) {
    const auto fit = distill::distill(h, m);
    const double err = rel_l2(distill::modal_filter(fit.poles, fit.residues, static_cast<std::int64_t>(h.size())), h);
    std::printf("m = %d: rel L2 %.3e\n", m, err);
    EXPECT_LE(err, prev * (1 + 1e-9)) << "m = " << m;
    prev = err;
  }
  EXPECT_LT(prev, 1e-3);
}

}  // namespace
}  // namespace menagerie::test
