// What is specific to the layer_norm operator:
//   - a hand-computed row: x = [1, 2, 3], weight = [1, 2, 3], bias = [0.5, 0, -0.5] against torch's formula;
//   - with weight 1 and bias 0 each row has mean 0 and variance var/(var + eps) (checked in Mp);
//   - y is invariant under x -> x + c (per row), so each row of dL/dx sums to 0 (checked in Mp);
//   - validate() names the bad value.
#include <gtest/gtest.h>

#include <cmath>

#include "reference/layer_norm.hpp"
#include "reference/mp.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace ops::layer_norm;

TEST(LayerNorm, HandComputedRow) {
  const Problem p{1, 1, 3, 1e-5};
  Named<double> in{{"x", Tensor<double>({1, 1, 3}, {1.0, 2.0, 3.0})},
                   {"weight", Tensor<double>({3}, {1.0, 2.0, 3.0})},
                   {"bias", Tensor<double>({3}, {0.5, 0.0, -0.5})}};
  Named<double> out = allocate<double>(tensors(p), Role::output);
  reference_forward<double>(p, in, out);
  const double rs = 1.0 / std::sqrt(2.0 / 3.0 + 1e-5);  // var of [1,2,3] = 2/3
  EXPECT_NEAR(out.at("y")(0, 0, 0), -rs * 1 + 0.5, 1e-15);
  EXPECT_NEAR(out.at("y")(0, 0, 1), 0.0, 1e-15);
  EXPECT_NEAR(out.at("y")(0, 0, 2), rs * 3 - 0.5, 1e-15);
}

TEST(LayerNorm, UnitAffineRowsAreStandardised) {
  const Problem p{2, 5, 7, 1e-5};
  auto in = convert<Mp>(random_inputs(tensors(p), test_seed()));
  in.at("weight") = Tensor<Mp>({7}, Mp(1));
  in.at("bias") = Tensor<Mp>({7}, Mp(0));
  auto out = allocate<Mp>(tensors(p), Role::output);
  reference_forward<Mp>(p, in, out);
  for (std::int64_t b = 0; b < 2; ++b)
    for (std::int64_t t = 0; t < 5; ++t) {
      Mp mean = 0, sq = 0, xm = 0, xv = 0;
      for (std::int64_t d = 0; d < 7; ++d) xm += in.at("x")(b, t, d) / 7;
      for (std::int64_t d = 0; d < 7; ++d) {
        mean += out.at("y")(b, t, d) / 7;
        sq += out.at("y")(b, t, d) * out.at("y")(b, t, d) / 7;
        xv += (in.at("x")(b, t, d) - xm) * (in.at("x")(b, t, d) - xm) / 7;
      }
      EXPECT_LT(static_cast<double>(abs(mean)), 1e-45);
      EXPECT_LT(static_cast<double>(abs(sq - xv / (xv + Mp(1e-5)))), 1e-45);
    }
}

TEST(LayerNorm, InputGradientRowsSumToZero) {
  const Problem p{1, 3, 6, 1e-5};
  auto in = convert<Mp>(random_inputs(tensors(p), test_seed()));
  Named<Mp> dy{{"y", convert<Mp>(random_inputs({{"y", {1, 3, 6}, "B,T,D"}}, test_seed() + 1).at("y"))}};
  Named<Mp> grads;
  reference_backward<Mp>(p, in, dy, grads);
  for (std::int64_t t = 0; t < 3; ++t) {
    Mp s1 = 0, l1 = 0;
    for (std::int64_t d = 0; d < 6; ++d) {
      s1 += grads.at("x")(0, t, d);
      l1 += abs(grads.at("x")(0, t, d));
    }
    EXPECT_GT(static_cast<double>(l1), 1e-3);
    EXPECT_LT(static_cast<double>(abs(s1)), 1e-45);
  }
}

TEST(LayerNorm, ValidateNamesTheBadValue) {
  try {
    Problem{1, 1, 0, 1e-5}.validate();
    FAIL() << "D = 0 accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("1, 1, 0"), std::string::npos) << e.what();
  }
  try {
    Problem{1, 1, 4, -1.0}.validate();
    FAIL() << "eps = -1 accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("eps = -1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace menagerie::test
