// hyena specifics: param_count = docs/mixers.md §2.2 (4d^2 + 81d + 8640 + 3 l_max at filter_order 64) and the
// table's hyena column (2 layers, N = 256); frozen buffers excluded from the count; state_size = D T; validate()
// names bad sizes; with a zero filter the mixer is y = ((v ⊙ x1) Dh ⊙ x2) Wout^T + bout with [x1 x2 v] the channel
// thirds of the short conv, computed here independently (checks the split order and the D term); and the whole
// mixer, implicit filter included, equals zoology's Hyena module written out here in plain double loops from its
// definition (zoology/mixers/hyena.py: PositionalEmbedding z and t, implicit_filter = Linear(3, F), Sin,
// Linear(F, F), Sin, Linear(F, F), Sin, Linear(F, D, no bias) with ONE Sin module (one ω) reused,
// ExponentialModulation h * exp(-t |δ|), fftconv_ref = causal convolution of length T plus u·bias), with random
// non-zero weights, both on random tables and on the module's own init tables (z, t, δ, ω = 1).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "reference/hyena.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace menagerie::mixers::hyena;

TEST(Hyena, ParamCountFormulaAndTable) {
  for (std::int64_t d : {3, 64, 100})
    EXPECT_EQ(param_count({1, 256, d, 256}), 4 * d * d + 81 * d + 8640 + 3 * 256);
  const std::vector<std::pair<std::int64_t, std::int64_t>> table = {
      {64, 61952}, {128, 170624}, {256, 584576}, {512, 2198912}};
  for (const auto& [d, total] : table) EXPECT_EQ(2 * param_count({1, 256, d, 256}), total) << "d=" << d;
  for (const Problem& p : {Problem{1, 256, 64, 256}, Problem{1, 7, 5, 9, 3, 2}}) {
    std::int64_t n = 0;
    for (const auto& s : tensors(p))
      if (s.role == Role::param &&
          std::find(Contract::frozen.begin(), Contract::frozen.end(), s.name) == Contract::frozen.end())
        n += numel(s.shape);
    EXPECT_EQ(n, param_count(p));
  }
}

TEST(Hyena, StateSizeAndValidate) {
  EXPECT_EQ(state_size({1, 1024, 64, 1024}), 64 * 1024);
  try {
    Problem{1, 9, 4, 8}.validate();
    FAIL() << "l_max < T accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("l_max = 8"), std::string::npos) << e.what();
  }
  EXPECT_THROW((Problem{1, 4, 4, 8, 0}.validate()), ShapeError);
}

TEST(Hyena, ZeroFilterLeavesTheGatedDTerm) {
  const Problem p{2, 7, 3, 9, 4, 3};
  auto in = random_inputs(tensors(p), test_seed());
  auto& W6 = in.at("filter_fn.implicit_filter.6.weight");
  std::fill(W6.flat().begin(), W6.flat().end(), 0.0);
  auto out = allocate<double>(tensors(p), Role::output);
  reference_forward(p, in, out);
  const std::int64_t D = p.D, K = p.short_filter_order;
  const auto &u = in.at("u"), &Win = in.at("in_proj.weight"), &bin = in.at("in_proj.bias");
  const auto &sw = in.at("short_filter.weight"), &sb = in.at("short_filter.bias");
  auto P = [&](std::int64_t b, std::int64_t t, std::int64_t j) {
    double acc = bin(j);
    for (std::int64_t i = 0; i < D; ++i) acc += u(b, t, i) * Win(j, i);
    return acc;
  };
  auto Q = [&](std::int64_t b, std::int64_t t, std::int64_t j) {
    double acc = sb(j);
    for (std::int64_t k = 0; k < K; ++k)
      if (t - K + 1 + k >= 0) acc += sw(j, 0, k) * P(b, t - K + 1 + k, j);
    return acc;
  };
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t) {
      std::vector<double> g(static_cast<std::size_t>(D));
      for (std::int64_t c = 0; c < D; ++c)
        g[static_cast<std::size_t>(c)] = Q(b, t, 2 * D + c) * Q(b, t, c) * in.at("filter_fn.bias")(c) * Q(b, t, D + c);
      for (std::int64_t o = 0; o < D; ++o) {
        double want = in.at("out_proj.bias")(o);
        for (std::int64_t c = 0; c < D; ++c) want += g[static_cast<std::size_t>(c)] * in.at("out_proj.weight")(o, c);
        EXPECT_NEAR(out.at("y")(b, t, o), want, 1e-13) << "b=" << b << " t=" << t << " o=" << o;
      }
    }
}

// zoology's Hyena.forward (order 2, one head, one block, dropout off) in double, literally: the filter rows t < T
// of Filter.filter(L), then fftconv_ref(v, k, bias) = sum_{s <= t} k[c, s] v[t - s, c] + v[t, c] bias[c].
Tensor<double> zoology_hyena(const Problem& p, const Named<double>& in) {
  const std::int64_t D = p.D, F = p.filter_order, K = p.short_filter_order, T = p.T;
  const std::string f = "filter_fn.implicit_filter.";
  const auto &u = in.at("u"), &Win = in.at("in_proj.weight"), &bin = in.at("in_proj.bias");
  const auto &sw = in.at("short_filter.weight"), &sb = in.at("short_filter.bias");
  const auto &z = in.at("filter_fn.pos_emb.z"), &tt = in.at("filter_fn.pos_emb.t");
  const auto &W0 = in.at(f + "0.weight"), &b0 = in.at(f + "0.bias"), &freq = in.at(f + "1.freq");
  const auto &W2 = in.at(f + "2.weight"), &b2 = in.at(f + "2.bias"), &W4 = in.at(f + "4.weight");
  const auto &b4 = in.at(f + "4.bias"), &W6 = in.at(f + "6.weight");
  const auto &deltas = in.at("filter_fn.modulation.deltas"), &bias = in.at("filter_fn.bias");
  const auto &Wout = in.at("out_proj.weight"), &bout = in.at("out_proj.bias");
  // k[c, t]: implicit_filter(z[0, t, :]), then the modulation; the one Sin module (one freq) after each hidden Linear.
  Tensor<double> k({D, T});
  for (std::int64_t t = 0; t < T; ++t) {
    Tensor<double> s({F}), a({F});
    for (std::int64_t j = 0; j < F; ++j) {
      double acc = b0(j);
      for (std::int64_t i = 0; i < 3; ++i) acc += W0(j, i) * z(0, t, i);
      s(j) = std::sin(freq(0, j) * acc);
    }
    for (const auto& [W, bl] : {std::pair{&W2, &b2}, std::pair{&W4, &b4}}) {
      for (std::int64_t j = 0; j < F; ++j) {
        a(j) = (*bl)(j);
        for (std::int64_t i = 0; i < F; ++i) a(j) += (*W)(j, i) * s(i);
      }
      for (std::int64_t j = 0; j < F; ++j) s(j) = std::sin(freq(0, j) * a(j));
    }
    for (std::int64_t c = 0; c < D; ++c) {
      double acc = 0;
      for (std::int64_t j = 0; j < F; ++j) acc += W6(c, j) * s(j);
      k(c, t) = acc * std::exp(-tt(0, t, 0) * std::abs(deltas(0, 0, c)));
    }
  }
  Tensor<double> y({p.B, T, D});
  for (std::int64_t b = 0; b < p.B; ++b) {
    // uc = short_filter(in_proj(u))[..., :T]: Conv1d with padding K - 1, tap q at time t reads t - (K - 1) + q.
    Tensor<double> uc({T, 3 * D});
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t j = 0; j < 3 * D; ++j) {
        uc(t, j) = sb(j);
        for (std::int64_t q = 0; q < K; ++q) {
          const std::int64_t src = t - (K - 1) + q;
          if (src < 0) continue;
          double proj = bin(j);
          for (std::int64_t i = 0; i < D; ++i) proj += Win(j, i) * u(b, src, i);
          uc(t, j) += sw(j, 0, q) * proj;
        }
      }
    // x1, x2, v = uc.split(d) along channels; v <- v * x1.
    const auto v = [&](std::int64_t t, std::int64_t c) { return uc(t, 2 * D + c) * uc(t, c); };
    for (std::int64_t t = 0; t < T; ++t) {
      Tensor<double> g({D});
      for (std::int64_t c = 0; c < D; ++c) {
        double conv = v(t, c) * bias(c);
        for (std::int64_t s = 0; s <= t; ++s) conv += k(c, s) * v(t - s, c);
        g(c) = conv * uc(t, D + c);
      }
      for (std::int64_t o = 0; o < D; ++o) {
        y(b, t, o) = bout(o);
        for (std::int64_t c = 0; c < D; ++c) y(b, t, o) += Wout(o, c) * g(c);
      }
    }
  }
  return y;
}

TEST(Hyena, ForwardEqualsZoologyModuleWrittenOut) {
  for (const Problem& p : {Problem{2, 7, 3, 9, 5, 3}, Problem{1, 12, 4, 12, 6, 2}}) {
    for (const bool module_tables : {false, true}) {
      auto in = random_inputs(tensors(p), test_seed());
      if (module_tables) {  // PositionalEmbedding(3, l_max), ExponentialModulation(D), Sin(w = 1): their init values
        const double L = static_cast<double>(p.l_max);
        auto &z = in.at("filter_fn.pos_emb.z"), &t = in.at("filter_fn.pos_emb.t");
        for (std::int64_t i = 0; i < p.l_max; ++i) {
          const double ti = static_cast<double>(i), w = 2 * std::numbers::pi * ti / L;
          t(0, i, 0) = z(0, i, 0) = ti / (L - 1);
          z(0, i, 1) = std::cos(1e-4 * w);
          z(0, i, 2) = -std::sin(1e-4 * w);
        }
        const double lo = std::log(1e-2) / 1.5, hi = std::log(1e-2) / 0.3;  // min_decay, max_decay
        auto& deltas = in.at("filter_fn.modulation.deltas");
        for (std::int64_t c = 0; c < p.D; ++c)
          deltas(0, 0, c) = lo + (hi - lo) * static_cast<double>(c) / static_cast<double>(p.D - 1);
        auto& freq = in.at("filter_fn.implicit_filter.1.freq");
        std::fill(freq.flat().begin(), freq.flat().end(), 1.0);
      }
      auto out = allocate<double>(tensors(p), Role::output, std::nan(""));
      reference_forward(p, in, out);
      const auto want = zoology_hyena(p, in);
      const double e = relerr(out.at("y"), convert<Mp>(want));
      EXPECT_LE(e, 1e-13) << "T=" << p.T << " D=" << p.D << " F=" << p.filter_order
                          << (module_tables ? " (module init tables)" : " (random tables)") << "; " << replay_line();
      // The filter carries weight in this comparison: without it the output moves by far more than the tolerance.
      auto no_filter = in;
      auto& W6 = no_filter.at("filter_fn.implicit_filter.6.weight");
      std::fill(W6.flat().begin(), W6.flat().end(), 0.0);
      EXPECT_GT(relerr(zoology_hyena(p, no_filter), convert<Mp>(want)), 1e-3);
    }
  }
}

}  // namespace
}  // namespace menagerie::test
