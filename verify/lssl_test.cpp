// lssl specifics (the generic suite checks the adjoint against Mp finite differences, float and double against Mp,
// causality, batch independence, time invariance, and the convolutional form against the recurrence):
//   - N = 1 by hand: A = −1, Ā = (1 − Δ/2)/(1 + Δ/2), B̄ = Δ b/(1 + Δ/2), y_t = D u_t + c B̄ Σ_j Ā^j u_{t−j};
//   - the recurrence equals the convolution with the powered kernel in Mp (< 1e-40) at T = 1, 7, 64, 1000, and the
//     double recurrence's error against Mp is printed;
//   - the impulse response (u = δ, D = 0) equals S4's generating-function kernel (ops::s4_kernel, bilinear) of the
//     same SSM in its DPLR form: HiPPO-LegS = V (Λ − P̃ P̃*) V* from the eigenvectors V of the normal part S (Eigen,
//     double), B̃ = V* B, C̃ = C V; an independent route (Cauchy sums and Woodbury against a dense solve), in double.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <complex>
#include <cstdio>
#include <vector>

#include "reference/hippo.hpp"
#include "reference/lssl.hpp"
#include "reference/mp.hpp"
#include "reference/s4_kernel.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie {
namespace {

using ops::lssl::Problem;

template <class T>
Tensor<T> forward(const Problem& p, const Named<T>& in, bool conv) {
  Named<T> out;
  out.emplace("y", Tensor<T>({p.B, p.T, p.H}));
  if (conv) {
    ops::lssl::reference_forward_conv<T>(p, in, out);
  } else {
    ops::lssl::reference_forward<T>(p, in, out);
  }
  return out.at("y");
}

TEST(Lssl, OneStateByHand) {
  const Problem p{.B = 2, .T = 9, .H = 2, .N = 1};
  const auto in = test::random_inputs(ops::lssl::tensors(p), 3);
  Tensor<double> want({p.B, p.T, p.H});
  for (std::int64_t h = 0; h < p.H; ++h) {
    const double dt = std::exp(in.at("log_dt")(h)), a = (1 - dt / 2) / (1 + dt / 2), bb = dt * in.at("B")(h, 0) / (1 + dt / 2);
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t t = 0; t < p.T; ++t) {
        double s = 0;
        for (std::int64_t j = 0; j <= t; ++j) s += std::pow(a, static_cast<double>(j)) * in.at("u")(b, t - j, h);
        want(b, t, h) = in.at("D")(h) * in.at("u")(b, t, h) + in.at("C")(h, 0) * bb * s;
      }
  }
  const double e = test::relerr(forward(p, test::convert<Mp>(in), false), test::convert<Mp>(want));
  EXPECT_LT(e, 1e-14);
}

TEST(Lssl, RecurrenceEqualsConvolution) {
  for (const Problem& p : {Problem{.B = 1, .T = 1, .H = 1, .N = 3}, Problem{.B = 2, .T = 7, .H = 3, .N = 4},
                           Problem{.B = 1, .T = 64, .H = 2, .N = 16}, Problem{.B = 1, .T = 1000, .H = 1, .N = 8}}) {
    const auto in = test::random_inputs(ops::lssl::tensors(p), 5);
    const auto in_mp = test::convert<Mp>(in);
    const auto rec = forward(p, in_mp, false);
    const double e = test::relerr(forward(p, in_mp, true), rec);
    const double e_dbl = test::relerr(test::convert<Mp>(forward(p, in, false)), rec);
    std::printf("lssl B=%lld T=%-4lld H=%lld N=%-2lld: Mp convolution vs recurrence %.1e; double recurrence vs Mp %.1e\n",
                static_cast<long long>(p.B), static_cast<long long>(p.T), static_cast<long long>(p.H),
                static_cast<long long>(p.N), e, e_dbl);
    EXPECT_LT(e, 1e-40);
    EXPECT_LT(e_dbl, 1e-12);
  }
}

TEST(Lssl, ImpulseResponseIsTheS4Kernel) {
  const std::int64_t N = 16, M = N / 2, T = 200;
  Problem p{.B = 1, .T = T, .H = 1, .N = N};
  auto in = test::random_inputs(ops::lssl::tensors(p), 9);
  for (double& v : in.at("u").flat()) v = 0;
  in.at("u")(0, 0, 0) = 1;
  in.at("D")(0) = 0;
  const auto y = forward(p, in, false);
  const auto nplr = ref::legs_nplr<double>(N);
  Eigen::MatrixXcd S(N, N);
  for (std::int64_t i = 0; i < N; ++i)
    for (std::int64_t j = 0; j < N; ++j) S(i, j) = nplr.S(i, j);
  Eigen::ComplexEigenSolver<Eigen::MatrixXcd> es(S);
  ops::s4_kernel::Problem q{.D = 1, .N = N, .T = T};
  auto sin = test::random_inputs(ops::s4_kernel::tensors(q), 1);
  sin.at("log_dt")(0) = in.at("log_dt")(0);
  std::int64_t k = 0;
  for (std::int64_t m = 0; m < N; ++m) {
    if (es.eigenvalues()(m).imag() <= 0) continue;
    ASSERT_LT(k, M);
    const Eigen::VectorXcd v = es.eigenvectors().col(m);
    std::complex<double> pt = 0, bt = 0, ct = 0;
    for (std::int64_t i = 0; i < N; ++i) {
      pt += std::conj(v(i)) * nplr.P(i);
      bt += std::conj(v(i)) * in.at("B")(0, i);
      ct += in.at("C")(0, i) * v(i);
    }
    sin.at("Lambda_re")(0, k) = es.eigenvalues()(m).real();
    sin.at("Lambda_im")(0, k) = es.eigenvalues()(m).imag();
    sin.at("P")(0, k, 0) = pt.real(), sin.at("P")(0, k, 1) = pt.imag();
    sin.at("B")(0, k, 0) = bt.real(), sin.at("B")(0, k, 1) = bt.imag();
    sin.at("C")(0, k, 0) = ct.real(), sin.at("C")(0, k, 1) = ct.imag();
    ++k;
  }
  ASSERT_EQ(k, M);
  Named<double> out;
  out.emplace("K", Tensor<double>({1, T}));
  ops::s4_kernel::reference_forward<double>(q, sin, out);
  const double e = test::relerr(test::convert<Mp>(y.reshaped({1, T})), test::convert<Mp>(out.at("K")));
  std::printf("lssl impulse response vs s4_kernel (DPLR LegS, N = %lld, T = %lld, double): %.1e\n",
              static_cast<long long>(N), static_cast<long long>(T), e);
  EXPECT_LT(e, 1e-11);
}

}  // namespace
}  // namespace menagerie
