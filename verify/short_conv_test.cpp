// short_conv specifics: validate() names bad sizes; a hand-computed Conv1d case (cross-correlation orientation,
// padding K−1, first T outputs); shifting the input in time shifts the output (the bias fills the new start);
// the step form's state holds the last K−1 inputs after a run.
#include <gtest/gtest.h>

#include "reference/short_conv.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace menagerie::ops::short_conv;

TEST(ShortConv, ValidateNamesBadSizes) {
  try {
    Problem{1, 4, 2, 0}.validate();
    FAIL() << "K = 0 accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("K = 0"), std::string::npos) << e.what();
  }
  EXPECT_THROW((Problem{1, 0, 2, 3}.validate()), ShapeError);
  EXPECT_THROW((Problem{1, 3, -1, 3}.validate()), ShapeError);
}

TEST(ShortConv, HandComputedConv1d) {
  // One channel, weight [a, b, c] = [1, 10, 100], bias 0.5: y[t] = 0.5 + u[t−2] + 10 u[t−1] + 100 u[t].
  const Problem p{1, 4, 1, 3};
  Named<double> in;
  in.emplace("u", Tensor<double>({1, 4, 1}, std::vector<double>{1, 2, 3, 4}));
  in.emplace("weight", Tensor<double>({1, 1, 3}, std::vector<double>{1, 10, 100}));
  in.emplace("bias", Tensor<double>({1}, std::vector<double>{0.5}));
  auto out = allocate<double>(tensors(p), Role::output);
  reference_forward(p, in, out);
  const std::vector<double> want = {100.5, 210.5, 321.5, 432.5};
  for (std::int64_t t = 0; t < 4; ++t) EXPECT_EQ(out.at("y")(0, t, 0), want[static_cast<std::size_t>(t)]) << t;
}

TEST(ShortConv, ShiftingTheInputShiftsTheOutput) {
  const Problem p{2, 13, 5, 4};
  const std::int64_t shift = 3;
  const auto in = random_inputs(tensors(p), test_seed());
  auto shifted = in;
  auto& u2 = shifted.at("u");
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t c = 0; c < p.D; ++c) u2(b, t, c) = t >= shift ? in.at("u")(b, t - shift, c) : 0.0;
  auto y = allocate<double>(tensors(p), Role::output), y2 = y;
  reference_forward(p, in, y);
  reference_forward(p, shifted, y2);
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t c = 0; c < p.D; ++c) {
        const double want = t >= shift ? y.at("y")(b, t - shift, c) : in.at("bias")(c);
        EXPECT_EQ(y2.at("y")(b, t, c), want) << "b=" << b << " t=" << t << " c=" << c;
      }
}

TEST(ShortConv, StepStateHoldsTheLastInputs) {
  const Problem p{2, 7, 3, 4};
  const auto in = random_inputs(tensors(p), test_seed());
  Tensor<double> state({p.B, p.D, p.K - 1}, 0.0), u_t({p.B, p.D}), y_t({p.B, p.D});
  for (std::int64_t t = 0; t < p.T; ++t) {
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t c = 0; c < p.D; ++c) u_t(b, c) = in.at("u")(b, t, c);
    reference_step(p, in, state, u_t, y_t);
  }
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t c = 0; c < p.D; ++c)
      for (std::int64_t j = 0; j < p.K - 1; ++j)
        EXPECT_EQ(state(b, c, j), in.at("u")(b, p.T - p.K + 1 + j, c)) << "b=" << b << " c=" << c << " j=" << j;
  Tensor<double> bad({p.B, p.D, p.K}, 0.0);
  EXPECT_THROW(reference_step(p, in, bad, u_t, y_t), ShapeError);
}

}  // namespace
}  // namespace menagerie::test
