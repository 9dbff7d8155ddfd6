// Set disjointness (JRT) constructions of theory/ and the capacity experiment (docs/theory.md §4.5-C7, §4.6):
//   - Prop G.18 with the data-dependent kernel: exact, ε = 0, margin 1/3, on generated disjoint_sets instances
//     (rapidcheck over c, |A|, |B|); margin 1/3 (2/3 when |B| = 1);
//   - Prop G.18 with random ±1/sqrt(f) codes, f = ceil(30 |A|^2 ln c): exact for |A| = 4, 8, 16, with ε measured;
//     with far too few features (f = 4) it fails;
//   - Algorithm 3: exact, |state| <= min(|A|, |B|) + 1; the pseudo-code's i <= N stores one element more;
//   - capacity: the bounded-state model recovers all values with a large key dimension and fails when D log c
//     exceeds its state bits.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <string>

#include "synthetics/jrt.hpp"
#include "synthetics/mqar.hpp"
#include "theory/c7_set_disjointness.hpp"
#include "theory/lower_bounds.hpp"
#include "verify/support/env.hpp"

namespace menagerie::test {
namespace {

synthetics::Examples make_sets(std::int64_t c, std::int64_t a, std::int64_t b, std::int64_t n, std::uint32_t seed) {
  synthetics::DisjointSetsConfig cfg;
  cfg.vocab_size = c;
  cfg.num_examples = n;
  cfg.short_length = a;
  cfg.long_length = b;
  return synthetics::disjoint_sets(cfg, seed);
}

template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError thrown)";
}

TEST(TheoryC7, PropG18DataDependentKernelIsExact) {
  EXPECT_TRUE(rc::check("G.18 data-dependent", [] {
    const std::int64_t c = 2 * *rc::gen::inRange<std::int64_t>(8, 1025);
    const std::int64_t a = *rc::gen::inRange<std::int64_t>(1, std::min<std::int64_t>(32, c / 2) + 1);
    const std::int64_t b = *rc::gen::inRange<std::int64_t>(1, std::min<std::int64_t>(64, c / 2 - 4) + 1);
    const auto ex = make_sets(c, a, b, 3, *rc::gen::arbitrary<std::uint32_t>());
    const auto g = theory::c7::run_g18({c, theory::c7::Kernel::data_dependent, 0, 0}, ex.inputs, ex.labels);
    RC_ASSERT(g.result.outcome.exact());
    RC_ASSERT(g.max_eps == 0.0);
    // b in A: z - 1/3 = 2/3; b not in A (there is one unless |B| = 1): 1/3 - z = 1/3.
    RC_ASSERT(std::abs(g.result.outcome.min_margin - (b > 1 ? 1.0 / 3.0 : 2.0 / 3.0)) < 1e-15);
    RC_ASSERT(g.result.outcome.min_margin >= g.result.outcome.guaranteed_margin);
    RC_ASSERT(g.f == a + theory::ceil_log2(c));
  }));
}

TEST(TheoryC7, PropG18RandomCodesAtThirtyASquaredLnC) {
  const std::uint32_t seed = static_cast<std::uint32_t>(test_seed());
  const std::vector<std::int64_t> sizes = tier() == Tier::full ? std::vector<std::int64_t>{4, 8, 16}
                                                               : std::vector<std::int64_t>{4, 8};
  for (const std::int64_t a : sizes) {
    const auto ex = make_sets(2048, a, 4 * a, 10, seed);
    const auto g = theory::c7::run_g18({2048, theory::c7::Kernel::random, seed, 0}, ex.inputs, ex.labels);
    EXPECT_TRUE(g.result.outcome.exact()) << "|A|=" << a << " eps=" << g.max_eps;
    EXPECT_GT(g.max_eps, 0.0);
    EXPECT_LT(g.max_eps, 2.0 / (3.0 * static_cast<double>(a))) << "|A|=" << a;
    EXPECT_EQ(g.f, static_cast<std::int64_t>(std::ceil(30.0 * static_cast<double>(a * a) * std::log(2048.0))));
  }
  const auto ex = make_sets(2048, 16, 32, 10, seed);
  const auto g = theory::c7::run_g18({2048, theory::c7::Kernel::random, seed, 4}, ex.inputs, ex.labels);
  EXPECT_LT(g.result.outcome.correct, g.result.outcome.queries) << "f = 4 features cannot separate 16 elements";
}

TEST(TheoryC7, Algorithm3IsExactWithStateMinPlusOne) {
  EXPECT_TRUE(rc::check("Algorithm 3", [] {
    const std::int64_t c = 2 * *rc::gen::inRange<std::int64_t>(8, 1025);
    const std::int64_t a = *rc::gen::inRange<std::int64_t>(1, std::min<std::int64_t>(64, c / 2) + 1);
    const std::int64_t b = *rc::gen::inRange<std::int64_t>(1, std::min<std::int64_t>(64, c / 2 - 4) + 1);
    const auto ex = make_sets(c, a, b, 5, *rc::gen::arbitrary<std::uint32_t>());
    const auto r = theory::c7::run_algorithm3(c, ex.inputs, ex.labels);
    RC_ASSERT(r.result.outcome.exact());
    RC_ASSERT(r.max_state <= std::min(a, b) + 1);
    RC_ASSERT(r.max_state == r.max_state_bound);
  }));
}

TEST(TheoryC7, PseudoCodeBoundStoresOneExtraElement) {
  const auto ex = make_sets(512, 12, 5, 4, static_cast<std::uint32_t>(test_seed()));  // |A| > |B|: B is stored
  const auto fixed = theory::c7::run_algorithm3(512, ex.inputs, ex.labels, false);
  const auto literal = theory::c7::run_algorithm3(512, ex.inputs, ex.labels, true);
  EXPECT_EQ(fixed.max_state, 5);
  EXPECT_EQ(literal.max_state, 6);
  EXPECT_GT(literal.max_state, literal.max_state_bound);
  EXPECT_TRUE(fixed.result.outcome.exact());
}

TEST(TheoryC7, MalformedInstancesAreRejected) {
  auto ex = make_sets(64, 3, 4, 1, 3);
  auto bad = ex.inputs;
  bad(0, 0) = 9;
  EXPECT_NE(message_of([&] { theory::c7::run_algorithm3(64, bad, ex.labels); }).find("starts with 9"),
            std::string::npos);
  auto lab = ex.labels;
  lab(0, ex.inputs.size(1) - 1) = 63;
  EXPECT_NE(message_of([&] { theory::c7::run_g18({64, theory::c7::Kernel::data_dependent, 0, 0}, ex.inputs, lab); })
                .find("label 63"),
            std::string::npos);
  EXPECT_NE(message_of([&] { theory::c7::run_algorithm3(6, ex.inputs, ex.labels); }).find("c = 6"), std::string::npos);
}

TEST(TheoryCapacity, AccuracyFallsWhenTheStateIsTooSmall) {
  synthetics::MqarConfig cfg;
  cfg.vocab_size = 2048;
  cfg.num_examples = 2;
  cfg.input_seq_len = 512;
  cfg.num_kv_pairs = 64;
  cfg.random_non_queries = false;
  cfg.numpy_stream = false;
  const auto ex = synthetics::mqar(cfg, static_cast<std::uint32_t>(test_seed()));
  const auto big = theory::capacity_point(2048, 64, 2048, ex.inputs, ex.labels, test_seed());
  const auto small = theory::capacity_point(2048, 64, 1, ex.inputs, ex.labels, test_seed());
  EXPECT_GT(big.outcome.rate(), 0.95);
  EXPECT_GT(small.needed_bits, 0);
  EXPECT_EQ(small.state_bits, 32 * 1 * 10);
  EXPECT_GT(small.needed_bits, small.state_bits);
  EXPECT_LT(small.outcome.rate(), 0.05);
}

}  // namespace
}  // namespace menagerie::test
