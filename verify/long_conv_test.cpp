// long_conv specifics: the direct sum equals an independent DFT evaluation in Mp (zero-pad to n = 2T, naive O(n^2)
// complex DFT with Mp cos/sin, pointwise product, inverse DFT; relative error < 1e-40); the reference's FFT form
// (reference_forward_fft, radix-2 at the next power of two >= 2T) equals the direct sum at T = 1, 7, 64, 97, 1000 in
// Mp (< 1e-40) and, in double, the Mp direct sum (< 1e-13); time invariance (a delayed input gives the
// bitwise-delayed output); validate() rejects a filter shorter than T.
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "reference/fft.hpp"
#include "reference/long_conv.hpp"
#include "reference/mp.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace menagerie::ops::long_conv;

struct Cx {
  Mp re, im;
};

// X[k] = sum_m x[m] exp(sign 2πi k m / n), with the twiddles tw[m] = exp(−2πi m / n).
std::vector<Cx> dft(const std::vector<Cx>& x, const std::vector<Cx>& tw, bool inverse) {
  const std::size_t n = x.size();
  std::vector<Cx> X(n, Cx{0, 0});
  for (std::size_t k = 0; k < n; ++k)
    for (std::size_t m = 0; m < n; ++m) {
      const Cx& w = tw[(k * m) % n];
      const Mp wi = inverse ? Mp(-w.im) : w.im;
      X[k].re += x[m].re * w.re - x[m].im * wi;
      X[k].im += x[m].re * wi + x[m].im * w.re;
    }
  return X;
}

TEST(LongConv, DirectSumEqualsDftEvaluationInMp) {
  const std::uint64_t seed = test_seed();
  for (const Problem& p : {Problem{1, 1, 2, 1}, Problem{2, 7, 3, 9}, Problem{1, 16, 2, 16}, Problem{1, 13, 2, 20}}) {
    const auto in = convert<Mp>(random_inputs(tensors(p), seed));
    auto out = allocate<Mp>(tensors(p), Role::output);
    reference_forward(p, in, out);
    const std::size_t n = static_cast<std::size_t>(2 * p.T);
    const Mp pi = 4 * atan(Mp(1));
    std::vector<Cx> tw(n);
    for (std::size_t m = 0; m < n; ++m) {
      const Mp a = 2 * pi * Mp(static_cast<double>(m)) / Mp(static_cast<double>(n));
      tw[m] = {cos(a), -sin(a)};
    }
    Tensor<Mp> y({p.B, p.T, p.D});
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t c = 0; c < p.D; ++c) {
        std::vector<Cx> u(n, Cx{0, 0}), h(n, Cx{0, 0});
        for (std::int64_t t = 0; t < p.T; ++t) {
          u[static_cast<std::size_t>(t)].re = in.at("u")(b, t, c);
          h[static_cast<std::size_t>(t)].re = in.at("h")(c, t);
        }
        const auto U = dft(u, tw, false), Hf = dft(h, tw, false);
        std::vector<Cx> P(n);
        for (std::size_t k = 0; k < n; ++k)
          P[k] = {U[k].re * Hf[k].re - U[k].im * Hf[k].im, U[k].re * Hf[k].im + U[k].im * Hf[k].re};
        const auto yc = dft(P, tw, true);
        for (std::int64_t t = 0; t < p.T; ++t) y(b, t, c) = yc[static_cast<std::size_t>(t)].re / Mp(static_cast<double>(n));
      }
    EXPECT_LT(relerr(out.at("y"), y), 1e-40) << "T=" << p.T << " L=" << p.L;
  }
}

TEST(LongConv, FftFormEqualsDirectSum) {
  for (std::int64_t T : {1, 7, 64, 97, 1000}) {
    const Problem p{.B = T < 1000 ? 2 : 1, .T = T, .D = 3, .L = T + 3};  // taps s >= T must not count
    const auto in = random_inputs(tensors(p), test_seed() + static_cast<std::uint64_t>(T));
    const auto in_mp = convert<Mp>(in);
    auto direct = allocate<Mp>(tensors(p), Role::output), fft = direct;
    reference_forward(p, in_mp, direct);
    reference_forward_fft(p, in_mp, fft);
    auto direct_d = allocate<double>(tensors(p), Role::output), fft_d = direct_d;
    reference_forward(p, in, direct_d);
    reference_forward_fft(p, in, fft_d);
    const auto& want = direct.at("y");
    const double e_mp = relerr(fft.at("y"), want), e_fft_d = relerr(fft_d.at("y"), want),
                 e_direct_d = relerr(direct_d.at("y"), want);
    std::printf("long_conv T=%4lld (n=%4lld): relerr to the Mp direct sum  Mp fft %.1e  double fft %.1e  double "
                "direct %.1e\n",
                static_cast<long long>(T), static_cast<long long>(ref::next_pow2(2 * T)), e_mp, e_fft_d, e_direct_d);
    EXPECT_LT(e_mp, 1e-40) << "T=" << T;
    EXPECT_LT(e_fft_d, 1e-13) << "T=" << T;
  }
}

TEST(LongConv, DelayedInputGivesDelayedOutput) {
  const Problem p{2, 13, 4, 15};
  for (std::int64_t shift : {1, 5, 12}) {
    const auto in = random_inputs(tensors(p), test_seed() + static_cast<std::uint64_t>(shift));
    auto delayed = in;
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t t = 0; t < p.T; ++t)
        for (std::int64_t c = 0; c < p.D; ++c)
          delayed.at("u")(b, t, c) = t >= shift ? in.at("u")(b, t - shift, c) : 0.0;
    auto y = allocate<double>(tensors(p), Role::output), y2 = y;
    reference_forward(p, in, y);
    reference_forward(p, delayed, y2);
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t t = 0; t < p.T; ++t)
        for (std::int64_t c = 0; c < p.D; ++c)
          EXPECT_EQ(y2.at("y")(b, t, c), t >= shift ? y.at("y")(b, t - shift, c) : 0.0)
              << "shift=" << shift << " b=" << b << " t=" << t << " c=" << c;
  }
}

TEST(LongConv, ValidateRejectsShortFilter) {
  try {
    Problem{1, 8, 2, 5}.validate();
    FAIL() << "L < T accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("L = 5"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace menagerie::test
