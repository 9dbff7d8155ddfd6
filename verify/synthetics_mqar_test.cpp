// MQAR (synthetics/mqar.hpp): the layout invariants on every generated example, over a grid of (c, N, D, passes)
// with and without the random fill; determinism; the law of keys, values, fill tokens (chi-square against uniform)
// and gap slots (chi-square against the power law: the first draw, the second draw, and for a small space the
// whole ordered draw; inclusion frequencies against an independent sequential sampler); and the assertions of the
// public code as InputErrors naming the parameter. The smoke tier runs a subset of the grid and fewer samples.
#include <algorithm>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "synthetics/draws.hpp"
#include "synthetics/mqar.hpp"
#include "verify/fixtures/synthetics/test_util.hpp"
#include "verify/support/env.hpp"

namespace menagerie::synthetics {
namespace {

namespace fx = test::synthetics_fixtures;
using test::Tier;

std::uint32_t seed32() { return static_cast<std::uint32_t>(test::test_seed()); }

MqarConfig config(std::int64_t c, std::int64_t N, std::int64_t D, std::int64_t P, std::int64_t n, bool fill) {
  MqarConfig m;
  m.vocab_size = c;
  m.input_seq_len = N;
  m.num_kv_pairs = D;
  m.num_passes = P;
  m.num_examples = n;
  m.random_non_queries = fill;
  return m;
}

// Every invariant of one example; returns the gap slot of each key (in key order).
std::vector<std::int64_t> check_example(const MqarConfig& m, const Examples& ex, std::int64_t r) {
  const std::int64_t N = m.input_seq_len, D = m.num_kv_pairs, P = m.num_passes, c = m.vocab_size, half = c / 2;
  const std::int64_t C = 2 * D * P;
  std::vector<std::int64_t> keys, values, slot(static_cast<std::size_t>(D), -1);
  for (std::int64_t j = 0; j < D; ++j) {
    keys.push_back(ex.inputs(r, 2 * j));
    values.push_back(ex.inputs(r, 2 * j + 1));
    EXPECT_TRUE(keys.back() >= 1 && keys.back() < half) << "key " << keys.back() << " outside [1, c/2)";
    EXPECT_TRUE(values.back() >= half && values.back() < c) << "value " << values.back() << " outside [c/2, c)";
  }
  EXPECT_EQ(std::set<std::int64_t>(keys.begin(), keys.end()).size(), static_cast<std::size_t>(D)) << "repeated key";
  EXPECT_EQ(std::set<std::int64_t>(values.begin(), values.end()).size(), static_cast<std::size_t>(D));
  for (std::int64_t t = 2 * D; t < C; ++t) EXPECT_EQ(ex.inputs(r, t), ex.inputs(r, t % (2 * D))) << "pass at " << t;
  std::int64_t labelled = 0;
  for (std::int64_t t = 0; t < N; ++t) {
    const auto in = ex.inputs(r, t), lab = ex.labels(r, t);
    EXPECT_TRUE(in >= 0 && in < c) << "token " << in << " at " << t;
    if (lab == kIgnoreIndex) {
      if (!m.random_non_queries && t >= C) {
        EXPECT_EQ(in, 0) << "filler at " << t;
      }
      continue;
    }
    ++labelled;
    EXPECT_TRUE(t >= C && (t - C) % 2 == 0) << "label at " << t;
    const auto j = std::find(keys.begin(), keys.end(), in) - keys.begin();
    if (j == D) {
      ADD_FAILURE() << "label at " << t << " on non-key token " << in;
      continue;
    }
    EXPECT_EQ(lab, values[static_cast<std::size_t>(j)]) << "label of key " << in;
    EXPECT_EQ(slot[static_cast<std::size_t>(j)], -1) << "key " << in << " queried twice";
    slot[static_cast<std::size_t>(j)] = (t - C) / 2;
  }
  EXPECT_EQ(labelled, D);
  if (!m.random_non_queries)  // each key once per pass and once as a query; each value once per pass
    for (std::int64_t j = 0; j < D; ++j) {
      const auto* row = ex.inputs.data() + r * N;
      EXPECT_EQ(std::count(row, row + N, keys[static_cast<std::size_t>(j)]), P + 1);
      EXPECT_EQ(std::count(row, row + N, values[static_cast<std::size_t>(j)]), P);
    }
  return slot;
}

TEST(SyntheticsMqar, InvariantsHoldOnEveryExample) {
  struct Case { std::int64_t c, N, D, P, n; };
  std::vector<Case> grid = {{20, 16, 2, 1, 300},   {8192, 64, 4, 1, 300}, {8192, 256, 16, 1, 100},
                            {100, 64, 3, 3, 300},  {64, 32, 4, 3, 300},   {8192, 1024, 256, 1, 10},
                            {4096, 98, 7, 6, 100}, {1000, 512, 64, 1, 20}};
  if (test::tier() == Tier::full)
    grid.insert(grid.end(), {{8192, 64, 4, 1, 5000}, {8192, 128, 8, 1, 2000}, {8192, 512, 64, 3, 200},
                             {1025, 1024, 1, 1, 500}, {5, 4, 1, 1, 200}});
  for (const auto& g : grid)
    for (int mode : {0, 1, 2}) {  // no fill; fill; fill with numpy_stream = false
      const bool fill = mode > 0;
      auto m = config(g.c, g.N, g.D, g.P, g.n, fill);
      m.numpy_stream = mode < 2;
      SCOPED_TRACE(testing::Message() << "c=" << g.c << " N=" << g.N << " D=" << g.D << " P=" << g.P
                                      << " fill=" << fill << " numpy_stream=" << m.numpy_stream);
      const auto ex = mqar(m, seed32());
      ASSERT_EQ(ex.inputs.shape(), (Shape{g.n, g.N}));
      ASSERT_EQ(ex.labels.shape(), (Shape{g.n, g.N}));
      EXPECT_EQ(ex.slices.at("num_kv_pairs"), std::to_string(g.D));
      EXPECT_EQ(ex.slices.at("num_passes"), std::to_string(g.P));
      for (std::int64_t r = 0; r < g.n && !HasFailure(); ++r) check_example(m, ex, r);
    }
}

TEST(SyntheticsMqar, SameSeedSameBytesOtherSeedOtherData) {
  for (bool fill : {false, true}) {
    const auto m = config(8192, 128, 8, 2, 50, fill);
    const auto s = seed32();
    const auto a = mqar(m, s), b = mqar(m, s), other = mqar(m, s + 1);
    EXPECT_EQ(fx::digest(a.inputs.flat()), fx::digest(b.inputs.flat()));
    EXPECT_EQ(fx::digest(a.labels.flat()), fx::digest(b.labels.flat()));
    EXPECT_NE(fx::digest(a.inputs.flat()), fx::digest(other.inputs.flat()));
    EXPECT_NE(fx::digest(a.labels.flat()), fx::digest(other.labels.flat()));
  }
  // random_non_queries only adds draws after the gaps: the labels and the non-filler inputs are unchanged.
  const auto plain = mqar(config(64, 32, 4, 1, 20, false), 5), filled = mqar(config(64, 32, 4, 1, 20, true), 5);
  EXPECT_EQ(plain.labels, filled.labels);
  for (std::int64_t i = 0; i < plain.inputs.numel(); ++i)
    if (plain.inputs.data()[i] != 0) {
      EXPECT_EQ(filled.inputs.data()[i], plain.inputs.data()[i]);
    }
}

TEST(SyntheticsMqar, KeysValuesAndFillAreUniform) {
 for (bool numpy_stream : {true, false}) {
  SCOPED_TRACE(testing::Message() << "numpy_stream " << numpy_stream);
  const std::int64_t n = test::tier() == Tier::full ? 40000 : 10000, c = 64, half = 32, D = 4;
  auto m = config(c, 32, D, 1, n, true);
  m.numpy_stream = numpy_stream;
  const auto ex = mqar(m, seed32());
  std::vector<double> keys(half - 1), first_key(half - 1), values(half), fill(static_cast<std::size_t>(c));
  double fills = 0;
  for (std::int64_t r = 0; r < n; ++r) {
    for (std::int64_t j = 0; j < D; ++j) {
      keys[static_cast<std::size_t>(ex.inputs(r, 2 * j) - 1)] += 1;
      values[static_cast<std::size_t>(ex.inputs(r, 2 * j + 1) - half)] += 1;
    }
    first_key[static_cast<std::size_t>(ex.inputs(r, 0) - 1)] += 1;
    for (std::int64_t t = 2 * D; t < 32; ++t)
      if (ex.labels(r, t) == kIgnoreIndex) fill[static_cast<std::size_t>(ex.inputs(r, t))] += 1, fills += 1;
  }
  auto uniform = [](std::size_t k) { return std::vector<double>(k, 1.0 / static_cast<double>(k)); };
  const auto ck = fx::chi_square(keys, uniform(keys.size()), static_cast<double>(n * D));
  const auto c0 = fx::chi_square(first_key, uniform(first_key.size()), static_cast<double>(n));
  const auto cv = fx::chi_square(values, uniform(values.size()), static_cast<double>(n * D));
  const auto cf = fx::chi_square(fill, uniform(fill.size()), fills);
  EXPECT_TRUE(ck.pass()) << "keys: chi2 " << ck.statistic << " > " << ck.critical << " (dof " << ck.dof << ")";
  EXPECT_TRUE(c0.pass()) << "first key: chi2 " << c0.statistic << " > " << c0.critical;
  EXPECT_TRUE(cv.pass()) << "values: chi2 " << cv.statistic << " > " << cv.critical;
  EXPECT_TRUE(cf.pass()) << "fill tokens: chi2 " << cf.statistic << " > " << cf.critical;
  // The ordered pair (key 0, key 1) is uniform over the 31 * 30 ordered pairs of distinct keys.
  std::vector<double> pairs((half - 1) * (half - 1)), pp(pairs.size(), 0.0);
  for (std::int64_t r = 0; r < n; ++r) pairs[static_cast<std::size_t>((ex.inputs(r, 0) - 1) * (half - 1) + ex.inputs(r, 2) - 1)] += 1;
  for (std::int64_t a = 0; a < half - 1; ++a)
    for (std::int64_t b = 0; b < half - 1; ++b)
      if (a != b) pp[static_cast<std::size_t>(a * (half - 1) + b)] = 1.0 / (31.0 * 30.0);
  const auto cp = fx::chi_square(pairs, pp, static_cast<double>(n));
  EXPECT_TRUE(cp.pass()) << "key pairs: chi2 " << cp.statistic << " > " << cp.critical << " (dof " << cp.dof << ")";
 }
}

// Slots read back from mqar()'s output follow the sequential power law: the first key's slot has law p, the
// second key's slot has law q_s = sum_{t != s} p_t p_s / (1 - p_t).
TEST(SyntheticsMqar, GapSlotsFollowThePowerLaw) {
  const std::int64_t n = test::tier() == Tier::full ? 60000 : 15000;
  for (double a : {0.01, 0.5, 1.0}) {
    const auto m = [&] {
      auto x = config(300, 256, 16, 1, n, false);
      x.power_a = a;
      return x;
    }();
    SCOPED_TRACE(testing::Message() << "power_a " << a);
    const auto ex = mqar(m, seed32());
    const std::int64_t space = (256 - 32) / 2;
    const auto p = power_law_probs(space, a);
    std::vector<double> first(static_cast<std::size_t>(space)), second(static_cast<std::size_t>(space));
    std::vector<double> q(static_cast<std::size_t>(space));
    for (std::int64_t s = 0; s < space; ++s)
      for (std::int64_t t = 0; t < space; ++t)
        if (t != s) q[static_cast<std::size_t>(s)] += p[static_cast<std::size_t>(t)] * p[static_cast<std::size_t>(s)] /
                                                      (1 - p[static_cast<std::size_t>(t)]);
    for (std::int64_t r = 0; r < 50; ++r) check_example(m, ex, r);
    for (std::int64_t r = 0; r < n; ++r)
      for (std::int64_t t = 32; t < 256; t += 2) {
        if (ex.inputs(r, t) == ex.inputs(r, 0)) first[static_cast<std::size_t>((t - 32) / 2)] += 1;
        if (ex.inputs(r, t) == ex.inputs(r, 2)) second[static_cast<std::size_t>((t - 32) / 2)] += 1;
      }
    const auto c1 = fx::chi_square(first, p, static_cast<double>(n));
    const auto c2 = fx::chi_square(second, q, static_cast<double>(n));
    EXPECT_TRUE(c1.pass()) << "first draw: chi2 " << c1.statistic << " > " << c1.critical << " (dof " << c1.dof << ")";
    EXPECT_TRUE(c2.pass()) << "second draw: chi2 " << c2.statistic << " > " << c2.critical << " (dof " << c2.dof
                           << ")";
  }
}

// For space = 8, D = 3 the law of the ordered draw (g_0, g_1, g_2) is enumerable: p_a p_b/(1-p_a) p_c/(1-p_a-p_b).
TEST(SyntheticsMqar, WholeOrderedGapDrawMatchesSequentialSampling) {
  const std::int64_t n = test::tier() == Tier::full ? 400000 : 100000, space = 8, D = 3;
  LegacyRandomState rs(seed32());
  const auto gaps = gap_slots(rs, n, space, D, 0.01);
  const auto p = power_law_probs(space, 0.01);
  std::vector<double> prob(space * space * space), count(prob.size());
  for (std::int64_t a = 0; a < space; ++a)
    for (std::int64_t b = 0; b < space; ++b)
      for (std::int64_t c = 0; c < space; ++c) {
        if (a == b || a == c || b == c) continue;
        const double pa = p[static_cast<std::size_t>(a)], pb = p[static_cast<std::size_t>(b)];
        prob[static_cast<std::size_t>((a * space + b) * space + c)] =
            pa * pb / (1 - pa) * p[static_cast<std::size_t>(c)] / (1 - pa - pb);
      }
  for (std::int64_t r = 0; r < n; ++r) count[static_cast<std::size_t>((gaps(r, 0) * space + gaps(r, 1)) * space + gaps(r, 2))] += 1;
  const auto cs = fx::chi_square(count, prob, static_cast<double>(n));
  EXPECT_TRUE(cs.pass()) << "ordered draws: chi2 " << cs.statistic << " > " << cs.critical << " (dof " << cs.dof << ")";
}

// The inclusion frequency of every slot (the marginal P(s in S)) agrees with a plain sequential sampler that
// renormalises p after each draw (independent code, std::mt19937_64): two-proportion z-tests, |z| < 5.
TEST(SyntheticsMqar, SlotInclusionMatchesAnIndependentSequentialSampler) {
  const std::int64_t n = test::tier() == Tier::full ? 80000 : 20000, space = 112, D = 16;
  LegacyRandomState rs(seed32());
  const auto gaps = gap_slots(rs, n, space, D, 0.01);
  const auto p = power_law_probs(space, 0.01);
  std::vector<double> ours(space), theirs(space);
  for (std::int64_t r = 0; r < n; ++r)
    for (std::int64_t j = 0; j < D; ++j) ours[static_cast<std::size_t>(gaps(r, j))] += 1;
  std::mt19937_64 gen(test::test_seed());
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (std::int64_t r = 0; r < n; ++r) {
    auto w = p;
    for (std::int64_t j = 0; j < D; ++j) {
      double total = 0;
      for (double v : w) total += v;
      double x = u(gen) * total;
      std::size_t s = 0;
      while (s + 1 < w.size() && (x >= w[s] || w[s] == 0)) x -= w[s++];
      theirs[s] += 1;
      w[s] = 0;
    }
  }
  for (std::int64_t s = 0; s < space; ++s) {
    const double a = ours[static_cast<std::size_t>(s)] / static_cast<double>(n);
    const double b = theirs[static_cast<std::size_t>(s)] / static_cast<double>(n);
    const double pooled = (a + b) / 2, se = std::sqrt(2 * pooled * (1 - pooled) / static_cast<double>(n));
    if (se > 0) {
      EXPECT_LT(std::abs(a - b) / se, 5.0) << "slot " << s << ": " << a << " vs " << b;
    }
  }
}

void expect_input_error(const MqarConfig& m, const std::vector<std::string>& phrases) {
  try {
    mqar(m, 1);
    ADD_FAILURE() << "no error for " << phrases.front();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    for (const auto& ph : phrases) EXPECT_NE(msg.find(ph), std::string::npos) << "'" << msg << "' lacks '" << ph << "'";
  }
}

TEST(SyntheticsMqar, PublicAssertionsAreInputErrorsNamingTheParameter) {
  auto m = config(8192, 64, 4, 1, 10, false);
  expect_input_error([&] { auto x = m; x.input_seq_len = 63; return x; }(), {"input_seq_len = 63", "even"});
  expect_input_error([&] { auto x = m; x.vocab_size = 64; return x; }(), {"vocab_size = 64", "input_seq_len = 64"});
  expect_input_error([&] { auto x = m; x.num_kv_pairs = 17; return x; }(), {"num_kv_pairs", "17", "input_seq_len = 64"});
  expect_input_error([&] { auto x = m; x.num_passes = 8; return x; }(), {"num_passes", "8", "input_seq_len = 64"});
  expect_input_error([&] { auto x = m; x.num_passes = 0; return x; }(), {"num_passes = 0"});
  expect_input_error([&] { auto x = m; x.num_kv_pairs = 0; return x; }(), {"num_kv_pairs = 0"});
  expect_input_error([&] { auto x = m; x.num_examples = 0; return x; }(), {"num_examples = 0"});
  expect_input_error([&] { auto x = m; x.power_a = 0; return x; }(), {"power_a = 0"});
  expect_input_error([&] { auto x = m; x.power_a = -1; return x; }(), {"power_a = -1"});
  expect_input_error([&] { auto x = m; x.num_examples = std::int64_t{1} << 40; return x; }(), {"limit"});
  // The tightest legal configuration works: 2·D·P + 2·D = N, every slot used.
  const auto tight = mqar(config(64, 32, 4, 3, 50, false), 3);
  for (std::int64_t r = 0; r < 50; ++r) check_example(config(64, 32, 4, 3, 50, false), tight, r);
}

}  // namespace
}  // namespace menagerie::synthetics
