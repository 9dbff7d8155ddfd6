// s4d_kernel specifics: validate() rejects an odd state size; a closed form for one real mode
// (K[ℓ] = 2 Δ/(1 + Δ/2) ((1 − Δ/2)/(1 + Δ/2))^ℓ for A = −1, B = C = 1); and the kernel equals the impulse response of
// the discretized SSM run step by step as Zoology's SSKernelDiag.step does (x <- Ā x + B̄ u, y = 2 Re C·x with
// B̄ = B Δ/(1 − ΔA/2)), written independently here with std::complex<double>.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>

#include "reference/s4d_kernel.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace menagerie::ops::s4d_kernel;

TEST(S4dKernel, ValidateRejectsOddStateSize) {
  try {
    Problem{2, 5, 8}.validate();
    FAIL() << "N = 5 accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("N = 5"), std::string::npos) << e.what();
  }
  EXPECT_THROW((Problem{0, 4, 8}.validate()), ShapeError);
}

TEST(S4dKernel, OneRealModeClosedForm) {
  const Problem p{1, 2, 9};
  const double dt = 0.1;
  Named<double> in;
  in.emplace("log_dt", Tensor<double>({1}, std::vector<double>{std::log(dt)}));
  in.emplace("inv_A_real", Tensor<double>({1, 1}, 0.0));
  in.emplace("A_imag", Tensor<double>({1, 1}, 0.0));
  in.emplace("B", Tensor<double>({1, 1, 2}, std::vector<double>{1, 0}));
  in.emplace("C", Tensor<double>({1, 1, 2}, std::vector<double>{1, 0}));
  auto out = allocate<double>(tensors(p), Role::output);
  reference_forward(p, in, out);
  for (std::int64_t l = 0; l < p.T; ++l) {
    const double want = 2 * dt / (1 + dt / 2) * std::pow((1 - dt / 2) / (1 + dt / 2), static_cast<double>(l));
    EXPECT_NEAR(out.at("K")(0, l), want, 1e-15) << l;
  }
}

TEST(S4dKernel, EqualsImpulseResponseOfTheStepForm) {
  using cd = std::complex<double>;
  for (const Problem& p : {Problem{3, 4, 7}, Problem{2, 8, 40}}) {
    const auto in = random_inputs(tensors(p), test_seed());
    auto out = allocate<double>(tensors(p), Role::output);
    reference_forward(p, in, out);
    Tensor<double> want({p.H, p.T}, 0.0);
    for (std::int64_t h = 0; h < p.H; ++h) {
      const double dt = std::exp(in.at("log_dt")(h));
      std::vector<cd> x(static_cast<std::size_t>(p.modes()));
      for (std::int64_t l = 0; l < p.T; ++l) {
        double y = 0;
        for (std::int64_t n = 0; n < p.modes(); ++n) {
          const cd A(-std::exp(in.at("inv_A_real")(h, n)), in.at("A_imag")(h, n));
          const cd B(in.at("B")(h, n, 0), in.at("B")(h, n, 1)), C(in.at("C")(h, n, 0), in.at("C")(h, n, 1));
          const cd dA = (1.0 + dt * A / 2.0) / (1.0 - dt * A / 2.0), dB = B * dt / (1.0 - dt * A / 2.0);
          auto& s = x[static_cast<std::size_t>(n)];
          s = dA * s + dB * (l == 0 ? 1.0 : 0.0);
          y += 2 * (C * s).real();
        }
        want(h, l) = y;
      }
    }
    EXPECT_LT(relerr(out.at("K"), convert<Mp>(want)), 1e-13) << "H=" << p.H << " N=" << p.N << " T=" << p.T;
  }
}

// S4D's inits against the paper's formulas (§4.2) evaluated independently: S4D-Lin Im A_n = π n (A_5 = 5π = 15.70796...);
// S4D-Inv Im A_n = (N/π)(N/(2n+1) − 1) (values from Python's math module): N = 64, n = 0: 64·63/π = 1283.425461093044; n = 1: (64/π)(64/3 − 1) =
// 414.2272652205062; n = 31: (64/π)(1/63) = 0.3233624240597227; N = 16, n = 7: (16/π)(16/15 − 1) = 0.33953054526271;
// Re A = −exp(ln 1/2) = −1/2.
TEST(S4dKernel, S4dInitsAreThePapers) {
  EXPECT_DOUBLE_EQ(-std::exp(init_inv_A_real()), -0.5);
  EXPECT_DOUBLE_EQ(init_A_imag(Init::lin, 64, 0), 0.0);
  EXPECT_DOUBLE_EQ(init_A_imag(Init::lin, 64, 5), 15.707963267948966);
  EXPECT_DOUBLE_EQ(init_A_imag(Init::inv, 64, 0), 1283.425461093044);
  EXPECT_DOUBLE_EQ(init_A_imag(Init::inv, 64, 1), 414.2272652205062);
  EXPECT_DOUBLE_EQ(init_A_imag(Init::inv, 64, 31), 0.3233624240597227);
  EXPECT_DOUBLE_EQ(init_A_imag(Init::inv, 16, 7), 0.33953054526271);
  EXPECT_THROW(init_A_imag(Init::inv, 16, 8), ShapeError);
  EXPECT_THROW(init_A_imag(Init::lin, 7, 0), ShapeError);
}

}  // namespace
}  // namespace menagerie::test
