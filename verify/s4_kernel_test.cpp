// s4_kernel specifics (the generic suite checks the adjoint against Mp finite differences, float and double against
// Mp, and the powering form against the generating-function form on the contract's grid):
//   - the generating-function route (roots of unity, Woodbury, Cauchy sums, inverse DFT) equals powering the densely
//     discretised matrix, bilinear and ZOH, in Mp (< 1e-40), at T = 1 (z = 1 only), 2 (z = −1), 7, 64, 97, 1000;
//     the double errors of both forms against Mp printed;
//   - P = 0, bilinear: the kernel is S4D's, ops::s4d_kernel (a peer written for H3) with inv_A_real = ln(−Re Λ), in Mp;
//   - P = 0, ZOH: the diagonal closed form K[t] = 2 Re Σ_n C_n e^{tΔλ_n} (e^{Δλ_n} − 1)/λ_n B_n (std::complex<double>);
//   - P ≠ 0, ZOH: Ā = exp(ΔA) by Eigen's MatrixFunctions (Padé, independent of reference/cmatrix.hpp's Taylor),
//     B̄ = A^{-1}(Ā − I) b, K[t] = Re c Ā^t B̄, in double;
//   - S4D's observation (Gu et al. 2022b, "On the Parameterization and Initialization of Diagonal State Space
//     Models"): the diagonal part of the DPLR HiPPO-LegS (S4D-LegS: Λ, B̃, C̃ without the low-rank term; with B̃ and
//     with B̃/2) gives a kernel close to the full S4-LegS kernel; the relative differences are printed (N = 16, 64,
//     256, T = 1024, Δ = 1e-3, 1e-2, 1e-1; C uniform, e_0, e_3 in the HiPPO basis), not bounded.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <unsupported/Eigen/MatrixFunctions>
#include <cmath>
#include <complex>
#include <cstdio>
#include <utility>
#include <vector>

#include "reference/hippo.hpp"
#include "reference/mp.hpp"
#include "reference/s4_kernel.hpp"
#include "reference/s4d_kernel.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie {
namespace {

using ops::s4_kernel::Disc;
using ops::s4_kernel::Problem;
using cd = std::complex<double>;

template <class T>
Tensor<T> kernel(const Problem& p, const Named<T>& in, bool powering) {
  Named<T> out;
  out.emplace("K", Tensor<T>({p.D, p.T}));
  if (powering) {
    ops::s4_kernel::reference_forward_powering<T>(p, in, out);
  } else {
    ops::s4_kernel::reference_forward<T>(p, in, out);
  }
  return out.at("K");
}

Named<double> inputs(const Problem& p, std::uint64_t seed, bool diagonal = false) {
  auto in = test::random_inputs(ops::s4_kernel::tensors(p), seed);
  if (diagonal)
    for (double& v : in.at("P").flat()) v = 0;
  return in;
}

const char* name(Disc d) { return d == Disc::bilinear ? "bilinear" : "zoh"; }

TEST(S4Kernel, GeneratingFunctionEqualsPowering) {
  const std::vector<Problem> sizes = {{.D = 1, .N = 2, .T = 1},  {.D = 2, .N = 4, .T = 2},   {.D = 2, .N = 6, .T = 7},
                                      {.D = 1, .N = 8, .T = 64}, {.D = 1, .N = 16, .T = 97}, {.D = 1, .N = 4, .T = 1000}};
  for (Disc d : {Disc::bilinear, Disc::zoh})
    for (Problem p : sizes) {
      p.disc = d;
      const auto in = inputs(p, 7);
      const auto in_mp = test::convert<Mp>(in);
      const auto gen = kernel(p, in_mp, false), pow = kernel(p, in_mp, true);
      const double e_mp = test::relerr(gen, pow);
      const double e_gen = test::relerr(test::convert<Mp>(kernel(p, in, false)), pow);
      const double e_pow = test::relerr(test::convert<Mp>(kernel(p, in, true)), pow);
      std::printf("%-8s N=%-3lld T=%-5lld  Mp generating vs powering %.1e;  double vs Mp: generating %.1e, powering %.1e\n",
                  name(d), static_cast<long long>(p.N), static_cast<long long>(p.T), e_mp, e_gen, e_pow);
      EXPECT_LT(e_mp, 1e-40) << name(d) << " N=" << p.N << " T=" << p.T;
      EXPECT_LT(e_gen, 1e-11) << name(d) << " N=" << p.N << " T=" << p.T;
    }
}

TEST(S4Kernel, DiagonalBilinearIsS4dKernel) {
  for (const Problem& p : {Problem{.D = 2, .N = 4, .T = 9}, Problem{.D = 1, .N = 10, .T = 64}}) {
    const auto in = test::convert<Mp>(inputs(p, 11, true));
    Tensor<Mp> inv_a({p.D, p.modes()});
    for (std::int64_t i = 0; i < inv_a.numel(); ++i) inv_a.data()[i] = log(-in.at("Lambda_re").data()[i]);
    const auto want = ops::s4d_kernel::kernel(in.at("log_dt"), inv_a, in.at("Lambda_im"), in.at("B"), in.at("C"), p.T);
    const double e = test::relerr(kernel(p, in, false), want);
    std::printf("P = 0, bilinear, N=%lld T=%lld: vs s4d_kernel %.1e (Mp)\n", static_cast<long long>(p.N),
                static_cast<long long>(p.T), e);
    EXPECT_LT(e, 1e-40);
  }
}

TEST(S4Kernel, DiagonalZohClosedForm) {
  Problem p{.D = 2, .N = 6, .T = 50, .disc = Disc::zoh};
  const auto in = inputs(p, 13, true);
  Tensor<double> want({p.D, p.T}, 0.0);
  for (std::int64_t ch = 0; ch < p.D; ++ch) {
    const double dt = std::exp(in.at("log_dt")(ch));
    for (std::int64_t n = 0; n < p.modes(); ++n) {
      const cd lam(in.at("Lambda_re")(ch, n), in.at("Lambda_im")(ch, n));
      const cd b(in.at("B")(ch, n, 0), in.at("B")(ch, n, 1)), c(in.at("C")(ch, n, 0), in.at("C")(ch, n, 1));
      for (std::int64_t t = 0; t < p.T; ++t)
        want(ch, t) += 2 * (c * std::exp(static_cast<double>(t) * dt * lam) * (std::exp(dt * lam) - 1.0) / lam * b).real();
    }
  }
  const double e = test::relerr(kernel(p, test::convert<Mp>(in), false), test::convert<Mp>(want));
  std::printf("P = 0, zoh: vs the diagonal closed form %.1e\n", e);
  EXPECT_LT(e, 1e-14);
}

// The full state of one channel (stored modes, then their conjugates) as Eigen objects.
struct Full {
  Eigen::MatrixXcd A;
  Eigen::VectorXcd b, c;
  double dt;
};
Full full(const Problem& p, const Named<double>& in, std::int64_t ch) {
  const std::int64_t M = p.modes(), N = p.N;
  Full f{Eigen::MatrixXcd::Zero(N, N), Eigen::VectorXcd(N), Eigen::VectorXcd(N), std::exp(in.at("log_dt")(ch))};
  Eigen::VectorXcd pv(N), lam(N);
  for (std::int64_t i = 0; i < M; ++i) {
    lam(i) = cd(in.at("Lambda_re")(ch, i), in.at("Lambda_im")(ch, i));
    pv(i) = cd(in.at("P")(ch, i, 0), in.at("P")(ch, i, 1));
    f.b(i) = cd(in.at("B")(ch, i, 0), in.at("B")(ch, i, 1));
    f.c(i) = cd(in.at("C")(ch, i, 0), in.at("C")(ch, i, 1));
    lam(i + M) = std::conj(lam(i));
    pv(i + M) = std::conj(pv(i));
    f.b(i + M) = std::conj(f.b(i));
    f.c(i + M) = std::conj(f.c(i));
  }
  f.A = lam.asDiagonal();
  f.A -= pv * pv.adjoint();
  return f;
}

TEST(S4Kernel, ZohMatchesEigenMatrixExponential) {
  Problem p{.D = 2, .N = 8, .T = 40, .disc = Disc::zoh};
  const auto in = inputs(p, 17);
  Tensor<double> want({p.D, p.T});
  for (std::int64_t ch = 0; ch < p.D; ++ch) {
    const Full f = full(p, in, ch);
    const Eigen::MatrixXcd Abar = (f.A * f.dt).exp();
    Eigen::VectorXcd v = f.A.partialPivLu().solve((Abar - Eigen::MatrixXcd::Identity(p.N, p.N)) * f.b);
    for (std::int64_t t = 0; t < p.T; ++t, v = Abar * v) want(ch, t) = f.c.cwiseProduct(v).sum().real();
  }
  const double e = test::relerr(kernel(p, test::convert<Mp>(in), false), test::convert<Mp>(want));
  std::printf("zoh, P != 0: vs Eigen's exp %.1e\n", e);
  EXPECT_LT(e, 1e-12);
}

// S4-LegS against its diagonal part with C (in the HiPPO basis) uniform in [−1, 1] (col < 0) or the unit vector
// e_col (the col-th basis kernel); returns the relative L2 differences with B̃ and with B̃/2.
std::pair<double, double> compare_legs_diagonal(std::int64_t N, Disc d, double dt, std::int64_t col) {
  const std::int64_t M = N / 2, T = 1024;
  const auto nplr = ref::legs_nplr<double>(N);
  const auto legs = ref::hippo<double>(ref::Measure::legs, N, 1.0);
  Eigen::MatrixXcd S(N, N);
  for (std::int64_t i = 0; i < N; ++i)
    for (std::int64_t j = 0; j < N; ++j) S(i, j) = nplr.S(i, j);
  Eigen::ComplexEigenSolver<Eigen::MatrixXcd> es(S);
  std::vector<std::int64_t> upper;  // the modes with Im λ > 0; the rest are their conjugates
  for (std::int64_t i = 0; i < N; ++i)
    if (es.eigenvalues()(i).imag() > 0) upper.push_back(i);
  EXPECT_EQ(static_cast<std::int64_t>(upper.size()), M);
  Problem p{.D = 1, .N = N, .T = T, .disc = d};
  auto in = inputs(p, 19);
  std::vector<double> Cr(in.at("C").flat().begin(), in.at("C").flat().end());
  if (col >= 0) {
    Cr.assign(Cr.size(), 0.0);
    Cr[static_cast<std::size_t>(col)] = 1;
  }
  in.at("log_dt")(0) = std::log(dt);
  for (std::int64_t k = 0; k < M; ++k) {
    const Eigen::VectorXcd v = es.eigenvectors().col(upper[static_cast<std::size_t>(k)]);
    const cd lam = es.eigenvalues()(upper[static_cast<std::size_t>(k)]);
    cd pt = 0, bt = 0, ct = 0;
    for (std::int64_t i = 0; i < N; ++i) {
      pt += std::conj(v(i)) * nplr.P(i);
      bt += std::conj(v(i)) * legs.B(i);
      ct += Cr[static_cast<std::size_t>(i)] * v(i);
    }
    in.at("Lambda_re")(0, k) = lam.real();
    in.at("Lambda_im")(0, k) = lam.imag();
    in.at("P")(0, k, 0) = pt.real(), in.at("P")(0, k, 1) = pt.imag();
    in.at("B")(0, k, 0) = bt.real(), in.at("B")(0, k, 1) = bt.imag();
    in.at("C")(0, k, 0) = ct.real(), in.at("C")(0, k, 1) = ct.imag();
  }
  const auto dplr = test::convert<Mp>(kernel(p, in, false));
  auto diag_in = in;
  for (double& x : diag_in.at("P").flat()) x = 0;
  const auto diag = kernel(p, diag_in, false);
  for (double& x : diag_in.at("B").flat()) x /= 2;
  const auto half = kernel(p, diag_in, false);
  EXPECT_TRUE(test::all_finite(dplr));
  return {test::relerr(diag, dplr), test::relerr(half, dplr)};
}

TEST(S4Kernel, DiagonalPartOfLegsIsClose) {
  std::printf("S4-LegS (DPLR) vs S4D-LegS (its diagonal part): relative L2 difference of the kernels, T = 1024,\n"
              "diagonal with B~ | with B~/2, for C uniform in [-1, 1], C = e_0, C = e_3 (HiPPO basis):\n");
  for (std::int64_t N : {16, 64, 256})
    for (Disc d : {Disc::bilinear, Disc::zoh})
      for (double dt : {1e-3, 1e-2, 1e-1}) {
        if (N == 256 && d == Disc::zoh) continue;  // the ZOH resolvent is dense, O(N^3) per frequency
        std::printf("  N = %-3lld %-8s dt = %.0e:", static_cast<long long>(N), name(d), dt);
        for (std::int64_t col : {-1, 0, 3}) {
          const auto [full_b, half_b] = compare_legs_diagonal(N, d, dt, col);
          std::printf("   %6.3f | %6.3f", full_b, half_b);
        }
        std::printf("\n");
      }
}

}  // namespace
}  // namespace menagerie
