// rtf_kernel specifics (the generic suite checks the adjoint against Mp finite differences, float and double against
// Mp, and the companion recurrence against the state-free form on the contract's grid of random coefficients):
//   - validate() and the DFT size rule (the paper's code: trunc_len + trunc_len % 2, raised to N + 1);
//   - with poles drawn by construction, a(z) = prod_i (1 − r_i z^−1), |r_i| in [0.3, 0.9] (conjugate pairs and one
//     real root for odd N), at T = 1, 7, 64, 97, 1000: the state-free form equals the companion recurrence in Mp
//     (< 1e-40), and the double state-free form equals it to 16 eps kappa, kappa = max_k (1 + sum |a_i|) / |Â_k| the
//     condition of the division (measured: at most 1.1 eps kappa over 30 seeds; kappa reaches 3e4 at N = 16);
//   - the state-free kernel is the n-periodic aliasing of the impulse response, K[t] = h0 δ_t + sum_{m>=0} g[t + m n],
//     with g from the difference equation g_t = b_t − sum_i a_i g_{t−i} (independent of the companion matrix) run
//     until its last period is below 1e-55 (asserted: the explicit bound on the images left out), in Mp to < 1e-40;
//   - the aliasing is real and bounded as stated: at the default n = T = 16 K differs from the truncated impulse
//     response by more than 1e-12 relative (poles of modulus >= 0.3: 0.3^16 ~ 4e-9); at n = 1100 (0.9^1100 < 1e-50) by
//     less than 1e-40;
//   - one pole by hand (N = 1): K[t] = b (−a)^(t−1) / (1 − (−a)^n) for t >= 1, K[0] = h0 + b (−a)^(n−1) / (1 − (−a)^n);
//   - a pole on an n-th root of unity is refused by both forms with an InputError naming the channel.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "core/random.hpp"
#include "reference/rtf_kernel.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace ops::rtf_kernel;

template <class T>
Tensor<T> run(const Problem& p, const Named<T>& in, bool recurrent) {
  Named<T> out = allocate<T>(tensors(p), Role::output, T(std::numeric_limits<double>::quiet_NaN()));
  if (recurrent)
    reference_forward_recurrent<T>(p, in, out);
  else
    reference_forward<T>(p, in, out);
  return out.at("K");
}

// Inputs whose denominators have the poles r_i, |r_i| in [0.3, 0.9]: per channel N/2 conjugate pairs r e^{±iθ},
// θ in [0.1, 3], giving factors 1 − 2 r cos θ z^−1 + r² z^−2, and one real root in ±[0.3, 0.9] when N is odd; b and h0
// uniform in [−1, 1]. The coefficients are rounded to double, which moves the poles by ~1e-15 only.
Named<double> stable_inputs(const Problem& p, std::uint64_t seed) {
  auto in = random_inputs(tensors(p), seed);
  Tensor<double> u({p.D, p.N, 2});
  fill_uniform(u.view(), seed, 99, 0.0, 1.0);
  for (std::int64_t c = 0; c < p.D; ++c) {
    std::vector<double> poly = {1.0};  // coefficients of z^0, z^−1, ...
    const auto times = [&](std::vector<double> f) {
      std::vector<double> out(poly.size() + f.size() - 1, 0.0);
      for (std::size_t i = 0; i < poly.size(); ++i)
        for (std::size_t j = 0; j < f.size(); ++j) out[i + j] += poly[i] * f[j];
      poly = out;
    };
    for (std::int64_t i = 0; i + 1 < p.N; i += 2) {
      const double r = 0.3 + 0.6 * u(c, i, 0), theta = 0.1 + 2.9 * u(c, i, 1);
      times({1.0, -2 * r * std::cos(theta), r * r});
    }
    if (p.N % 2 == 1) times({1.0, -(u(c, p.N - 1, 0) < 0.5 ? -1 : 1) * (0.3 + 0.6 * u(c, p.N - 1, 1))});
    for (std::int64_t i = 0; i < p.N; ++i) in.at("a")(c, i) = poly[static_cast<std::size_t>(i + 1)];
  }
  return in;
}

// The impulse response g of b(z)/a(z) by its difference equation, g_t = b_t − sum_{i=1..N} a_i g_{t−i} (g_0 = 0,
// b_t = 0 beyond N), for t < len.
std::vector<Mp> impulse_response(const Named<Mp>& in, std::int64_t c, std::int64_t N, std::int64_t len) {
  std::vector<Mp> g(static_cast<std::size_t>(len), Mp(0));
  for (std::int64_t t = 1; t < len; ++t) {
    Mp v = t <= N ? in.at("b")(c, t - 1) : Mp(0);
    for (std::int64_t i = 1; i <= N && i <= t; ++i) v -= in.at("a")(c, i - 1) * g[static_cast<std::size_t>(t - i)];
    g[static_cast<std::size_t>(t)] = v;
  }
  return g;
}

TEST(RtfKernel, ValidateAndTheDftSize) {
  EXPECT_EQ((Problem{.D = 1, .N = 4, .T = 16}.fft_size()), 16);
  EXPECT_EQ((Problem{.D = 1, .N = 8, .T = 13}.fft_size()), 14);
  EXPECT_EQ((Problem{.D = 1, .N = 6, .T = 4}.fft_size()), 8);
  EXPECT_EQ((Problem{.D = 1, .N = 2, .T = 7, .n = 41}.fft_size()), 41);
  EXPECT_THROW((Problem{.D = 1, .N = 0, .T = 4}.validate()), ShapeError);
  try {
    Problem{.D = 1, .N = 6, .T = 8, .n = 6}.validate();
    FAIL() << "n = 6 < N + 1 accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("n = 6"), std::string::npos) << e.what();
  }
}

TEST(RtfKernel, StateFreeEqualsCompanionAndThePeriodicSumWithPolesByConstruction) {
  const std::vector<Problem> cases = {{.D = 2, .N = 1, .T = 1},   {.D = 2, .N = 2, .T = 7},
                                      {.D = 2, .N = 5, .T = 64},  {.D = 2, .N = 16, .T = 97},
                                      {.D = 1, .N = 4, .T = 1000}, {.D = 1, .N = 3, .T = 30, .n = 77}};
  for (const Problem& p : cases) {
    const auto in = stable_inputs(p, test_seed() + static_cast<std::uint64_t>(p.T));
    const auto in_mp = convert<Mp>(in);
    const auto free_mp = run<Mp>(p, in_mp, false), comp_mp = run<Mp>(p, in_mp, true);
    const auto free_d = run<double>(p, in, false), comp_d = run<double>(p, in, true);
    const std::int64_t n = p.fft_size();
    // The periodic sum over images m < M, with 0.9^(M n) below 1e-70.
    const auto M = static_cast<std::int64_t>(std::ceil(70.0 / (static_cast<double>(n) * -std::log10(0.9)))) + 1;
    Tensor<Mp> periodic({p.D, p.T}, Mp(0));
    for (std::int64_t c = 0; c < p.D; ++c) {
      const auto g = impulse_response(in_mp, c, p.N, (M + 1) * n);
      Mp tail = 0;  // the largest |g| of the last period: the images left out are below it (geometric decay)
      for (std::int64_t t = M * n; t < (M + 1) * n; ++t) tail = std::max<Mp>(tail, abs(g[static_cast<std::size_t>(t)]));
      EXPECT_LT(static_cast<double>(tail), 1e-55) << "c=" << c << " T=" << p.T;
      for (std::int64_t t = 0; t < p.T; ++t) {
        for (std::int64_t m = 0; m < M; ++m) periodic(c, t) += g[static_cast<std::size_t>(t + m * n)];
        if (t == 0) periodic(c, t) += in_mp.at("h0")(c);
      }
    }
    // The condition of the state-free form: kappa = max over channels and k of (1 + sum_i |a_i|) / |Â_k|, the
    // relative error of the denominator's evaluation per unit of rounding, which the division passes on to K.
    double kappa = 0;
    for (std::int64_t c = 0; c < p.D; ++c) {
      double scale = 1;
      for (std::int64_t i = 0; i < p.N; ++i) scale += std::abs(in.at("a")(c, i));
      for (std::int64_t k = 0; k < n; ++k) {
        std::complex<double> A = 1;
        for (std::int64_t i = 0; i < p.N; ++i)
          A += in.at("a")(c, i) * std::polar(1.0, -2 * std::numbers::pi * static_cast<double>(((i + 1) * k) % n) /
                                                       static_cast<double>(n));
        kappa = std::max(kappa, scale / std::abs(A));
      }
    }
    const double eps = std::numeric_limits<double>::epsilon();
    const double e_forms = relerr(free_mp, comp_mp), e_periodic = relerr(free_mp, periodic),
                 e_free_d = relerr(free_d, comp_mp), e_comp_d = relerr(comp_d, comp_mp);
    std::printf("rtf_kernel N=%2lld T=%4lld n=%4lld: state-free vs companion Mp %.1e; state-free vs periodic sum Mp "
                "%.1e; vs the Mp companion: double state-free %.1e, double companion %.1e; kappa %.1e, double "
                "state-free / (eps kappa) %.2f\n",
                static_cast<long long>(p.N), static_cast<long long>(p.T), static_cast<long long>(n), e_forms,
                e_periodic, e_free_d, e_comp_d, kappa, e_free_d / (kappa * eps));
    EXPECT_LT(e_forms, 1e-40) << "N=" << p.N << " T=" << p.T;
    EXPECT_LT(e_periodic, 1e-40) << "N=" << p.N << " T=" << p.T;
    EXPECT_LT(e_free_d, 16 * eps * kappa) << "N=" << p.N << " T=" << p.T << " kappa=" << kappa;
  }
}

TEST(RtfKernel, AliasingIsRealAndVanishesAsNGrows) {
  const Problem base{.D = 2, .N = 4, .T = 16};
  const auto in = convert<Mp>(stable_inputs(base, test_seed()));
  Tensor<Mp> truncated({base.D, base.T});  // h0 δ_t + g_t
  for (std::int64_t c = 0; c < base.D; ++c) {
    const auto g = impulse_response(in, c, base.N, base.T);
    for (std::int64_t t = 0; t < base.T; ++t) truncated(c, t) = g[static_cast<std::size_t>(t)];
    truncated(c, 0) += in.at("h0")(c);
  }
  for (std::int64_t n : {0, 1100}) {
    Problem p = base;
    p.n = n;
    const double e = relerr(run<Mp>(p, in, false), truncated);
    std::printf("rtf_kernel N=4 T=16 n=%4lld: state-free kernel vs truncated impulse response %.1e (0.9^n = %.1e)\n",
                static_cast<long long>(p.fft_size()), e, std::pow(0.9, static_cast<double>(p.fft_size())));
    if (n == 0)
      EXPECT_GT(e, 1e-12) << "at n = T the kernel should carry the aliased tail";
    else
      EXPECT_LT(e, 1e-40);
  }
}

TEST(RtfKernel, OnePoleByHand) {
  const Problem p{.D = 1, .N = 1, .T = 9};
  const double a = -0.7, b = 0.8, h0 = 0.3;  // pole at −a = 0.7
  Named<Mp> in;
  in.emplace("a", Tensor<Mp>({1, 1}, Mp(a)));
  in.emplace("b", Tensor<Mp>({1, 1}, Mp(b)));
  in.emplace("h0", Tensor<Mp>({1}, Mp(h0)));
  const std::int64_t n = p.fft_size();
  const Mp r = -Mp(a);
  std::vector<Mp> rp(static_cast<std::size_t>(n + 1), Mp(1));  // rp[j] = r^j
  for (std::size_t j = 1; j < rp.size(); ++j) rp[j] = rp[j - 1] * r;
  const Mp wrap = 1 - rp[static_cast<std::size_t>(n)];
  Tensor<Mp> want({1, p.T});
  want(0, 0) = Mp(h0) + Mp(b) * rp[static_cast<std::size_t>(n - 1)] / wrap;
  for (std::int64_t t = 1; t < p.T; ++t) want(0, t) = Mp(b) * rp[static_cast<std::size_t>(t - 1)] / wrap;
  for (bool recurrent : {false, true}) EXPECT_LT(relerr(run<Mp>(p, in, recurrent), want), 1e-45) << recurrent;
}

TEST(RtfKernel, PoleOnARootOfUnityIsRefused) {
  const Problem p{.D = 2, .N = 1, .T = 6};  // n = 6; a = 1 puts the pole at z = −1 = ω^3 on channel 1
  Named<double> in;
  in.emplace("a", Tensor<double>({2, 1}, std::vector<double>{0.5, 1.0}));
  in.emplace("b", Tensor<double>({2, 1}, 1.0));
  in.emplace("h0", Tensor<double>({2}, 0.0));
  for (bool recurrent : {false, true}) {
    try {
      run<double>(p, in, recurrent);
      FAIL() << "a pole on the 6th roots of unity accepted, recurrent=" << recurrent;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("channel 1"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace menagerie::test
