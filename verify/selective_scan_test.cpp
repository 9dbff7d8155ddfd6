// What is specific to the selective_scan operator (the generic suite checks causality, gradients, precision and
// scan = unrolled sum in Mp):
//   - one token by hand: y_0 = sum_n C_n delta B_n x + D x;
//   - time-invariant special case: with delta, B, C constant in t the scan is the causal convolution of x with
//     K_j = sum_n C_n e^{j delta A_n} delta B_n (plus D x), evaluated independently here;
//   - validate() and the reference reject bad sizes and shapes, naming the value.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "reference/selective_scan.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace ops::selective_scan;

template <class T>
Tensor<T> run(const Problem& p, const Named<T>& in, bool recurrent) {
  Named<T> out = allocate<T>(tensors(p), Role::output, std::numeric_limits<T>::quiet_NaN());
  if (recurrent)
    reference_forward_recurrent<T>(p, in, out);
  else
    reference_forward<T>(p, in, out);
  return out.at("y");
}

TEST(SelectiveScan, OneTokenByHand) {
  const Problem p{1, 1, 2, 3};
  const auto in = random_inputs(tensors(p), test_seed());
  const auto &x = in.at("x"), &dt = in.at("delta"), &B = in.at("B"), &C = in.at("C"), &D = in.at("D");
  for (bool recurrent : {false, true}) {
    const auto y = run(p, in, recurrent);
    for (std::int64_t d = 0; d < p.D; ++d) {
      double want = D(d) * x(0, 0, d);
      for (std::int64_t n = 0; n < p.N; ++n) want += C(0, 0, n) * dt(0, 0, d) * B(0, 0, n) * x(0, 0, d);
      EXPECT_NEAR(y(0, 0, d), want, 1e-15) << "recurrent=" << recurrent << " d=" << d;
    }
  }
}

TEST(SelectiveScan, TimeInvariantCaseIsACausalConvolution) {
  const Problem p{2, 19, 3, 4};
  auto in = random_inputs(tensors(p), test_seed());
  auto &dt = in.at("delta"), &B = in.at("B"), &C = in.at("C");
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 1; t < p.T; ++t) {
      for (std::int64_t d = 0; d < p.D; ++d) dt(b, t, d) = dt(b, 0, d);
      for (std::int64_t n = 0; n < p.N; ++n) {
        B(b, t, n) = B(b, 0, n);
        C(b, t, n) = C(b, 0, n);
      }
    }
  const auto &x = in.at("x"), &A = in.at("A"), &D = in.at("D");
  Tensor<Mp> want({p.B, p.T, p.D});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t d = 0; d < p.D; ++d)
      for (std::int64_t t = 0; t < p.T; ++t) {
        Mp acc = Mp(D(d)) * x(b, t, d);
        for (std::int64_t j = 0; j <= t; ++j) {
          Mp K = 0;
          for (std::int64_t n = 0; n < p.N; ++n)
            K += Mp(C(b, 0, n)) * exp(Mp(j) * dt(b, 0, d) * A(d, n)) * dt(b, 0, d) * B(b, 0, n);
          acc += K * x(b, t - j, d);
        }
        want(b, t, d) = acc;
      }
  for (bool recurrent : {false, true})
    EXPECT_LE(relerr(run(p, in, recurrent), want), 1e3 * std::numeric_limits<double>::epsilon())
        << "recurrent=" << recurrent;
}

TEST(SelectiveScan, ValidateNamesTheBadValue) {
  for (const Problem& p : {Problem{0, 4, 3, 2}, Problem{1, 0, 3, 2}, Problem{1, 4, 0, 2}, Problem{1, 4, 3, -1}}) {
    try {
      p.validate();
      ADD_FAILURE() << "validate accepted B, T, D, N = " << p.B << ", " << p.T << ", " << p.D << ", " << p.N;
    } catch (const ShapeError& e) {
      EXPECT_NE(std::string(e.what()).find(cat(p.B, ", ", p.T, ", ", p.D, ", ", p.N)), std::string::npos)
          << e.what();
    }
  }
}

TEST(SelectiveScan, ReferenceRejectsMisshapedTensors) {
  const Problem p{1, 4, 3, 2};
  auto in = random_inputs(tensors(p), test_seed());
  in.insert_or_assign("A", Tensor<double>({2, 3}, -0.5));  // transposed
  auto out = allocate<double>(tensors(p), Role::output);
  try {
    reference_forward<double>(p, in, out);
    ADD_FAILURE() << "an A of shape [2, 3] was accepted for D, N = 3, 2";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("'A'"), std::string::npos) << e.what();
  }
  Named<double> grads;
  EXPECT_THROW(reference_backward<double>(p, in, out, grads), ShapeError);
}

}  // namespace
}  // namespace menagerie::test
