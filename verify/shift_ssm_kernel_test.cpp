// shift_ssm_kernel specifics: with B = e_0 (Zoology's init) the filter is C, truncated or zero-padded to L; the
// filter equals the impulse response of the shift SSM run step by step as Zoology's SSKernelShift.step does
// (s <- shift(s) + B u, y = C·s), in Mp to 1e-40; validate() names bad sizes.
#include <gtest/gtest.h>

#include "reference/shift_ssm_kernel.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace menagerie::ops::shift_ssm_kernel;

TEST(ShiftSsmKernel, UnitBGivesC) {
  for (const Problem& p : {Problem{3, 5, 9}, Problem{2, 8, 3}}) {
    auto in = random_inputs(tensors(p), test_seed());
    auto& B = in.at("B");
    for (std::int64_t c = 0; c < p.D; ++c)
      for (std::int64_t n = 0; n < p.N; ++n) B(c, n) = n == 0 ? 1.0 : 0.0;
    auto out = allocate<double>(tensors(p), Role::output);
    reference_forward(p, in, out);
    for (std::int64_t c = 0; c < p.D; ++c)
      for (std::int64_t l = 0; l < p.T; ++l)
        EXPECT_EQ(out.at("filter")(c, l), l < p.N ? in.at("C")(c, l) : 0.0) << "c=" << c << " l=" << l;
  }
}

TEST(ShiftSsmKernel, EqualsImpulseResponseOfTheStepForm) {
  for (const Problem& p : {Problem{3, 4, 7}, Problem{2, 9, 5}, Problem{1, 6, 6}}) {
    const auto in = convert<Mp>(random_inputs(tensors(p), test_seed()));
    auto out = allocate<Mp>(tensors(p), Role::output);
    reference_forward(p, in, out);
    Tensor<Mp> want({p.D, p.T});
    for (std::int64_t c = 0; c < p.D; ++c) {
      std::vector<Mp> s(static_cast<std::size_t>(p.N), Mp(0));
      for (std::int64_t l = 0; l < p.T; ++l) {
        for (std::int64_t n = p.N - 1; n > 0; --n) s[static_cast<std::size_t>(n)] = s[static_cast<std::size_t>(n - 1)];
        s[0] = 0;
        if (l == 0)
          for (std::int64_t n = 0; n < p.N; ++n) s[static_cast<std::size_t>(n)] += in.at("B")(c, n);
        Mp y = 0;
        for (std::int64_t n = 0; n < p.N; ++n) y += in.at("C")(c, n) * s[static_cast<std::size_t>(n)];
        want(c, l) = y;
      }
    }
    EXPECT_LT(relerr(out.at("filter"), want), 1e-40) << "D=" << p.D << " N=" << p.N << " T=" << p.T;
  }
}

TEST(ShiftSsmKernel, ValidateNamesBadSizes) {
  try {
    Problem{2, 0, 4}.validate();
    FAIL() << "N = 0 accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("0"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace menagerie::test
