// The conditioning term of the tolerance rule for WKV's parameter gradients (harness/tolerance.hpp,
// harness/conditioning.hpp, reference/wkv_terms.hpp), on the CPU:
//   tolerance(dx) = 3 relerr(yardstick) + 2^-22 + 8 2^-24 ||terms||_2 / ||oracle||_2
// with c[b,t,s,d] = dy_t P[t,s] (v_s - y_t) and the terms dtime_first = sum_{b,t} c[b,t,t,d], dtime_decay =
// sum_{b,t,s<t} -w (t-1-s) c[b,t,s,d].
//   - the terms' norms of parameter_term_norms against a brute force from the contract's definition in long double
//     (weights e^{-(t-1-s) w + k_s}, e^{u + k_t} divided by their sum, no max subtracted), whose terms also sum to
//     the double reference's gradients; dtime_first's terms again by central differences of the plain forward,
//     dy_t dy_t/du (only the bonus weight depends on u);
//   - the H100's failing draw (kernel_conformance_gpu_test, seed 20261123: wkv k[3,17,1], per-check seed
//     9515712029521588204; docs/recurrent-kernels.md, "WKV's dtime_first on a cancelling sum"), regenerated as the
//     suite draws it: the yardstick's relerr and tolerance are the H100's printed 1.30266e-7 and 6.29217e-7, and
//     ||terms||_2 / |dtime_first| the 7.12 of that section's host emulation; the H100's relerr 1.0243e-6 fails the
//     rule without the term and passes with it;
//   - the float reference's own algorithm with every expf replaced by a valid one (the true exp times 1 + d,
//     |d| <= 1.5 2^-24, then rounded: within 2 units, as CUDA's expf), 200 variants: without the term some fail
//     (the section measured 42%), with it none;
//   - a wrong kernel still fails: that algorithm with one (b, t) term of dtime_first left out, for each of the 48
//     nonzero terms in turn.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/ops/selective_scan.hpp"
#include "harness/conditioning.hpp"
#include "harness/tolerance.hpp"
#include "reference/wkv.hpp"
#include "reference/wkv_terms.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

namespace wkv = ops::wkv;

struct Draw {
  Named<double> in, d_out;  // k, v, time_decay, time_first; y (the upstream gradient)
};

// harness::draw_inputs for an fp32 variant: the contract's inputs and dy drawn uniform by random_inputs from one
// seed (outputs renamed "d" + name), rounded to float.
Draw suite_draw(const wkv::Problem& p, std::uint64_t seed) {
  auto specs = wkv::tensors(p);
  for (auto& s : specs)
    if (s.role == Role::output) s.name = "d" + s.name, s.role = Role::input;
  const auto all = convert<double>(convert<float>(random_inputs(specs, seed)));
  Draw d;
  for (const char* n : {"k", "v", "time_decay", "time_first"}) d.in.emplace(n, all.at(n));
  d.d_out.emplace("y", all.at("dy"));
  return d;
}

struct Brute {
  long double first_sq = 0, decay_sq = 0;
  std::vector<long double> dtime_first, dtime_decay;
};

// The terms from the contract's definition, in long double.
Brute brute_force(const wkv::Problem& p, const Draw& x) {
  const auto &k = x.in.at("k"), &v = x.in.at("v"), &td = x.in.at("time_decay"), &tf = x.in.at("time_first");
  const auto& dy = x.d_out.at("y");
  Brute r;
  r.dtime_first.assign(static_cast<std::size_t>(p.D), 0), r.dtime_decay.assign(static_cast<std::size_t>(p.D), 0);
  std::vector<long double> e(static_cast<std::size_t>(p.T));
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t d = 0; d < p.D; ++d) {
      const long double w = std::exp(static_cast<long double>(td(d)));
      for (std::int64_t t = 0; t < p.T; ++t) {
        long double Z = 0, y = 0;
        for (std::int64_t s = 0; s <= t; ++s) {
          const long double expo = s < t ? -static_cast<long double>(t - 1 - s) * w + k(b, s, d)
                                         : static_cast<long double>(tf(d)) + k(b, t, d);
          Z += (e[static_cast<std::size_t>(s)] = std::exp(expo));
          y += e[static_cast<std::size_t>(s)] * v(b, s, d);
        }
        y /= Z;
        for (std::int64_t s = 0; s <= t; ++s) {
          const long double c = dy(b, t, d) * (e[static_cast<std::size_t>(s)] / Z) * (v(b, s, d) - y);
          if (s == t) {
            r.first_sq += c * c, r.dtime_first[static_cast<std::size_t>(d)] += c;
          } else {
            const long double term = -w * static_cast<long double>(t - 1 - s) * c;
            r.decay_sq += term * term, r.dtime_decay[static_cast<std::size_t>(d)] += term;
          }
        }
      }
    }
  return r;
}

// ||dy_t dy_t/du||_2 over (b, t, d) by central differences of the plain double forward in each channel's u.
double first_norm_by_differences(const wkv::Problem& p, const Draw& x) {
  const double h = 1e-5;
  double sq = 0;
  for (std::int64_t d = 0; d < p.D; ++d) {
    Named<double> ys[2];
    for (int side = 0; side < 2; ++side) {
      auto in = x.in;
      in.at("time_first")(d) += side ? h : -h;
      ys[side] = allocate<double>(wkv::tensors(p), Role::output, NAN);
      wkv::reference_forward<double>(p, in, ys[side]);
    }
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t t = 0; t < p.T; ++t) {
        const double term = x.d_out.at("y")(b, t, d) * (ys[1].at("y")(b, t, d) - ys[0].at("y")(b, t, d)) / (2 * h);
        sq += term * term;
      }
  }
  return std::sqrt(sq);
}

TEST(WkvConditioning, TermNormsMatchTheDefinitionInLongDouble) {
  const std::vector<wkv::Problem> cases = {
      {.B = 2, .T = 7, .D = 3}, {.B = 3, .T = 17, .D = 1}, {.B = 1, .T = 40, .D = 2}};
  std::uint64_t seed = test_seed();
  for (const auto& p : cases) {
    const auto x = suite_draw(p, seed++);
    const auto got = wkv::parameter_term_norms(p, x.in, x.d_out);
    const auto want = brute_force(p, x);
    const double first = std::sqrt(static_cast<double>(want.first_sq)),
                 decay = std::sqrt(static_cast<double>(want.decay_sq));
    EXPECT_NEAR(got.time_first, first, 1e-12 * first) << "T = " << p.T;
    EXPECT_NEAR(got.time_decay, decay, 1e-12 * decay) << "T = " << p.T;
    EXPECT_NEAR(got.time_first, first_norm_by_differences(p, x), 1e-6 * first) << "T = " << p.T;
    Named<double> g;
    wkv::reference_backward<double>(p, x.in, x.d_out, g);
    for (std::int64_t d = 0; d < p.D; ++d) {  // the brute force's terms are the gradients' terms
      const auto i = static_cast<std::size_t>(d);
      EXPECT_NEAR(g.at("time_first")(d), static_cast<double>(want.dtime_first[i]), 1e-12 * first);
      EXPECT_NEAR(g.at("time_decay")(d), static_cast<double>(want.dtime_decay[i]), 1e-12 * decay);
    }
  }
}

TEST(WkvConditioning, TheHarnessHookNamesWkvsParameterInputsOnly) {
  const wkv::Problem p{.B = 2, .T = 7, .D = 3};
  const auto x = suite_draw(p, test_seed());
  const auto terms = harness::conditioned_term_norms(p, x.in, x.d_out);
  ASSERT_EQ(terms.size(), 2u);
  const auto n = wkv::parameter_term_norms(p, x.in, x.d_out);
  EXPECT_EQ(terms.at("time_first"), n.time_first);  // check_accuracy looks gradients up by input name
  EXPECT_EQ(terms.at("time_decay"), n.time_decay);
  const ops::selective_scan::Problem other{.B = 1, .T = 4, .D = 2, .N = 2};
  EXPECT_TRUE(harness::conditioned_term_norms(other, {}, {}).empty());
}

std::uint64_t splitmix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A valid expf: exp(x) in double times 1 + d, |d| <= 1.5 2^-24 a hash of (x, salt), rounded to float. salt 0: expf.
float valid_exp(float x, std::uint64_t salt) {
  if (salt == 0) return std::exp(x);
  std::uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  const double u = static_cast<double>(splitmix64(bits ^ (salt * 0x2545f4914f6cdd1dULL)) >> 11) * 0x1p-53;  // [0, 1)
  return static_cast<float>(std::exp(static_cast<double>(x)) * (1 + (3 * u - 1.5) * 0x1p-24));
}

// reference_backward<float>'s dtime_first, operation for operation, with its exp valid_exp(., salt) and the term of
// (drop_b, drop_t) left out (none by default).
Tensor<double> float_dtime_first(const wkv::Problem& p, const Named<float>& in, const Tensor<float>& dy,
                                 std::uint64_t salt, std::int64_t drop_b = -1, std::int64_t drop_t = -1) {
  const auto &k = in.at("k"), &v = in.at("v"), &td = in.at("time_decay"), &tf = in.at("time_first");
  Tensor<float> dtf({p.D}, 0.f);
  std::vector<float> P(static_cast<std::size_t>(p.T));
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t d = 0; d < p.D; ++d) {
      const float w = valid_exp(td(d), salt);
      for (std::int64_t t = 0; t < p.T; ++t) {
        const auto n = static_cast<std::size_t>(t);
        for (std::size_t s = 0; s < n; ++s)
          P[s] = -static_cast<float>(static_cast<double>(n - 1 - s)) * w + k(b, static_cast<std::int64_t>(s), d);
        P[n] = tf(d) + k(b, t, d);
        float m = P[n];
        for (std::size_t s = 0; s < n; ++s) m = std::max(m, P[s]);
        float z = 0.f;
        for (std::size_t s = 0; s <= n; ++s) z += (P[s] = valid_exp(P[s] - m, salt));
        float yt = 0.f;
        for (std::size_t s = 0; s <= n; ++s) yt += (P[s] /= z) * v(b, static_cast<std::int64_t>(s), d);
        const float c = dy(b, t, d) * P[n] * (v(b, t, d) - yt);
        if (b != drop_b || t != drop_t) dtf(d) += c;
      }
    }
  return convert<double>(dtf);
}

// The failing draw and its rule: oracle, yardstick, base tolerance and conditioning term of dtime_first.
struct FailingDraw {
  wkv::Problem p{.B = 3, .T = 17, .D = 1};
  Draw x = suite_draw(p, 9515712029521588204ULL);
  Named<float> in_f = convert<float>(x.in);
  Tensor<float> dy_f = convert<float>(x.d_out.at("y"));
  Tensor<double> oracle;
  Tensor<Mp> oracle_mp;
  double yardstick = 0, base = 0, conditioning = 0, terms_ratio = 0;
  FailingDraw() {
    Named<double> g;
    wkv::reference_backward<double>(p, x.in, x.d_out, g);
    Named<float> gy;
    wkv::reference_backward<float>(p, in_f, convert<float>(x.d_out), gy);
    oracle = g.at("time_first"), oracle_mp = convert<Mp>(oracle);
    yardstick = relerr(convert<double>(gy.at("time_first")), oracle_mp);
    base = harness::tolerance(true, yardstick);
    const double norm = std::fabs(oracle(0));
    terms_ratio = wkv::parameter_term_norms(p, x.in, x.d_out).time_first / norm;
    conditioning = harness::conditioning_term(terms_ratio * norm, norm);
  }
  double relerr_of(const Tensor<double>& got) const { return relerr(got, oracle_mp); }
};

TEST(WkvConditioning, TheH100sFailingDrawPassesWithTheTermAndFailedWithout) {
  const FailingDraw f;
  std::printf("dtime_first %.15g, yardstick %.6g, tolerance %.6g + conditioning %.6g (||terms|| / |oracle| %.4g)\n",
              f.oracle(0), f.yardstick, f.base, f.conditioning, f.terms_ratio);
  EXPECT_NEAR(f.oracle(0), -0.0500018978548464, 1e-15);  // the section's double oracle
  EXPECT_NEAR(f.yardstick, 1.30266e-7, 1e-12);          // the H100's printed yardstick and tolerance
  EXPECT_NEAR(f.base, 6.29217e-7, 1e-12);
  EXPECT_NEAR(f.terms_ratio, 7.12, 0.005);              // the section's emulation
  const double h100 = 1.0243e-6;                       // both variants' relerr on the H100
  EXPECT_GT(h100, f.base) << "the rule without the term rejected the H100's value";
  EXPECT_LT(h100, f.base + f.conditioning);
  EXPECT_LT(f.relerr_of(float_dtime_first(f.p, f.in_f, f.dy_f, 0)), f.base + f.conditioning);
}

TEST(WkvConditioning, ValidExpfVariantsOfTheFloatReferencePassWithTheTerm) {
  const FailingDraw f;
  Named<float> gy;
  wkv::reference_backward<float>(f.p, f.in_f, convert<float>(f.x.d_out), gy);
  ASSERT_EQ(float_dtime_first(f.p, f.in_f, f.dy_f, 0)(0), static_cast<double>(gy.at("time_first")(0)))
      << "the emulation is not reference_backward<float>'s arithmetic";
  int fail_without = 0, fail_with = 0;
  double worst = 0;
  const int salts = 200;
  for (std::uint64_t salt = 1; salt <= salts; ++salt) {
    const double e = f.relerr_of(float_dtime_first(f.p, f.in_f, f.dy_f, salt));
    fail_without += e > f.base;
    fail_with += e > f.base + f.conditioning;
    worst = std::max(worst, e / (f.base + f.conditioning));
  }
  std::printf("%d valid expf: %d fail the rule without the term, %d with it (worst ratio %.3f)\n", salts, fail_without,
              fail_with, worst);
  EXPECT_GE(fail_without, salts / 10) << "the draw no longer shows the yardstick's luck";
  EXPECT_EQ(fail_with, 0);
}

TEST(WkvConditioning, ADtimeFirstMissingOneTermStillFails) {
  const FailingDraw f;
  const auto all = float_dtime_first(f.p, f.in_f, f.dy_f, 0);
  int dropped = 0;
  double least = INFINITY;
  for (std::int64_t b = 0; b < f.p.B; ++b)
    for (std::int64_t t = 0; t < f.p.T; ++t) {
      const auto without = float_dtime_first(f.p, f.in_f, f.dy_f, 0, b, t);
      if (without(0) == all(0)) continue;  // t = 0: P[0,0] = 1 and y_0 = v_0, the term is exactly 0
      ++dropped;
      const double e = f.relerr_of(without);
      least = std::min(least, e / (f.base + f.conditioning));
      EXPECT_GT(e, f.base + f.conditioning) << "term (b " << b << ", t " << t << ") left out: relerr " << e;
    }
  std::printf("%d terms, each left out in turn: the smallest relerr is %.3g x the tolerance\n", dropped, least);
  EXPECT_EQ(dropped, f.p.B * (f.p.T - 1));
}

}  // namespace
}  // namespace menagerie::test
