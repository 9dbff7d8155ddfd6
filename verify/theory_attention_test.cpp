// The attention constructions of theory/ (docs/theory.md §4.5), on MQAR instances from synthetics/:
//   - C1 (Prop 4.3, triplets), one-hot and binary: every query solved, margin >= the guaranteed one (rapidcheck over
//     c, N, D), and at the spec's (1024, 256), c = 8192; repeated keys sum their values (the documented failure mode);
//   - C2 (shift + attention) linear and softmax (also at (512, 64) and (1024, 256), c = 8192), C2b (±1 codes, d = 2 ceil(log2 c)): the same, plus C2b at the spec's
//     (1024, 256), c = 8192, β = 5, and with random filler some queries are lost;
//   - C6 (shift + Taylor linear attention): exact with margin >= (4/f - 2/f^2)/(2.5 N), and short of 100% with
//     random filler;
//   - preconditions violated throw InputError naming the value.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cmath>
#include <string>

#include "synthetics/mqar.hpp"
#include "theory/c1_attention_triplets.hpp"
#include "theory/c2_shift_attention.hpp"
#include "theory/c6_based_taylor.hpp"
#include "verify/support/env.hpp"

namespace menagerie::test {
namespace {

using synthetics::Examples;

struct Mqar {
  std::int64_t c = 0, N = 0, D = 0;
  Examples ex;
};

Mqar make_mqar(std::int64_t c, std::int64_t N, std::int64_t D, std::int64_t n, std::uint32_t seed, bool filler = false) {
  synthetics::MqarConfig cfg;
  cfg.vocab_size = c;
  cfg.num_examples = n;
  cfg.input_seq_len = N;
  cfg.num_kv_pairs = D;
  cfg.random_non_queries = filler;
  cfg.numpy_stream = false;
  return {c, N, D, synthetics::mqar(cfg, seed)};
}

// An MQAR instance inside the generator's preconditions (N even, c > N, 4D <= N): N up to max_n.
Mqar arbitrary_mqar(std::int64_t max_n) {
  const std::int64_t N = 2 * *rc::gen::inRange<std::int64_t>(2, max_n / 2 + 1);
  const std::int64_t D = *rc::gen::inRange<std::int64_t>(1, N / 4 + 1);
  const std::int64_t c = 2 * *rc::gen::inRange<std::int64_t>(N / 2 + 1, 2 * N + 1);
  const auto seed = *rc::gen::arbitrary<std::uint32_t>();
  RC_TAG(N > max_n / 2 ? "long" : "short");
  return make_mqar(c, N, D, 2, seed);
}

std::int64_t max_len() { return tier() == Tier::full ? 256 : 64; }

template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError thrown)";
}

void expect_solved(const theory::Outcome& o, const std::string& what) {
  EXPECT_GT(o.queries, 0) << what;
  EXPECT_EQ(o.correct, o.queries) << what;
  EXPECT_GE(o.min_margin, o.guaranteed_margin - 1e-12) << what;
}

TEST(TheoryC1, OneHotTripletsSolveEveryInstanceWithMarginOne) {
  EXPECT_TRUE(rc::check("C1 one-hot", [] {
    const auto m = arbitrary_mqar(max_len());
    const auto t = theory::c1::mqar_triplets(m.ex.inputs, m.ex.labels, m.c, m.D);
    const auto r = theory::c1::run({m.c, theory::c1::Code::one_hot, 0}, t);
    RC_ASSERT(r.outcome.queries == m.ex.inputs.size(0) * m.D);
    RC_ASSERT(r.outcome.exact());
    RC_ASSERT(r.outcome.min_margin == 1.0);
    RC_ASSERT(r.dims.dense_params == 9 * m.c * m.c);
  }));
}

TEST(TheoryC1, BinaryTripletsWithSoftmaxAboveTheBetaBound) {
  EXPECT_TRUE(rc::check("C1 binary", [] {
    const auto m = arbitrary_mqar(max_len());
    const auto t = theory::c1::mqar_triplets(m.ex.inputs, m.ex.labels, m.c, m.D);
    const std::int64_t R = t.rows.size(1);
    const double beta = std::log(static_cast<double>(R)) / 2 + *rc::gen::inRange(1, 30) / 10.0;
    const theory::c1::Config cfg{m.c, theory::c1::Code::binary, beta};
    const auto r = theory::c1::run(cfg, t);
    RC_ASSERT(r.outcome.guaranteed_margin > 0);
    RC_ASSERT(r.outcome.exact());
    RC_ASSERT(r.outcome.min_margin >= r.outcome.guaranteed_margin - 1e-12);
  }));
}

TEST(TheoryC1, SpecSize1024AtVocabulary8192) {
  const auto m = make_mqar(8192, 1024, 256, tier() == Tier::full ? 3 : 1, static_cast<std::uint32_t>(test_seed()));
  const auto t = theory::c1::mqar_triplets(m.ex.inputs, m.ex.labels, 8192, 256);
  const auto r = theory::c1::run({8192, theory::c1::Code::one_hot, 0}, t);
  expect_solved(r.outcome, "C1 (1024, 256), c = 8192");
  EXPECT_EQ(r.outcome.queries, m.ex.inputs.size(0) * 256);
  EXPECT_EQ(r.dims.dense_params, 9 * 8192 * 8192);
}

TEST(TheoryC1, RepeatedKeysSumTheirValues) {
  const std::int64_t c = 64;
  // rows: (5, 40, -), (5, 41, -), (7, 50, -), (-, -, 5), (-, -, 7)
  Tensor<std::int64_t> rows({1, 5, 3}, -1);
  const std::int64_t kv[3][2] = {{5, 40}, {5, 41}, {7, 50}};
  for (int j = 0; j < 3; ++j) {
    rows(0, j, 0) = kv[j][0];
    rows(0, j, 1) = kv[j][1];
  }
  rows(0, 3, 2) = 5;
  rows(0, 4, 2) = 7;
  const auto y = theory::c1::forward({c, theory::c1::Code::one_hot, 0}, rows, 0);
  for (std::int64_t e = 0; e < c; ++e) {
    EXPECT_EQ(y(3, e), (e == 40 || e == 41) ? 1.0 : 0.0) << "e=" << e;
    EXPECT_EQ(y(4, e), e == 50 ? 1.0 : 0.0) << "e=" << e;
  }
  Tensor<std::int64_t> targets({1, 5}, theory::kNoLabel);
  targets(0, 3) = 41;
  targets(0, 4) = 50;
  const auto r = theory::c1::run({c, theory::c1::Code::one_hot, 0}, {rows, targets});
  EXPECT_EQ(r.outcome.queries, 2);
  EXPECT_EQ(r.outcome.correct, 1);  // the tie between 40 and 41 is not a solution
  EXPECT_EQ(r.outcome.min_margin, 0.0);
}

TEST(TheoryC2, ShiftThenAttentionSolvesEveryInstance) {
  EXPECT_TRUE(rc::check("C2 variants", [] {
    const auto m = arbitrary_mqar(max_len());
    const double lnN = std::log(static_cast<double>(m.N - 1));
    for (const auto& cfg : {theory::c2::Config{m.c, m.D, theory::c2::Variant::onehot_linear, 0},
                            theory::c2::Config{m.c, m.D, theory::c2::Variant::onehot_softmax, lnN + 1.0},
                            theory::c2::Config{m.c, m.D, theory::c2::Variant::binary, lnN / 2 + 0.5}}) {
      const auto r = theory::c2::run(cfg, m.ex.inputs, m.ex.labels);
      RC_ASSERT(r.outcome.guaranteed_margin > 0);
      RC_ASSERT(r.outcome.exact());
      RC_ASSERT(r.outcome.min_margin >= r.outcome.guaranteed_margin - 1e-12);
    }
  }));
}

TEST(TheoryC2, OneHotAtTheSpecSizes) {
  for (const auto& [N, D] : {std::pair<std::int64_t, std::int64_t>{512, 64}, {1024, 256}}) {
    const auto m = make_mqar(8192, N, D, 1, static_cast<std::uint32_t>(test_seed()));
    const auto r = theory::c2::run({8192, D, theory::c2::Variant::onehot_linear, 0}, m.ex.inputs, m.ex.labels);
    expect_solved(r.outcome, cat("C2 linear (", N, ", ", D, "), c = 8192"));
  }
  const auto m = make_mqar(8192, 512, 64, 1, static_cast<std::uint32_t>(test_seed()));
  const auto r = theory::c2::run({8192, 64, theory::c2::Variant::onehot_softmax, 8.0}, m.ex.inputs, m.ex.labels);
  expect_solved(r.outcome, "C2 softmax beta = 8 at (512, 64), c = 8192");
  EXPECT_GT(r.outcome.guaranteed_margin, 0.5);
}

TEST(TheoryC2, BinaryCodesAtTheSpecSizeWidth26) {
  const auto m = make_mqar(8192, 1024, 256, tier() == Tier::full ? 4 : 1, static_cast<std::uint32_t>(test_seed()));
  const theory::c2::Config cfg{8192, 256, theory::c2::Variant::binary, 5.0};
  const auto r = theory::c2::run(cfg, m.ex.inputs, m.ex.labels);
  EXPECT_EQ(r.dims.width, 26);
  expect_solved(r.outcome, "C2b (1024, 256), c = 8192, beta = 5");
  EXPECT_GT(r.outcome.guaranteed_margin, 0.9);
}

TEST(TheoryC2, BinaryCodesWithRandomFillerMissSomeQueries) {
  const auto m = make_mqar(8192, 1024, 256, 2, static_cast<std::uint32_t>(test_seed()), /*filler=*/true);
  const auto r = theory::c2::run({8192, 256, theory::c2::Variant::binary, 5.0}, m.ex.inputs, m.ex.labels);
  EXPECT_EQ(r.outcome.queries, 512);
  EXPECT_LT(r.outcome.correct, r.outcome.queries);  // a spurious earlier copy of the key ties with the match
  EXPECT_GT(r.outcome.rate(), 0.9);
}

TEST(TheoryC6, TaylorLinearAttentionSolvesEveryCleanInstance) {
  EXPECT_TRUE(rc::check("C6 clean", [] {
    const auto m = arbitrary_mqar(max_len());
    const auto r = theory::c6::run({m.c, m.D}, m.ex.inputs, m.ex.labels);
    RC_ASSERT(r.outcome.exact());
    RC_ASSERT(r.outcome.min_margin >= r.outcome.guaranteed_margin);
    const std::int64_t f = theory::ceil_log2(m.c);
    RC_ASSERT(r.dims.state == (1 + f + f * f) * (m.c / 2 + 1));
  }));
}

TEST(TheoryC6, SpecSizeIsExact) {
  const bool full = tier() == Tier::full;
  const auto m = full ? make_mqar(8192, 1024, 256, 2, static_cast<std::uint32_t>(test_seed()))
                      : make_mqar(8192, 512, 64, 1, static_cast<std::uint32_t>(test_seed()));
  const auto r = theory::c6::run({8192, m.D}, m.ex.inputs, m.ex.labels);
  expect_solved(r.outcome, "C6 at c = 8192");
  EXPECT_GT(r.outcome.guaranteed_margin, 0);
}

TEST(TheoryC6, RandomFillerFallsShortOfExact) {
  const auto m = make_mqar(512, 256, 32, 8, static_cast<std::uint32_t>(test_seed()), /*filler=*/true);
  const auto r = theory::c6::run({512, 32}, m.ex.inputs, m.ex.labels);
  EXPECT_EQ(r.outcome.queries, 8 * 32);
  EXPECT_LT(r.outcome.correct, r.outcome.queries);
  EXPECT_GT(r.outcome.rate(), 0.3);  // most queries still recovered: the kernel is blunt, not useless
}

TEST(TheoryPreconditions, ViolationsNameTheValue) {
  const auto m = make_mqar(64, 32, 4, 1, 7);
  EXPECT_NE(message_of([&] { theory::c2::run({63, 4, theory::c2::Variant::onehot_linear, 0}, m.ex.inputs, m.ex.labels); })
                .find("c = 63"),
            std::string::npos);
  EXPECT_NE(message_of([&] { theory::c2::run({64, 4, theory::c2::Variant::binary, -1.0}, m.ex.inputs, m.ex.labels); })
                .find("beta = -1"),
            std::string::npos);
  EXPECT_NE(message_of([&] { theory::c6::run({64, 20}, m.ex.inputs, m.ex.labels); }).find("D = 20"), std::string::npos);
  EXPECT_NE(message_of([&] { theory::c6::run({32, 4}, m.ex.inputs, m.ex.labels); }).find("outside [0, c = 32)"),
            std::string::npos);
  auto bad = m.ex.labels;
  bad(0, 1) = 40;  // a label inside the context
  EXPECT_NE(message_of([&] { theory::c1::mqar_triplets(m.ex.inputs, bad, 64, 4); }).find("t = 1"), std::string::npos);
  Tensor<std::int64_t> rows({1, 2, 2}, -1);
  EXPECT_NE(message_of([&] { theory::c1::forward({64, theory::c1::Code::one_hot, 0}, rows, 0); }).find("[n, R, 3]"),
            std::string::npos);
}

}  // namespace
}  // namespace menagerie::test
