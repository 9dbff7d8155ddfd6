// `menagerie distill`'s experiment: the filters, the fits against m, the output errors (see theory/distillation.hpp).
#include "theory/distillation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <random>

#include "reference/distill.hpp"

namespace menagerie::theory {

namespace {

constexpr int kT = 1024;

std::vector<double> hyena_like(std::mt19937_64& g) {
  std::uniform_real_distribution<double> U(0, 1);
  std::vector<double> h(kT, 0.0);
  for (int k = 0; k < 6; ++k) {
    const double a = 0.5 + U(g), d = 2 + 10 * U(g), w = 2 * std::numbers::pi * (1 + 20 * U(g)), p = 6 * U(g);
    for (int t = 0; t < kT; ++t) h[t] += a * std::exp(-d * t / kT) * std::sin(w * t / kT + p);
  }
  for (int t = 0; t < kT; ++t) h[t] *= std::exp(-std::pow(2.0 * t / kT, 2));
  return h;
}

std::vector<double> damped_noisy(std::mt19937_64& g) {
  std::normal_distribution<double> N;
  std::vector<double> h(kT);
  for (int t = 0; t < kT; ++t)
    h[t] = std::exp(-4.0 * t / kT) * std::sin(2 * std::numbers::pi * 30.0 * t / kT) + 1e-3 * N(g);
  return h;
}

std::vector<double> power_law() {
  std::vector<double> h(kT);
  for (int t = 0; t < kT; ++t) h[t] = std::pow(1.0 + t, -1.2) * std::cos(0.05 * t);
  return h;
}

std::vector<double> causal_conv(const std::vector<double>& h, const std::vector<double>& u) {
  std::vector<double> y(u.size(), 0.0);
  for (std::size_t t = 0; t < u.size(); ++t)
    for (std::size_t s = 0; s <= t; ++s) y[t] += h[t - s] * u[s];
  return y;
}

double norm2(const std::vector<double>& a) {
  double s = 0;
  for (const double x : a) s += x * x;
  return std::sqrt(s);
}

double max_abs(const std::vector<double>& a) {
  double s = 0;
  for (const double x : a) s = std::max(s, std::abs(x));
  return s;
}

std::vector<double> minus(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  return d;
}

}  // namespace

std::vector<DistillRow> run_distillation(std::uint64_t seed, int draws) {
  std::mt19937_64 g(seed);
  std::vector<std::pair<std::string, std::vector<double>>> filters;
  filters.emplace_back("hyena-like", hyena_like(g));
  filters.emplace_back("damped-noisy", damped_noisy(g));
  filters.emplace_back("power-law", power_law());
  std::vector<std::vector<double>> inputs(draws, std::vector<double>(kT));
  std::normal_distribution<double> N;
  for (auto& u : inputs)
    for (auto& x : u) x = N(g);
  std::vector<DistillRow> rows;
  for (const auto& [name, h] : filters) {
    std::vector<std::vector<double>> y;
    for (const auto& u : inputs) y.push_back(causal_conv(h, u));
    for (const std::int64_t m : {2, 4, 8, 16, 32, 64}) {
      const auto fit = distill::distill(h, m);
      const auto hm = distill::modal_filter(fit.poles, fit.residues, kT);
      DistillRow r{name, m, static_cast<std::int64_t>(fit.poles.size())};
      const auto dh = minus(h, hm);
      r.fit = norm2(dh) / norm2(h);
      for (const double x : dh) r.l1 += std::abs(x);
      for (int d = 0; d < draws; ++d) {
        const auto ym = distill::modal_generate(fit.poles, fit.residues, inputs[d]);
        const auto conv_m = causal_conv(hm, inputs[d]);
        const auto dy = minus(ym, y[d]);
        r.output += norm2(dy) / norm2(y[d]) / draws;
        r.young = std::max(r.young, max_abs(dy) / (r.l1 * max_abs(inputs[d])));
        r.forms = std::max(r.forms, max_abs(minus(ym, conv_m)) / max_abs(conv_m));
      }
      rows.push_back(r);
    }
  }
  return rows;
}

std::string distillation_markdown(const std::vector<DistillRow>& rows, const std::string& provenance,
                                  std::uint64_t seed, int draws, double seconds) {
  std::string s = "# Laughing Hyena distillation\n\n" + provenance + "\n";
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "Written by `menagerie distill --seed %llu` in %.1f s. Each long-convolution filter h (T = 1024, one "
                "channel) is fitted by a modal SSM of order m, h_m[t] = Re sum_i R_i λ_i^t (reference/distill.hpp: "
                "poles by the eigensystem realization algorithm on the Hankel matrix of h, residues by least "
                "squares), and the SSM generates y_m token by token (x_i <- λ_i x_i + u_t, y_t = Re sum_i R_i x_i) "
                "on %d Gaussian inputs u, against y = h ∗ u by the direct causal sum.\n\n",
                static_cast<unsigned long long>(seed), seconds, draws);
  s += buf;
  s += "Columns: *order* the order distill returned (at most m: the numerical rank of the Hankel matrix); *filter "
       "err* ||h − h_m||_2 / ||h||_2; *output err* mean ||y_m − y||_2 / ||y||_2; *Young* max_t |y_m[t] − y[t]| / "
       "(||h − h_m||_1 ||u||_∞), at most 1 by Young's inequality (the output differs from the original by no more "
       "than the fit error predicts); *forms* max_t |y_m − h_m ∗ u| / max_t |h_m ∗ u| (the recurrence equals the "
       "convolution with the distilled filter). Plot: distillation.png.\n\n";
  s += "| filter | m | order | filter err | output err | Young | forms |\n|---|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : rows) {
    std::snprintf(buf, sizeof buf, "| %s | %lld | %lld | %.3e | %.3e | %.3f | %.1e |\n", r.filter.c_str(),
                  static_cast<long long>(r.m), static_cast<long long>(r.order), r.fit, r.output, r.young, r.forms);
    s += buf;
  }
  return s;
}

std::string distillation_csv(const std::vector<DistillRow>& rows) {
  std::string s = "filter,m,order,filter_err,l1,output_err,young,forms\n";
  char buf[256];
  for (const auto& r : rows) {
    std::snprintf(buf, sizeof buf, "%s,%lld,%lld,%.6e,%.6e,%.6e,%.6e,%.6e\n", r.filter.c_str(),
                  static_cast<long long>(r.m), static_cast<long long>(r.order), r.fit, r.l1, r.output, r.young,
                  r.forms);
    s += buf;
  }
  return s;
}

}  // namespace menagerie::theory
