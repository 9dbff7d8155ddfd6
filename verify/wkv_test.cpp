// What is specific to the wkv operator (the generic suite checks causality, gradients, precision and stable form =
// plain form in Mp):
//   - two tokens computed by hand: y_0 = v_0 whatever k, b; y_1 = the two-term weighted mean;
//   - extreme keys: with k in +-60 (double) both forms match the Mp oracle; with k in +-1000 (double), or +-100 and
//     all-negative keys (float), the plain formula overflows or underflows to non-finite outputs while the stable
//     recurrence stays finite and accurate;
//   - the step state means what the header says: after T tokens p e^o and q e^o are the two direct sums;
//   - validate() and the reference reject bad sizes and shapes, naming the value.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "reference/wkv.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace ops::wkv;

template <class T>
Named<T> run(const Problem& p, const Named<T>& in, bool stable) {
  Named<T> out = allocate<T>(tensors(p), Role::output, std::numeric_limits<T>::quiet_NaN());
  if (stable)
    reference_forward_recurrent<T>(p, in, out);
  else
    reference_forward<T>(p, in, out);
  return out;
}

// Inputs with k drawn from [klo, khi] and time_first from [-5, 5].
Named<double> inputs(const Problem& p, double klo, double khi, std::uint64_t seed) {
  auto specs = tensors(p);
  specs[0].lo = klo;
  specs[0].hi = khi;
  specs[3].lo = -5;
  specs[3].hi = 5;
  return random_inputs(specs, seed);
}

TEST(Wkv, TwoTokensByHand) {
  const Problem p{1, 2, 1};
  const double k0 = 0.7, k1 = -1.3, v0 = 2.0, v1 = -0.5, td = 0.4, b = -0.9;
  Named<double> in;
  in.emplace("k", Tensor<double>({1, 2, 1}, {k0, k1}));
  in.emplace("v", Tensor<double>({1, 2, 1}, {v0, v1}));
  in.emplace("time_decay", Tensor<double>({1}, {td}));
  in.emplace("time_first", Tensor<double>({1}, {b}));
  const double e0 = std::exp(k0), e1 = std::exp(b + k1);  // token 0 is decayed by (t - 1 - s) w = 0 at t = 1
  const double y1 = (e0 * v0 + e1 * v1) / (e0 + e1);
  for (bool stable : {false, true}) {
    const auto y = run(p, in, stable).at("y");
    EXPECT_NEAR(y(0, 0, 0), v0, 1e-15) << "stable=" << stable;
    EXPECT_NEAR(y(0, 1, 0), y1, 1e-15) << "stable=" << stable;
  }
}

TEST(Wkv, ModerateExtremeKeysBothFormsExactInDouble) {
  const Problem p{2, 29, 3};
  const auto in = inputs(p, -60, 60, test_seed());
  const auto oracle = run<Mp>(p, convert<Mp>(in), false).at("y");
  for (bool stable : {false, true}) {
    const auto y = run<double>(p, in, stable).at("y");
    ASSERT_TRUE(all_finite(y)) << "stable=" << stable;
    EXPECT_LE(relerr(y, oracle), 1e3 * std::numeric_limits<double>::epsilon()) << "stable=" << stable;
  }
}

// The plain form gives non-finite outputs; the stable form is finite and within tol of the Mp oracle.
template <class T>
void expect_stable_survives(const Problem& p, const Named<double>& in64, double tol) {
  const auto in = convert<T>(in64);
  const auto oracle = run<Mp>(p, convert<Mp>(in), false).at("y");
  ASSERT_TRUE(all_finite(oracle));
  EXPECT_FALSE(all_finite(run<T>(p, in, false).at("y"))) << "the plain formula should over/underflow here";
  const auto y = run<T>(p, in, true).at("y");
  ASSERT_TRUE(all_finite(y));
  const double e = relerr(y, oracle);
  EXPECT_LE(e, tol);
  std::printf("stable form relerr %.3g (tolerance %.3g)\n", e, tol);
}

TEST(Wkv, StableFormSurvivesWhereThePlainFormulaOverflows) {
  const Problem p{2, 23, 3};
  const std::uint64_t seed = test_seed();
  // Exponents up to |k| carry an absolute rounding of ~|k| eps into every weight: tolerance 10 |k|max eps.
  const double ed = std::numeric_limits<double>::epsilon(), ef = std::numeric_limits<float>::epsilon();
  expect_stable_survives<double>(p, inputs(p, -1000, 1000, seed), 10 * 1000 * ed);
  expect_stable_survives<double>(p, inputs(p, -1000, -900, seed + 1), 10 * 1000 * ed);
  expect_stable_survives<float>(p, inputs(p, -100, 100, seed + 2), 10 * 100 * ef);
  expect_stable_survives<float>(p, inputs(p, -120, -100, seed + 3), 10 * 120 * ef);
}

TEST(Wkv, StateHoldsTheScaledSums) {
  const Problem p{2, 9, 4};
  const auto in = convert<Mp>(inputs(p, -3, 3, test_seed()));
  const auto &k = in.at("k"), &v = in.at("v"), &td = in.at("time_decay");
  auto state = initial_state<Mp>(p);
  Tensor<Mp> k_t({2, 4}), v_t({2, 4}), y_t({2, 4});
  for (std::int64_t t = 0; t < p.T; ++t) {
    for (std::int64_t b = 0; b < 2; ++b)
      for (std::int64_t d = 0; d < 4; ++d) {
        k_t(b, d) = k(b, t, d);
        v_t(b, d) = v(b, t, d);
      }
    reference_step(p, td, in.at("time_first"), k_t, v_t, state, y_t);
  }
  // After T tokens: p e^o = sum_s e^{-(T-1-s) w + k_s} v_s and q e^o = sum_s e^{-(T-1-s) w + k_s}.
  for (std::int64_t b = 0; b < 2; ++b)
    for (std::int64_t d = 0; d < 4; ++d) {
      Mp num = 0, den = 0;
      for (std::int64_t s = 0; s < p.T; ++s) {
        const Mp e = exp(-Mp(p.T - 1 - s) * exp(td(d)) + k(b, s, d));
        num += e * v(b, s, d);
        den += e;
      }
      EXPECT_LE(static_cast<double>(abs(state.p(b, d) * exp(state.o(b, d)) / num - 1)), 1e-45);
      EXPECT_LE(static_cast<double>(abs(state.q(b, d) * exp(state.o(b, d)) / den - 1)), 1e-45);
    }
}

TEST(Wkv, ValidateNamesTheBadValue) {
  for (const Problem& p : {Problem{0, 4, 3}, Problem{1, 0, 3}, Problem{1, 4, -2}}) {
    try {
      p.validate();
      ADD_FAILURE() << "validate accepted B, T, D = " << p.B << ", " << p.T << ", " << p.D;
    } catch (const ShapeError& e) {
      EXPECT_NE(std::string(e.what()).find(cat(p.B, ", ", p.T, ", ", p.D)), std::string::npos) << e.what();
    }
  }
}

TEST(Wkv, ReferenceRejectsMisshapedTensors) {
  const Problem p{1, 4, 3};
  auto in = inputs(p, -1, 1, test_seed());
  in.insert_or_assign("time_decay", Tensor<double>({4}, 0.1));
  auto out = allocate<double>(tensors(p), Role::output);
  try {
    reference_forward<double>(p, in, out);
    ADD_FAILURE() << "a time_decay of shape [4] was accepted for D = 3";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("time_decay"), std::string::npos) << e.what();
  }
  in.erase("v");
  EXPECT_THROW(reference_forward_recurrent<double>(p, in, out), ShapeError);
}

}  // namespace
}  // namespace menagerie::test
