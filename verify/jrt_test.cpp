// What is specific to the jrt mixer (JRT-RNN's prefix linear attention):
//   - the forward equals the PLA equation (arXiv 2407.05483 §4; prefix_linear_attention.py's parallel_forward),
//     written out independently here in double with triple loops and the Taylor kernel in closed form
//     1 + q.k/sqrt(f) + (q.k)^2/(2f): encoder term over j < M for every position, decoder term over j <= i;
//   - prefix_length M = 0 is the based mixer with the same weights (out_proj.weight as proj_o.weight);
//   - the dependency structure: y_i depends on u_j exactly when j < M or j <= i (perturbing u_j changes y_i
//     then, and leaves it bitwise unchanged otherwise), so the prefix is non-causal and the rest causal;
//   - param_count = 3d^2 + 3Hdf = the parameter shapes; the "jrt (f=8)" column; state_size = Based's;
//   - validate() names the bad value.
#include <gtest/gtest.h>

#include <algorithm>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "reference/based.hpp"
#include "reference/jrt.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace mixers::jrt;

// x W^T for x [B, T, In], W [Out, In].
Tensor<double> project(const Tensor<double>& x, const Tensor<double>& W) {
  const std::int64_t B = x.size(0), T = x.size(1), in = W.size(1), out = W.size(0);
  Tensor<double> y({B, T, out});
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t o = 0; o < out; ++o) {
        double acc = 0;
        for (std::int64_t i = 0; i < in; ++i) acc += x(b, t, i) * W(o, i);
        y(b, t, o) = acc;
      }
  return y;
}

// y_i = Wout [ (sum_{j<M} K(q_i, ke_j) ve_j + sum_{j<=i} K(q_i, k_j) v_j) / (sum_{j<M} K(q_i, ke_j) +
// sum_{j<=i} K(q_i, k_j) + eps) ] per head, K(q, k) = 1 + q.k/sqrt(f) + (q.k)^2/(2f).
Tensor<double> pla(const Problem& p, const Named<double>& in) {
  const auto& u = in.at("u");
  const auto q = project(u, in.at("proj_q.weight")), k = project(u, in.at("proj_k.weight")),
             v = project(u, in.at("proj_v.weight")), ke = project(u, in.at("proj_k_enc.weight")),
             ve = project(u, in.at("proj_v_enc.weight"));
  const std::int64_t f = p.f, Dv = p.d / p.heads;
  const auto kernel = [&](const Tensor<double>& keys, std::int64_t b, std::int64_t i, std::int64_t j,
                          std::int64_t h) {
    double qk = 0;
    for (std::int64_t m = 0; m < f; ++m) qk += q(b, i, h * f + m) * keys(b, j, h * f + m);
    return 1 + qk / std::sqrt(double(f)) + qk * qk / (2 * double(f));
  };
  Tensor<double> o({p.B, p.T, p.d});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.heads; ++h)
      for (std::int64_t i = 0; i < p.T; ++i)
        for (std::int64_t e = 0; e < Dv; ++e) {
          double num = 0, den = 0;
          for (std::int64_t j = 0; j < std::min(p.M, p.T); ++j) {  // the module's u[:, :enc_length]
            num += kernel(ke, b, i, j, h) * ve(b, j, h * Dv + e);
            den += kernel(ke, b, i, j, h);
          }
          for (std::int64_t j = 0; j <= i; ++j) {
            num += kernel(k, b, i, j, h) * v(b, j, h * Dv + e);
            den += kernel(k, b, i, j, h);
          }
          o(b, i, h * Dv + e) = num / (den + p.eps);
        }
  return project(o, in.at("out_proj.weight"));
}

Tensor<double> forward(const Problem& p, const Named<double>& in) {
  Named<double> out = allocate<double>(tensors(p), Role::output, std::numeric_limits<double>::quiet_NaN());
  reference_forward<double>(p, in, out);
  return out.at("y");
}

TEST(Jrt, ForwardEqualsThePlaEquationWrittenOut) {
  const std::uint64_t seed = test_seed();
  const Problem problems[] = {{.B = 2, .T = 10, .d = 6, .f = 3, .heads = 1, .M = 4},
                              {.B = 1, .T = 6, .d = 6, .f = 2, .heads = 1, .M = 9},  // enc_length past T: clipped
                              {.B = 1, .T = 12, .d = 6, .f = 2, .heads = 3, .M = 12},
                              {.B = 2, .T = 7, .d = 8, .f = 4, .heads = 2, .M = 0},
                              {.B = 1, .T = 9, .d = 4, .f = 2, .heads = 2, .M = 1},
                              {.B = 1, .T = 1, .d = 5, .f = 16, .heads = 1, .M = 1}};
  for (const Problem& p : problems) {
    const auto in = random_inputs(tensors(p), seed);
    EXPECT_LE(relerr(forward(p, in), convert<Mp>(pla(p, in))), 1e-12)
        << "T=" << p.T << " d=" << p.d << " f=" << p.f << " heads=" << p.heads << " M=" << p.M;
  }
}

TEST(Jrt, PrefixZeroIsBasedWithTheSameWeights) {
  for (const Problem& p : {Problem{.B = 2, .T = 11, .d = 6, .f = 3, .heads = 2, .M = 0},
                           Problem{.B = 1, .T = 1, .d = 4, .f = 2, .heads = 1, .M = 0, .eps = 0.1}}) {
    const auto in = random_inputs(tensors(p), test_seed());
    const mixers::based::Problem bp{.B = p.B, .T = p.T, .d = p.d, .f = p.f, .heads = p.heads, .eps = p.eps};
    Named<double> based_in;
    for (const char* name : {"u", "proj_q.weight", "proj_k.weight", "proj_v.weight"}) based_in.emplace(name, in.at(name));
    based_in.emplace("proj_o.weight", in.at("out_proj.weight"));
    Named<double> based_out = allocate<double>(mixers::based::tensors(bp), Role::output, 0.0);
    mixers::based::reference_forward<double>(bp, based_in, based_out);
    const auto y = forward(p, in);
    for (std::int64_t i = 0; i < y.numel(); ++i) ASSERT_EQ(y.data()[i], based_out.at("y").data()[i]) << "element " << i;
  }
}

// Perturbing u_j changes y_i exactly when j < M or j <= i; every other output stays bitwise equal.
TEST(Jrt, OutputsDependOnThePrefixAndOnThePastOnly) {
  for (const Problem& p : {Problem{.B = 1, .T = 9, .d = 4, .f = 2, .heads = 1, .M = 4},
                           Problem{.B = 2, .T = 7, .d = 6, .f = 3, .heads = 2, .M = 7},
                           Problem{.B = 1, .T = 6, .d = 4, .f = 2, .heads = 2, .M = 0}}) {
    const auto in = random_inputs(tensors(p), test_seed());
    const auto y = forward(p, in);
    int later_prefix_changes = 0, past_changes = 0;
    for (std::int64_t j = 0; j < p.T; ++j) {
      auto moved = in;
      for (std::int64_t b = 0; b < p.B; ++b)
        for (std::int64_t c = 0; c < p.d; ++c) moved.at("u")(b, j, c) += 0.5;
      const auto y2 = forward(p, moved);
      for (std::int64_t b = 0; b < p.B; ++b)
        for (std::int64_t i = 0; i < p.T; ++i) {
          bool changed = false;
          for (std::int64_t c = 0; c < p.d; ++c) changed |= y2(b, i, c) != y(b, i, c);
          const bool depends = j < p.M || j <= i;
          EXPECT_EQ(changed, depends) << "M=" << p.M << " perturbed u_" << j << ", output y_" << i << " b=" << b;
          later_prefix_changes += changed && j > i;
          past_changes += changed && j <= i;
        }
    }
    EXPECT_GT(past_changes, 0) << "no causal dependence seen (vacuous)";
    if (p.M > 1) {
      EXPECT_GT(later_prefix_changes, 0) << "M=" << p.M << ": no output saw a later prefix token";
    } else {
      EXPECT_EQ(later_prefix_changes, 0) << "M=" << p.M;
    }
  }
}

TEST(Jrt, ParamCountMatchesTheShapesAndTheColumn) {
  for (const Problem& p : {Problem{.B = 1, .T = 8, .d = 12, .f = 5, .heads = 1, .M = 3},
                           Problem{.B = 1, .T = 8, .d = 12, .f = 5, .heads = 3, .M = 0}}) {
    std::int64_t from_shapes = 0;
    for (const auto& s : specs_with_role(tensors(p), Role::param)) from_shapes += numel(s.shape);
    EXPECT_EQ(from_shapes, param_count(p));
    EXPECT_EQ(param_count(p), 3 * p.d * p.d + 3 * p.heads * p.d * p.f);
    EXPECT_EQ(state_size(p), mixers::based::state_size({.d = p.d, .f = p.f, .heads = p.heads}));
  }
  for (std::size_t w = 0; w < table_widths.size(); ++w) {
    const std::int64_t d = table_widths[w];
    for (const auto& col : Contract::param_columns(d, 256)) {
      std::int64_t sum = 0;
      for (const auto& layer : col.layers) sum += layer.param_count();
      EXPECT_EQ(sum, col.formula) << col.label << " d=" << d;
      EXPECT_EQ(sum, col.spec[w]) << col.label << " d=" << d;
      EXPECT_EQ(sum, 4 * d * d + 29 * d) << col.label << " d=" << d;
    }
  }
}

TEST(Jrt, ValidateNamesTheBadValue) {
  const std::pair<Problem, std::string> shape_cases[] = {
      {{.B = 1, .T = 4, .d = 10, .f = 4, .heads = 4}, "d = 10 is not divisible by heads = 4"},
      {{.B = 1, .T = 4, .d = 8, .f = 4, .heads = 1, .M = -1}, "prefix_length = -1 must be >= 0"},
      {{.B = 1, .T = 4, .d = 8, .f = 0}, "B, T, d, f, heads = 1, 4, 8, 0, 1"}};
  for (const auto& [p, text] : shape_cases) {
    try {
      p.validate();
      ADD_FAILURE() << "validate accepted " << text;
    } catch (const ShapeError& e) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  }
  try {
    Problem{.B = 1, .T = 4, .d = 8, .f = 4, .heads = 1, .M = 4, .eps = -1.0}.validate();
    ADD_FAILURE() << "eps -1 accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("eps = -1"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW((Problem{.B = 1, .T = 4, .d = 8, .f = 4, .heads = 1, .M = 4}.validate()));
  EXPECT_NO_THROW((Problem{.B = 1, .T = 4, .d = 8, .f = 4, .heads = 1, .M = 0}.validate()));
}

}  // namespace
}  // namespace menagerie::test
