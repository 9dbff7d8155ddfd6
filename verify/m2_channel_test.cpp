// What is specific to the m2_channel operator (core/ops/m2_channel.hpp):
//   - equality with the dense form in Mp: each Monarch matrix materialised here as a d x d matrix from its entry
//     formula M[i b2 + j, i' b2 + j'] = L_j[i, i'] R_{i'}[j, j'] (not through monarch_apply's permutations), and
//     y = M_out (GELU(M_gate x) ⊙ (M_value x)) + b evaluated densely with GELU(z) = z (1 + erf(z/√2))/2 (erf by its
//     Maclaurin series here, π = 4 atan 1), against
//     the reference forward in Mp over the full test grid: relerr < 1e-45;
//   - with L = identity blocks the gate is M2-BERT's BlockdiagLinear (R applied block by block), checked in double;
//   - param_count 3 d (b1 + b2) + d = the parameter shapes' sum; validate names b1 b2 != d.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "reference/m2_channel.hpp"
#include "reference/mp.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace ops::m2_channel;

// The dense d x d matrix of "<name>" from its R and L blocks by the entry formula.
Tensor<Mp> dense(const Problem& p, const Named<Mp>& in, const std::string& name) {
  const auto& R = in.at(name + ".R");
  const auto& L = in.at(name + ".L");
  Tensor<Mp> M({p.d, p.d}, Mp(0));
  for (std::int64_t i = 0; i < p.b1; ++i)
    for (std::int64_t j = 0; j < p.b2; ++j)
      for (std::int64_t i2 = 0; i2 < p.b1; ++i2)
        for (std::int64_t j2 = 0; j2 < p.b2; ++j2) M(i * p.b2 + j, i2 * p.b2 + j2) = L(j, i, i2) * R(i2, j, j2);
  return M;
}

// erf(z) = 2/√π Σ_{n>=0} (-1)^n z^{2n+1} / (n! (2n + 1)), summed until the terms fall below 1e-70.
Mp erf_series(const Mp& z) {
  Mp term = z, sum = z;
  for (int n = 1; n < 1000 && abs(term) > Mp("1e-70"); ++n) {
    term *= -z * z / n;
    sum += term / (2 * n + 1);
  }
  return 2 / sqrt(4 * atan(Mp(1))) * sum;
}

std::vector<Mp> matvec(const Tensor<Mp>& M, const std::vector<Mp>& x) {
  std::vector<Mp> y(x.size(), Mp(0));
  for (std::size_t r = 0; r < x.size(); ++r)
    for (std::size_t c = 0; c < x.size(); ++c)
      y[r] += M(static_cast<std::int64_t>(r), static_cast<std::int64_t>(c)) * x[c];
  return y;
}

TEST(M2Channel, EqualsTheDenseFormInMp) {
  double worst = 0;
  for (const auto& p : Contract::test_grid(true)) {
    const auto in = convert<Mp>(random_inputs(tensors(p), test_seed()));
    Named<Mp> out{{"y", Tensor<Mp>({p.B, p.T, p.d})}};
    reference_forward<Mp>(p, in, out);
    const Tensor<Mp> G = dense(p, in, "gate"), V = dense(p, in, "value"), O = dense(p, in, "out");
    Tensor<Mp> want({p.B, p.T, p.d});
    for (std::int64_t row = 0; row < p.B * p.T; ++row) {
      const std::vector<Mp> x(in.at("x").data() + row * p.d, in.at("x").data() + (row + 1) * p.d);
      const auto g = matvec(G, x), v = matvec(V, x);
      std::vector<Mp> h(x.size());
      for (std::size_t e = 0; e < x.size(); ++e)
        h[e] = g[e] * (1 + erf_series(g[e] / sqrt(Mp(2)))) / 2 * v[e];
      const auto o = matvec(O, h);
      for (std::int64_t e = 0; e < p.d; ++e) want.data()[row * p.d + e] = o[static_cast<std::size_t>(e)] + in.at("out.bias")(e);
    }
    const double err = relerr(out.at("y"), want);
    worst = std::max(worst, err);
    EXPECT_LT(err, 1e-45) << "d = " << p.d << " (" << p.b1 << " x " << p.b2 << "); " << replay_line();
  }
  std::printf("m2_channel vs its dense form in Mp: worst relerr %.2e\n", worst);
}

TEST(M2Channel, IdentityLBlocksGiveBlockDiagonalGate) {
  const Problem p{.B = 1, .T = 3, .d = 6, .b1 = 2, .b2 = 3};
  auto in = convert<double>(random_inputs(tensors(p), test_seed()));
  for (const char* m : {"gate", "value", "out"}) {
    auto& L = in.at(std::string(m) + ".L");
    for (std::int64_t j = 0; j < p.b2; ++j)
      for (std::int64_t a = 0; a < p.b1; ++a)
        for (std::int64_t c = 0; c < p.b1; ++c) L(j, a, c) = a == c ? 1.0 : 0.0;
  }
  // BlockdiagLinear: out[k b2 + a] = sum_c W[k, a, c] x[k b2 + c].
  const auto blockdiag = [&](const std::string& m, const std::vector<double>& x) {
    std::vector<double> y(x.size(), 0.0);
    for (std::int64_t k = 0; k < p.b1; ++k)
      for (std::int64_t a = 0; a < p.b2; ++a)
        for (std::int64_t c = 0; c < p.b2; ++c) y[static_cast<std::size_t>(k * p.b2 + a)] += in.at(m + ".R")(k, a, c) * x[static_cast<std::size_t>(k * p.b2 + c)];
    return y;
  };
  Named<double> out{{"y", Tensor<double>({p.B, p.T, p.d})}};
  reference_forward<double>(p, in, out);
  for (std::int64_t t = 0; t < p.T; ++t) {
    const std::vector<double> x(in.at("x").data() + t * p.d, in.at("x").data() + (t + 1) * p.d);
    const auto g = blockdiag("gate", x), v = blockdiag("value", x);
    std::vector<double> h(x.size());
    for (std::size_t e = 0; e < x.size(); ++e) h[e] = g[e] * 0.5 * (1 + std::erf(g[e] / std::sqrt(2.0))) * v[e];
    const auto o = blockdiag("out", h);
    for (std::int64_t e = 0; e < p.d; ++e)
      EXPECT_NEAR(out.at("y")(0, t, e), o[static_cast<std::size_t>(e)] + in.at("out.bias")(e), 1e-14);
  }
}

TEST(M2Channel, ParamsAndValidation) {
  for (const auto& p : Contract::test_grid(true)) {
    std::int64_t n = 0;
    for (const auto& s : tensors(p))
      if (s.role == Role::param) n += numel(s.shape);
    EXPECT_EQ(param_count(p), n);
    EXPECT_EQ(param_count(p), 3 * p.d * (p.b1 + p.b2) + p.d);
  }
  try {
    Problem{.B = 1, .T = 1, .d = 6, .b1 = 2, .b2 = 2}.validate();
    ADD_FAILURE() << "b1 b2 != d accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("b1 b2 = 2 x 2 = 4 must equal d = 6"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace menagerie::test
