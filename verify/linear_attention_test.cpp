// What is specific to the linear_attention operator (the generic suite checks causality, gradients, float/double
// against Mp and quadratic = recurrent):
//   - taylor_exp: phi has 1 + F + F^2 entries and phi(q).phi(k) = 1 + q.k/sqrt(F) + (q.k)^2/(2F) (in Mp, 1e-45);
//   - the forward equals the formula written with that closed-form kernel (normalized) and with q.k (identity,
//     not normalized), computed here independently in double;
//   - after T steps the state is S = sum_t phi(k_t) v_t^T, z = sum_t phi(k_t);
//   - validate() and reference_step reject bad sizes with the offending value in the message.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "reference/linear_attention.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace ops::linear_attention;

template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError thrown)";
}

TEST(LinearAttention, TaylorFeatureMapGivesTheSecondOrderExpKernel) {
  std::uint64_t seed = test_seed();
  for (std::int64_t F : {1, 3, 8, 16}) {
    const Problem p{1, 1, 1, F, 1, FeatureMap::taylor_exp, true, 1e-12};
    ASSERT_EQ(p.expanded_dim(), 1 + F + F * F);
    Tensor<double> x({2, F});
    fill_uniform(x.view(), seed, static_cast<std::uint64_t>(F), -2.0, 2.0);
    const auto xm = convert<Mp>(x);
    const auto pq = apply_feature_map<Mp>(p, &xm(0, 0)), pk = apply_feature_map<Mp>(p, &xm(1, 0));
    ASSERT_EQ(static_cast<std::int64_t>(pq.size()), p.expanded_dim());
    Mp phi_dot = 0, qk = 0;
    for (std::size_t i = 0; i < pq.size(); ++i) phi_dot += pq[i] * pk[i];
    for (std::int64_t i = 0; i < F; ++i) qk += xm(0, i) * xm(1, i);
    const Mp closed = 1 + qk / sqrt(Mp(F)) + qk * qk / (2 * Mp(F));
    EXPECT_LE(static_cast<double>(abs(phi_dot - closed) / abs(closed)), 1e-45) << "F=" << F;
  }
}

// o by the formula, with the kernel a(q, k) given in closed form; [B, T, H, Dv].
Tensor<double> formula(const Problem& p, const Named<double>& in) {
  const auto &q = in.at("q"), &k = in.at("k"), &v = in.at("v");
  Tensor<double> o({p.B, p.T, p.H, p.Dv});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.H; ++h)
      for (std::int64_t t = 0; t < p.T; ++t) {
        double den = 0;
        std::vector<double> num(static_cast<std::size_t>(p.Dv), 0.0);
        for (std::int64_t s = 0; s <= t; ++s) {
          double qk = 0;
          for (std::int64_t i = 0; i < p.F; ++i) qk += q(b, t, h, i) * k(b, s, h, i);
          const double F = static_cast<double>(p.F);
          const double a = p.feature_map == FeatureMap::identity ? qk : 1 + qk / std::sqrt(F) + qk * qk / (2 * F);
          den += a;
          for (std::int64_t e = 0; e < p.Dv; ++e) num[static_cast<std::size_t>(e)] += a * v(b, s, h, e);
        }
        for (std::int64_t e = 0; e < p.Dv; ++e)
          o(b, t, h, e) = p.normalize ? num[static_cast<std::size_t>(e)] / (den + p.eps) : num[static_cast<std::size_t>(e)];
      }
  return o;
}

TEST(LinearAttention, ForwardEqualsTheFormulaWithTheClosedFormKernel) {
  const std::uint64_t seed = test_seed();
  for (const Problem& p : {Problem{2, 11, 2, 5, 3, FeatureMap::taylor_exp, true, 1e-12},
                           Problem{1, 9, 3, 4, 2, FeatureMap::taylor_exp, false, 0},
                           Problem{2, 10, 1, 3, 4, FeatureMap::identity, false, 0},
                           Problem{1, 12, 2, 6, 5, FeatureMap::identity, true, 1e-6}}) {
    const auto in = random_inputs(tensors(p), seed);
    Named<double> out = allocate<double>(tensors(p), Role::output, std::numeric_limits<double>::quiet_NaN());
    reference_forward<double>(p, in, out);
    EXPECT_LE(relerr(out.at("o"), convert<Mp>(formula(p, in))), 1e-13)
        << to_string(p.feature_map) << " normalize=" << p.normalize << " T=" << p.T;
  }
}

TEST(LinearAttention, StepStateIsTheSumOfKeyFeatureValueProducts) {
  const Problem p{2, 6, 2, 3, 4, FeatureMap::taylor_exp, true, 1e-12};
  const auto in = convert<Mp>(random_inputs(tensors(p), test_seed()));
  auto state = initial_state<Mp>(p);
  Tensor<Mp> o_t({p.B, p.H, p.Dv});
  for (std::int64_t t = 0; t < p.T; ++t)
    reference_step<Mp>(p, state, to_tensor(in.at("q").view().select(1, t)), to_tensor(in.at("k").view().select(1, t)),
                       to_tensor(in.at("v").view().select(1, t)), o_t);
  Tensor<Mp> S({p.B, p.H, p.expanded_dim(), p.Dv}, Mp(0)), z({p.B, p.H, p.expanded_dim()}, Mp(0));
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.H; ++h)
      for (std::int64_t t = 0; t < p.T; ++t) {
        const auto phi = apply_feature_map<Mp>(p, &in.at("k")(b, t, h, 0));
        for (std::int64_t i = 0; i < p.expanded_dim(); ++i) {
          z(b, h, i) += phi[static_cast<std::size_t>(i)];
          for (std::int64_t e = 0; e < p.Dv; ++e) S(b, h, i, e) += phi[static_cast<std::size_t>(i)] * in.at("v")(b, t, h, e);
        }
      }
  EXPECT_LE(relerr(state.S, S), 1e-45);
  EXPECT_LE(relerr(state.z, z), 1e-45);
}

TEST(LinearAttention, ValidateNamesTheBadValue) {
  EXPECT_NE(message_of([] { Problem{1, 0, 1, 2, 2}.validate(); }).find("B, T, H, F, Dv = 1, 0, 1, 2, 2"),
            std::string::npos);
  EXPECT_THROW((Problem{1, 1, 1, 0, 2}.validate()), ShapeError);
  EXPECT_NE(message_of([] { Problem{1, 1, 1, 2, 2, FeatureMap::taylor_exp, true, -0.5}.validate(); }).find("eps = -0.5"),
            std::string::npos);
  EXPECT_NE(message_of([] { Problem{1, 1, 1, 2, 2, static_cast<FeatureMap>(7)}.validate(); }).find("feature_map = 7"),
            std::string::npos);
  EXPECT_NO_THROW((Problem{3, 5, 2, 4, 1, FeatureMap::identity, false, 0}.validate()));
}

TEST(LinearAttention, StepRejectsMisShapedTokens) {
  const Problem p{1, 4, 2, 3, 2};
  auto state = initial_state<double>(p);
  Tensor<double> q({1, 2, 3}, 0.5), bad({1, 2, 4}, 0.5), v({1, 2, 2}, 0.5), o({1, 2, 2});
  EXPECT_NO_THROW(reference_step<double>(p, state, q, q, v, o));
  const auto msg = message_of([&] { reference_step<double>(p, state, q, bad, v, o); });
  EXPECT_NE(msg.find("k_t [1, 2, 4]"), std::string::npos) << msg;
}

}  // namespace
}  // namespace menagerie::test
