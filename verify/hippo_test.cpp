// The HiPPO matrices (reference/hippo.hpp) against two independent sources:
//   - their closed forms, the case tables of the HiPPO paper (Gu et al. 2020, Appendix D: LegS eq. (29), LegT with
//     λ_n = 1, FouT with its −2, −2√2, −4 corner), written here entry by entry, in float, double and Mp; and S4's
//     NPLR split of LegS (S − P Pᵀ = A, S + Sᵀ = −I);
//   - the ODE each defines: f(x) = sin(2π 1.3 x) + 0.5 cos(2π 2.7 x + 0.3) + 0.3 e^{−x} is projected onto the basis by
//     integrating c' = A c + B f (LegS: in log-time τ = ln t, dc/dτ = A c + B f(e^τ)) with RK4 in double (step
//     h = min(1e-3, 1/(4‖A‖∞))), from c at t0 = the projection by Gauss-Legendre quadrature (LegS t0 = 0.01 to t = 1;
//     LegT, FouT with θ = 1 from t0 = 0 to t = 3, three windows later), then f is rebuilt on the last window from c
//     with the basis (scaled Legendre polynomials by their three-term recurrence; cosines and sines) and the relative
//     L2 error over the window measured by quadrature, for N = 4, 8, 16, 32, 64, beside the error of the direct
//     projection (the best any N-term expansion in the basis can do). The table is printed; asserted: the error
//     falls with N until the RK4 floor (1e-9), and for LegS, whose ODE is exact, the ODE coefficients equal the
//     direct projection.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <numbers>
#include <utility>
#include <vector>

#include "reference/hippo.hpp"
#include "reference/mp.hpp"

namespace menagerie {
namespace {

using ref::Measure;
using Vec = std::vector<double>;

template <class T>
T paper_entry_A(Measure m, std::int64_t n, std::int64_t k, double theta) {
  using std::sqrt;
  const T pi = boost::math::constants::pi<T>();
  const T r = sqrt(T(2 * n + 1)) * sqrt(T(2 * k + 1));
  if (m == Measure::legs) return n > k ? -r : (n == k ? -T(n + 1) : T(0));
  if (m == Measure::legt) return -(k <= n ? r : ((n - k) % 2 == 0 ? r : -r)) / T(theta);
  const bool no = n % 2 == 1, ko = k % 2 == 1;  // FouT, θ = 1
  T a = T(0);
  if (n == 0 && k == 0) {
    a = T(-2);
  } else if ((n == 0 && ko) || (k == 0 && no)) {
    a = -T(2) * sqrt(T(2));
  } else if (no && ko) {
    a = T(-4);
  }
  if (no && k == n + 1) a += T(2) * pi * T((n + 1) / 2);
  if (!no && n > 0 && k == n - 1) a -= T(2) * pi * T(n / 2);
  return a;
}

template <class T>
T paper_entry_B(Measure m, std::int64_t n, double theta) {
  using std::sqrt;
  if (m == Measure::legs) return sqrt(T(2 * n + 1));
  if (m == Measure::legt) return sqrt(T(2 * n + 1)) / T(theta);
  return n == 0 ? T(2) : n % 2 == 1 ? T(2) * sqrt(T(2)) : T(0);
}

template <class T>
void expect_closed_forms(double tol) {
  for (Measure m : {Measure::legs, Measure::legt, Measure::fout})
    for (std::int64_t N : {1, 2, 7, 8, 16}) {
      const double theta = m == Measure::legt ? 0.75 : 1.0;
      const auto h = ref::hippo<T>(m, N, T(theta));
      for (std::int64_t n = 0; n < N; ++n) {
        const T b = paper_entry_B<T>(m, n, theta);
        ASSERT_LE(static_cast<double>(abs(h.B(n) - b)), tol * (1 + static_cast<double>(abs(b))))
            << ref::measure_name(m) << " N=" << N << " B[" << n << "]";
        for (std::int64_t k = 0; k < N; ++k) {
          const T a = paper_entry_A<T>(m, n, k, theta);
          ASSERT_LE(static_cast<double>(abs(h.A(n, k) - a)), tol * (1 + static_cast<double>(abs(a))))
              << ref::measure_name(m) << " N=" << N << " A[" << n << "," << k << "] = " << static_cast<double>(h.A(n, k))
              << ", the paper's " << static_cast<double>(a);
        }
      }
    }
}

TEST(Hippo, ClosedFormsFloat) { expect_closed_forms<float>(8 * std::numeric_limits<float>::epsilon()); }
TEST(Hippo, ClosedFormsDouble) { expect_closed_forms<double>(8 * std::numeric_limits<double>::epsilon()); }
TEST(Hippo, ClosedFormsMp) { expect_closed_forms<Mp>(1e-48); }

TEST(Hippo, LegsNormalPlusLowRank) {
  const std::int64_t N = 9;
  const auto s = ref::legs_nplr<Mp>(N);
  const auto h = ref::hippo<Mp>(Measure::legs, N, Mp(1));
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t k = 0; k < N; ++k) {
      EXPECT_LT(abs(s.S(n, k) - s.P(n) * s.P(k) - h.A(n, k)), Mp(1e-48)) << n << "," << k;
      EXPECT_LT(abs(s.S(n, k) + s.S(k, n) + Mp(n == k ? 1 : 0)), Mp(1e-48)) << n << "," << k;
    }
}

// Gauss-Legendre nodes and weights on [−1, 1] (Newton on P_m from the three-term recurrence).
void gauss_legendre(int m, Vec& x, Vec& w) {
  x.assign(m, 0);
  w.assign(m, 0);
  for (int i = 0; i < m; ++i) {
    double z = std::cos(std::numbers::pi * (i + 0.75) / (m + 0.5)), dp = 0;
    for (int it = 0; it < 100; ++it) {
      double p0 = 1, p1 = z;
      for (int j = 2; j <= m; ++j) {
        const double p2 = ((2 * j - 1) * z * p1 - (j - 1) * p0) / j;
        p0 = p1;
        p1 = p2;
      }
      dp = m * (z * p1 - p0) / (z * z - 1);
      const double dz = p1 / dp;
      z -= dz;
      if (std::abs(dz) < 1e-16) break;
    }
    x[i] = z;
    w[i] = 2 / ((1 - z * z) * dp * dp);
  }
}

using Fn = double (*)(double);

double f(double x) {
  const double pi = std::numbers::pi;
  return std::sin(2 * pi * 1.3 * x) + 0.5 * std::cos(2 * pi * 2.7 * x + 0.3) + 0.3 * std::exp(-x);
}

// 1-periodic and smooth, with infinitely many harmonics: the periodic case of FouT, where f(t − θ) = f(t).
double f_periodic(double x) {
  const double pi = std::numbers::pi;
  return std::sin(2 * pi * 2 * x) + 0.5 * std::cos(2 * pi * 3 * x + 0.3) + 0.3 * std::exp(std::sin(2 * pi * x));
}

// The basis p_n(t, x), n < N, of the measure at time t (window length 1).
Vec basis(Measure m, std::int64_t N, double t, double x) {
  Vec p(N, 0.0);
  if (m == Measure::fout) {
    const double s = x - t;
    p[0] = 1;
    for (std::int64_t n = 1; n < N; ++n) {
      const double j = static_cast<double>((n + 1) / 2), arg = 2 * std::numbers::pi * j * s;
      p[n] = std::sqrt(2.0) * (n % 2 == 1 ? std::cos(arg) : std::sin(arg));
    }
    return p;
  }
  const double z = m == Measure::legs ? 2 * x / t - 1 : 2 * (x - t) + 1;
  double p0 = 1, p1 = z;
  for (std::int64_t n = 0; n < N; ++n) {
    const auto dn = static_cast<double>(n);
    double v = n == 0 ? 1 : z;
    if (n >= 2) {
      v = ((2 * dn - 1) * z * p1 - (dn - 1) * p0) / dn;
      p0 = p1;
      p1 = v;
    }
    p[n] = std::sqrt(2 * dn + 1) * v;
  }
  return p;
}

struct Window {
  double lo, hi;
};
Window window(Measure m, double t) { return m == Measure::legs ? Window{0, t} : Window{t - 1, t}; }

// c_n(t) = (1/|window|) ∫ f p_n over the window (uniform measure), by quadrature.
Vec project(Measure m, std::int64_t N, double t, const Vec& gx, const Vec& gw, Fn g) {
  const Window w = window(m, t);
  Vec c(N, 0.0);
  for (std::size_t i = 0; i < gx.size(); ++i) {
    const double x = w.lo + (w.hi - w.lo) * (gx[i] + 1) / 2;
    const Vec p = basis(m, N, t, x);
    for (std::int64_t n = 0; n < N; ++n) c[n] += gw[i] / 2 * g(x) * p[n];
  }
  return c;
}

// Relative L2 error over the window of f − Σ c_n p_n.
double reconstruction_error(Measure m, const Vec& c, double t, const Vec& gx, const Vec& gw, Fn g) {
  const Window w = window(m, t);
  double num = 0, den = 0;
  for (std::size_t i = 0; i < gx.size(); ++i) {
    const double x = w.lo + (w.hi - w.lo) * (gx[i] + 1) / 2;
    const Vec p = basis(m, static_cast<std::int64_t>(c.size()), t, x);
    double r = g(x);
    for (std::size_t n = 0; n < c.size(); ++n) r -= c[n] * p[n];
    num += gw[i] * r * r;
    den += gw[i] * g(x) * g(x);
  }
  return std::sqrt(num / den);
}

// RK4 for c' = A c + B g(s) from s0 to s1.
Vec integrate(const ref::Hippo<double>& h, Vec c, double s0, double s1, const std::function<double(double)>& g) {
  const std::int64_t N = h.B.numel();
  double norm = 0;
  for (std::int64_t n = 0; n < N; ++n) {
    double row = 0;
    for (std::int64_t k = 0; k < N; ++k) row += std::abs(h.A(n, k));
    norm = std::max(norm, row);
  }
  const auto steps = static_cast<std::int64_t>(std::ceil((s1 - s0) / std::min(1e-3, 0.25 / norm)));
  const double dt = (s1 - s0) / static_cast<double>(steps);
  auto rhs = [&](double s, const Vec& x) {
    Vec d(N);
    const double gs = g(s);
    for (std::int64_t n = 0; n < N; ++n) {
      double v = h.B(n) * gs;
      for (std::int64_t k = 0; k < N; ++k) v += h.A(n, k) * x[k];
      d[n] = v;
    }
    return d;
  };
  auto axpy = [&](const Vec& x, double a, const Vec& y) {
    Vec z(N);
    for (std::int64_t n = 0; n < N; ++n) z[n] = x[n] + a * y[n];
    return z;
  };
  for (std::int64_t i = 0; i < steps; ++i) {
    const double s = s0 + dt * static_cast<double>(i);
    const Vec k1 = rhs(s, c), k2 = rhs(s + dt / 2, axpy(c, dt / 2, k1)), k3 = rhs(s + dt / 2, axpy(c, dt / 2, k2)),
              k4 = rhs(s + dt, axpy(c, dt, k3));
    for (std::int64_t n = 0; n < N; ++n) c[n] += dt / 6 * (k1[n] + 2 * k2[n] + 2 * k3[n] + k4[n]);
  }
  return c;
}

// One row entry: the ODE's reconstruction error and the direct projection's, at the end of the run.
struct Result {
  double ode, best;
};

Result run(Measure m, std::int64_t N, Fn g, const Vec& gx, const Vec& gw) {
  const auto h = ref::hippo<double>(m, N, 1.0);
  Vec c;
  double t1 = 3;
  if (m == Measure::legs) {
    const double t0 = 0.01;
    t1 = 1;
    c = integrate(h, project(m, N, t0, gx, gw, g), std::log(t0), std::log(t1),
                  [g](double tau) { return g(std::exp(tau)); });
    const Vec want = project(m, N, t1, gx, gw, g);
    double num = 0, den = 0;
    for (std::int64_t n = 0; n < N; ++n) num += (c[n] - want[n]) * (c[n] - want[n]), den += want[n] * want[n];
    EXPECT_LT(std::sqrt(num / den), 1e-9) << "LegS's ODE is exact: c(1) must be the projection, N = " << N;
  } else {
    c = integrate(h, project(m, N, 0, gx, gw, g), 0, t1, g);
  }
  return {reconstruction_error(m, c, t1, gx, gw, g), reconstruction_error(m, project(m, N, t1, gx, gw, g), t1, gx, gw, g)};
}

TEST(Hippo, OdeProjectionErrorFallsWithN) {
  Vec gx, gw;
  gauss_legendre(300, gx, gw);
  std::printf("HiPPO: f rebuilt from the ODE's c(t), relative L2 error over the window (LegS [0, 1]; LegT, FouT [2, 3]),\n"
              "'proj' = the direct projection (the best N terms can do); f = sin(2pi 1.3x) + 0.5cos(2pi 2.7x + 0.3) +\n"
              "0.3exp(-x), and for 'FouT per' the 1-periodic f = sin(4pi x) + 0.5cos(6pi x + 0.3) + 0.3exp(sin 2pi x)\n"
              "%4s  %10s %10s  %10s %10s  %10s %10s  %10s %10s\n", "N", "LegS ode", "LegS proj", "LegT ode",
              "LegT proj", "FouT ode", "FouT proj", "FouTp ode", "FouTp proj");
  const std::vector<std::pair<Measure, Fn>> cols = {
      {Measure::legs, f}, {Measure::legt, f}, {Measure::fout, f}, {Measure::fout, f_periodic}};
  std::vector<std::vector<double>> ode(cols.size());
  for (std::int64_t N : {4, 8, 16, 32, 64}) {
    std::printf("%4lld", static_cast<long long>(N));
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const Result r = run(cols[i].first, N, cols[i].second, gx, gw);
      std::printf("  %10.3e %10.3e", r.ode, r.best);
      ode[i].push_back(r.ode);
    }
    std::printf("\n");
  }
  for (std::size_t i = 0; i < cols.size(); ++i)
    for (std::size_t k = 1; k < ode[i].size(); ++k)
      if (ode[i][k - 1] > 1e-9) {
        EXPECT_LT(ode[i][k], ode[i][k - 1]) << "column " << i << " at row " << k;
      }
}

}  // namespace
}  // namespace menagerie
