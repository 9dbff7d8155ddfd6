// The synthetics against numpy and the public generators, byte for byte (verify/fixtures/synthetics/goldens.json,
// written by make_goldens.py with Debian's numpy 1.24): numpy's legacy RNG calls, Zoology's segment seeds, the
// power-law probabilities, and the outputs of every generator that reproduces the public numpy stream (MQAR,
// compositional MQAR, associative recall, the circuits, set disjointness, mini MQAR) for fixed seeds, small ones
// in full and big ones (up to 1000 examples) by digest. Plus the worked example of docs/synthetics.md §1.1.
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "synthetics/mixture.hpp"
#include "synthetics/numpy_random.hpp"
#include "synthetics/numpy_random_avx2.hpp"
#include "synthetics/tasks.hpp"
#include "verify/fixtures/synthetics/test_util.hpp"
#include "verify/support/env.hpp"

namespace menagerie::synthetics {
namespace {

namespace fx = test::synthetics_fixtures;

double from_hex(const json& v) { return std::strtod(v.get<std::string>().c_str(), nullptr); }

std::uint64_t bits(double d) {
  std::uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}

void check_rng() {
  const auto& cases = fx::goldens().at("rng");
  ASSERT_GE(cases.size(), 5u);
  for (const auto& c : cases) {
    const auto seed = c.at("seed").get<std::uint32_t>();
    SCOPED_TRACE(testing::Message() << "np.random.seed(" << seed << ")");
    LegacyRandomState rs(seed);
    for (const auto& w : c.at("uint32")) EXPECT_EQ(rs.next_uint32(), w.get<std::uint32_t>());
    for (const auto& h : c.at("random_sample")) EXPECT_EQ(bits(rs.random_sample()), bits(from_hex(h)));
    EXPECT_EQ(rs.randint(0, std::int64_t{1} << 31), c.at("randint_31").get<std::int64_t>());
    for (const auto& v : c.at("randint_m5_1000")) EXPECT_EQ(rs.randint(-5, 1000), v.get<std::int64_t>());
    for (const auto& v : c.at("randint_2_40")) EXPECT_EQ(rs.randint(0, std::int64_t{1} << 40), v.get<std::int64_t>());
    EXPECT_EQ(json(rs.permutation(10)), c.at("permutation_10"));
    EXPECT_EQ(fx::digest(rs.permutation(4095)), c.at("permutation_4095_digest").get<std::string>());
    const double p[] = {0.3, 0.0, 0.05, 0.25, 0.1, 0.0, 0.2, 0.1};
    std::vector<std::int64_t> pick(5);
    rs.weighted_choice_without_replacement(p, pick);
    EXPECT_EQ(json(pick), c.at("weighted_choice_8_5"));
    EXPECT_EQ(rs.next_uint32(), c.at("after_uint32").get<std::uint32_t>());
  }
}

TEST(SyntheticsGolden, RngMatchesNumpyLegacyRandomState) { check_rng(); }

TEST(SyntheticsGolden, SegmentSeedsMatchZoologyPrepareData) {
  const auto one = segment_seeds(123, 1, 1);
  EXPECT_EQ(one.train, std::vector<std::uint32_t>{843828734u});
  EXPECT_EQ(one.test, std::vector<std::uint32_t>{3062119789u});
  const auto based = segment_seeds(123, 5, 7);
  EXPECT_EQ(based.train, (std::vector<std::uint32_t>{843828734u, 914636141u, 1228959102u, 1840268610u, 974319580u}));
  EXPECT_EQ(based.test, (std::vector<std::uint32_t>{2967327842u, 2367878886u, 3088727057u, 3090095699u, 4256823402u,
                                                    3964712059u, 3350193721u}));
  for (const auto& c : fx::goldens().at("segment_seeds")) {
    const auto s = segment_seeds(c.at("data_seed").get<std::uint32_t>(), c.at("train").size(), c.at("test").size());
    EXPECT_EQ(json(s.train), c.at("train"));
    EXPECT_EQ(json(s.test), c.at("test"));
  }
}

TEST(SyntheticsGolden, PowerLawProbabilitiesMatchNumpyBitwise) {
  for (const auto& c : fx::goldens().at("power_law")) {
    const auto space = c.at("space").get<std::int64_t>();
    const double a = from_hex(c.at("power_a"));
    SCOPED_TRACE(testing::Message() << "space " << space << ", a " << a);
    const auto p = power_law_probs(space, a);
    ASSERT_EQ(static_cast<std::int64_t>(p.size()), space);
    if (c.contains("p")) {
      const auto& expected = c.at("p");
      for (std::int64_t i = 0; i < space; ++i)
        ASSERT_EQ(bits(p[static_cast<std::size_t>(i)]), bits(from_hex(expected[static_cast<std::size_t>(i)])))
            << "slot " << i;
    } else {
      std::vector<std::int64_t> words(p.size());
      for (std::size_t i = 0; i < p.size(); ++i) words[i] = static_cast<std::int64_t>(bits(p[i]));
      EXPECT_EQ(fx::digest(words), c.at("digest").get<std::string>());
    }
  }
}

std::map<std::string, std::string> params_of(const json& j) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j.items()) out[k] = v.dump();
  return out;
}

void check_cases() {
  const auto& cases = fx::goldens().at("cases");
  ASSERT_GE(cases.size(), 30u);
  for (const auto& c : cases) {
    const auto task = c.at("task").get<std::string>();
    const auto seed = c.at("seed").get<std::uint32_t>();
    SCOPED_TRACE(testing::Message() << task << " " << c.at("params").dump() << " seed " << seed);
    const auto ex = generate(task, params_of(c.at("params")), seed);
    if (c.contains("inputs")) {
      const auto& in = c.at("inputs");
      const auto& lab = c.at("labels");
      ASSERT_EQ(ex.count(), static_cast<std::int64_t>(in.size()));
      ASSERT_EQ(ex.seq_len(), static_cast<std::int64_t>(in.at(0).size()));
      for (std::int64_t r = 0; r < ex.count(); ++r)
        for (std::int64_t t = 0; t < ex.seq_len(); ++t) {
          ASSERT_EQ(ex.inputs(r, t), in[static_cast<std::size_t>(r)][static_cast<std::size_t>(t)].get<std::int64_t>())
              << "inputs[" << r << ", " << t << "]";
          ASSERT_EQ(ex.labels(r, t), lab[static_cast<std::size_t>(r)][static_cast<std::size_t>(t)].get<std::int64_t>())
              << "labels[" << r << ", " << t << "]";
        }
    } else {
      EXPECT_EQ(fx::digest(ex.inputs.flat()), c.at("digest").at("inputs").get<std::string>());
      EXPECT_EQ(fx::digest(ex.labels.flat()), c.at("digest").at("labels").get<std::string>());
    }
  }
}

TEST(SyntheticsGolden, GeneratorsMatchThePublicCodeByteForByte) { check_cases(); }

// The same with the AVX2 draw kernel switched off: the scalar path consumes numpy's stream identically.
TEST(SyntheticsGolden, ScalarPathMatchesToo) {
  struct Restore {
    ~Restore() { simd::set_avx2_enabled(true); }
  } restore;
  simd::set_avx2_enabled(false);
  check_rng();
  check_cases();
}

TEST(SyntheticsGolden, SpecWorkedExample) {
  MqarConfig c;
  c.vocab_size = 20;
  c.num_examples = 2;
  c.input_seq_len = 16;
  c.num_kv_pairs = 2;
  c.random_non_queries = false;
  const auto ex = mqar(c, 0);
  const std::vector<std::int64_t> in0 = {8, 15, 3, 12, 0, 0, 8, 0, 0, 0, 3, 0, 0, 0, 0, 0};
  std::vector<std::int64_t> lab0(16, kIgnoreIndex);
  lab0[6] = 15;
  lab0[10] = 12;
  for (std::int64_t t = 0; t < 16; ++t) {
    EXPECT_EQ(ex.inputs(0, t), in0[static_cast<std::size_t>(t)]) << t;
    EXPECT_EQ(ex.labels(0, t), lab0[static_cast<std::size_t>(t)]) << t;
  }
  // The spec's second remark: the second example has g = (0, 2), queries in key order only by chance.
  EXPECT_EQ(ex.inputs(1, 4), ex.inputs(1, 0));
  EXPECT_EQ(ex.inputs(1, 8), ex.inputs(1, 2));
}

}  // namespace
}  // namespace menagerie::synthetics
