// The convolution constructions of theory/ and the degree ingredient of the lower bounds (docs/theory.md §4.5-4.6):
//   - the channel-structured formal BaseConv layer equals z = (uW + B^B) ⊙ (K ∗ u + B^K) written out densely here
//     (random weights, short and long filters, per-position and constant biases, strided and all-ones blocks);
//   - C3 (two BaseConv layers = linear attention): exact, 0/1 margin 1/2, width (c/2) ceil(log2(c/2)) + c/2 + b;
//     at the spec's (256, 16), c = 512 and at (1024, D), c = 8192 (width 53,260); rapidcheck over (c, N, D); random filler breaks it (spurious bits);
//   - C4 data-independent (2(N-1)c) and input-dependent (2|𝒯|c): exact, margin 1; the spec's (32, 4), c = 40 and
//     (128, 8), c = 160; rapidcheck over (c, N, D) for both;
//   - C5: the equality tree has depth ceil(log2 2b) = Thm 3.2's bound and is exact for b = 4, 12, 13 and random b;
//   - the degree of an L-layer BaseConv along a ray is exactly 2^L (finite differences in Mp);
//   - preconditions violated throw with the value named.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cmath>
#include <string>

#include "core/random.hpp"
#include "synthetics/mqar.hpp"
#include "theory/base_conv_formal.hpp"
#include "theory/c3_baseconv_linear_attention.hpp"
#include "theory/c4_distance_shifts.hpp"
#include "theory/c5_equality_tree.hpp"
#include "theory/lower_bounds.hpp"
#include "verify/support/env.hpp"

namespace menagerie::test {
namespace {

synthetics::Examples make_mqar(std::int64_t c, std::int64_t N, std::int64_t D, std::int64_t n, std::uint32_t seed,
                               bool filler = false) {
  synthetics::MqarConfig cfg;
  cfg.vocab_size = c;
  cfg.num_examples = n;
  cfg.input_seq_len = N;
  cfg.num_kv_pairs = D;
  cfg.random_non_queries = filler;
  cfg.numpy_stream = false;
  return synthetics::mqar(cfg, seed);
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

TEST(TheoryFormalBaseConv, ChannelStructuredEqualsTheDenseDefinition) {
  const std::uint64_t seed = test_seed();
  for (const std::int64_t N : {1, 7, 16}) {
    const std::int64_t d = 6;
    const auto r = [&](std::int64_t n, std::uint64_t s) { return uniform_tensor<double>({n}, seed, s, -1.0, 1.0); };
    const auto Wd = r(d * d, 1), bb = r(N * d, 2), bk = r(N * d, 3), taps = r(N * d, 4), uu = r(N * d, 5);
    theory::FormalLayer<double> l;
    l.d = d;
    Tensor<double> W({d, d}, 0.0);  // the dense W the blocks amount to
    for (std::int64_t i = 0; i < 3; ++i)  // dense entries on channels 0..2
      for (std::int64_t o = 0; o < 3; ++o) {
        l.W.push_back({theory::BlockMap<double>::diagonal, i, 1, 1, o, 1, 1, Wd(i * d + o)});
        W(i, o) += Wd(i * d + o);
      }
    l.W.push_back({theory::BlockMap<double>::all_ones, 3, 1, 2, 1, 2, 3, 0.5});  // in 3, 4 -> out 1, 3, 5
    for (const std::int64_t o : {1, 3, 5})
      for (const std::int64_t i : {3, 4}) W(i, o) += 0.5;
    l.W.push_back({theory::BlockMap<double>::diagonal, 0, 2, 2, 4, 1, 2, -0.25});  // 0 -> 4, 2 -> 5
    W(0, 4) += -0.25;
    W(2, 5) += -0.25;
    Tensor<double> BB({N, d}, 0.0), BK({N, d}, 0.0), K({N, d}, 0.0);
    for (std::int64_t ch = 0; ch < d; ++ch) {
      if (ch != 2) {  // channel 2: no gate bias
        l.gate_bias[ch] = ch % 2 ? std::vector<double>{bb(ch)} : std::vector<double>(&bb(ch * N), &bb(ch * N) + N);
        for (std::int64_t t = 0; t < N; ++t) BB(t, ch) = ch % 2 ? bb(ch) : bb(ch * N + t);
      }
      if (ch != 4) {
        l.conv_bias[ch] = {bk(ch)};
        for (std::int64_t t = 0; t < N; ++t) BK(t, ch) = bk(ch);
      }
      if (ch != 1) {  // channel 1: no filter; others of length 1 + ch % N (short and long paths)
        const std::int64_t len = ch == 5 ? N : 1 + ch % N;
        l.set_filter(ch, std::vector<double>(&taps(ch * N), &taps(ch * N) + len));
        for (std::int64_t s = 0; s < len; ++s) K(s, ch) = taps(ch * N + s);
      }
    }
    theory::Columns<double> u{N, d, {}};
    for (std::int64_t ch = 0; ch < d; ++ch) u.col[ch] = std::vector<double>(&uu(ch * N), &uu(ch * N) + N);
    const auto z = theory::to_dense(theory::forward(l, u));
    for (std::int64_t t = 0; t < N; ++t)
      for (std::int64_t o = 0; o < d; ++o) {
        double gate = BB(t, o), conv = BK(t, o);
        for (std::int64_t i = 0; i < d; ++i) gate += uu(i * N + t) * W(i, o);
        for (std::int64_t s = 0; s <= t; ++s) conv += K(s, o) * uu(o * N + t - s);
        EXPECT_NEAR(z(t, o), gate * conv, 1e-13) << "N=" << N << " t=" << t << " o=" << o;
      }
  }
}

TEST(TheoryFormalBaseConv, RejectsBadShapes) {
  theory::FormalLayer<double> l;
  l.d = 3;
  l.gate_bias[5] = {1.0};
  theory::Columns<double> u{4, 3, {}};
  EXPECT_NE(message_of([&] { theory::forward(l, u); }).find("channel 5"), std::string::npos);
  l.gate_bias.clear();
  l.set_filter(0, std::vector<double>(9, 1.0));
  EXPECT_NE(message_of([&] { theory::forward(l, u); }).find("9 taps"), std::string::npos);
  theory::Columns<double> wide{4, 7, {}};
  EXPECT_NE(message_of([&] { theory::forward(l, wide); }).find("width 7"), std::string::npos);
}

TEST(TheoryC3, TwoBaseConvLayersAreExactLinearAttention) {
  EXPECT_TRUE(rc::check("C3", [] {
    const std::int64_t max_n = tier() == Tier::full ? 128 : 48;
    const std::int64_t N = 2 * *rc::gen::inRange<std::int64_t>(2, max_n / 2 + 1);
    const std::int64_t D = *rc::gen::inRange<std::int64_t>(1, N / 4 + 1);
    const std::int64_t c = 2 * *rc::gen::inRange<std::int64_t>(N / 2 + 1, 2 * N + 1);
    const auto ex = make_mqar(c, N, D, 2, *rc::gen::arbitrary<std::uint32_t>());
    const auto r = theory::c3::run({c, D}, ex.inputs, ex.labels);
    RC_ASSERT(r.outcome.exact());
    RC_ASSERT(r.outcome.min_margin == 0.5);
    const std::int64_t b = theory::ceil_log2(c / 2);
    RC_ASSERT(r.dims.width == (c / 2) * b + c / 2 + b);
    RC_ASSERT(r.dims.depth == 2);
  }));
}

TEST(TheoryC3, SpecSize256x16AtVocabulary512) {
  const auto ex = make_mqar(512, 256, 16, tier() == Tier::full ? 10 : 3, static_cast<std::uint32_t>(test_seed()));
  const auto r = theory::c3::run({512, 16}, ex.inputs, ex.labels);
  EXPECT_TRUE(r.outcome.exact()) << r.outcome.correct << "/" << r.outcome.queries;
  EXPECT_EQ(r.outcome.min_margin, 0.5);
  EXPECT_EQ(r.dims.width, 256 * 8 + 256 + 8);
}

TEST(TheoryC3, ChannelStructuredAtVocabulary8192) {
  const std::int64_t D = tier() == Tier::full ? 256 : 32;
  const auto ex = make_mqar(8192, 1024, D, 1, static_cast<std::uint32_t>(test_seed()));
  const auto r = theory::c3::run({8192, D}, ex.inputs, ex.labels);
  EXPECT_EQ(r.outcome.queries, D);
  EXPECT_TRUE(r.outcome.exact()) << r.outcome.correct << "/" << r.outcome.queries;
  EXPECT_EQ(r.outcome.min_margin, 0.5);
  EXPECT_EQ(r.dims.width, 4096 * 12 + 4096 + 12);
}

TEST(TheoryC3, RandomFillerAddsSpuriousBits) {
  const auto ex = make_mqar(512, 256, 16, 10, static_cast<std::uint32_t>(test_seed()), /*filler=*/true);
  const auto r = theory::c3::run({512, 16}, ex.inputs, ex.labels);
  EXPECT_EQ(r.outcome.queries, 160);
  EXPECT_LT(r.outcome.correct, r.outcome.queries);
  EXPECT_LT(r.outcome.min_margin, 0.0);
  EXPECT_GT(r.outcome.rate(), 0.5);
}

TEST(TheoryC4, DataIndependentAndInputDependentShiftsAreExact) {
  const std::uint32_t seed = static_cast<std::uint32_t>(test_seed());
  struct Case { std::int64_t N, D, c; theory::c4::Filters f; };
  std::vector<Case> cases = {{32, 4, 40, theory::c4::Filters::data_independent},
                             {128, 8, 160, theory::c4::Filters::input_dependent},
                             {64, 8, 80, theory::c4::Filters::input_dependent}};
  if (tier() == Tier::full) cases.push_back({128, 8, 160, theory::c4::Filters::data_independent});
  for (const auto& k : cases) {
    const auto ex = make_mqar(k.c, k.N, k.D, 3, seed);
    const auto r = theory::c4::run({k.c, k.D, k.f}, ex.inputs, ex.labels);
    const std::string what = "C4 (" + std::to_string(k.N) + ", " + std::to_string(k.D) + "), c = " + std::to_string(k.c);
    EXPECT_TRUE(r.outcome.exact()) << what;
    EXPECT_EQ(r.outcome.min_margin, 1.0) << what;
    if (k.f == theory::c4::Filters::data_independent)
      EXPECT_EQ(r.dims.width, 2 * (k.N - 1) * k.c) << what;
    else
      EXPECT_LE(r.dims.width, 2 * k.D * k.c) << what;  // at most one distance per query
  }
}

TEST(TheoryC4, RandomSizesWithBothFilterSets) {
  EXPECT_TRUE(rc::check("C4", [] {
    const std::int64_t max_n = tier() == Tier::full ? 64 : 32;
    const std::int64_t N = 2 * *rc::gen::inRange<std::int64_t>(2, max_n / 2 + 1);
    const std::int64_t D = *rc::gen::inRange<std::int64_t>(1, N / 4 + 1);
    const std::int64_t c = 2 * *rc::gen::inRange<std::int64_t>(N / 2 + 1, 2 * N + 1);
    const auto ex = make_mqar(c, N, D, 2, *rc::gen::arbitrary<std::uint32_t>());
    for (const auto f : {theory::c4::Filters::data_independent, theory::c4::Filters::input_dependent}) {
      const auto r = theory::c4::run({c, D, f}, ex.inputs, ex.labels);
      RC_ASSERT(r.outcome.exact());
      RC_ASSERT(r.outcome.min_margin == 1.0);
    }
  }));
}

TEST(TheoryC5, EqualityTreeMeetsTheDepthBound) {
  for (const std::int64_t b : {2, 3, 4, 5, 8, 12, 13, 16}) EXPECT_EQ(theory::c5::depth(b), 1 + theory::ceil_log2(b));
  EXPECT_EQ(theory::c5::depth(4), 3);
  EXPECT_EQ(theory::c5::depth(12), 5);
  EXPECT_EQ(theory::c5::depth(13), 5);
  for (const std::int64_t b : {4, 12, 13}) {
    const theory::c5::Config cfg{b, 3};
    const auto x = theory::c5::equality_instances(cfg, 4, 53, test_seed());
    const auto r = theory::c5::run(cfg, x);
    EXPECT_EQ(r.outcome.queries, 4 * 50);
    EXPECT_TRUE(r.outcome.exact()) << "b=" << b;
    EXPECT_EQ(r.outcome.min_margin, 0.5) << "b=" << b;
    EXPECT_EQ(r.dims.depth, theory::c5::depth(b)) << "b=" << b;
    std::int64_t equal = 0;  // the instances are not trivial: both answers occur
    for (std::int64_t i = 0; i < 4; ++i)
      for (std::int64_t t = 3; t < 53; ++t) equal += x(i, t) == x(i, t - 3);
    EXPECT_GT(equal, 50);
    EXPECT_LT(equal, 150);
  }
  EXPECT_TRUE(rc::check("C5 random b, tau", [] {
    const theory::c5::Config cfg{*rc::gen::inRange<std::int64_t>(2, 21), *rc::gen::inRange<std::int64_t>(1, 9)};
    const auto x = theory::c5::equality_instances(cfg, 2, cfg.tau + *rc::gen::inRange<std::int64_t>(1, 40),
                                                  *rc::gen::arbitrary<std::uint32_t>());
    const auto r = theory::c5::run(cfg, x);
    RC_ASSERT(r.outcome.exact());
    RC_ASSERT(r.dims.depth == theory::c5::depth(cfg.bits));
  }));
  EXPECT_NE(message_of([] { theory::c5::layers({1, 1}); }).find("b = 1"), std::string::npos);
}

TEST(TheoryLowerBounds, BaseConvAlongARayHasDegreeExactlyTwoToTheL) {
  const std::int64_t max_layers = tier() == Tier::full ? 3 : 2;
  for (std::int64_t L = 1; L <= max_layers; ++L) {
    const auto r = theory::degree_along_ray(L, 3, 2, test_seed() + static_cast<std::uint64_t>(L));
    EXPECT_EQ(r.degree, std::int64_t{1} << L);
    EXPECT_GT(r.rel_at_degree, 1e-8) << "L=" << L;
    EXPECT_LT(r.rel_above_degree, 1e-35) << "L=" << L;
  }
}

}  // namespace
}  // namespace menagerie::test
