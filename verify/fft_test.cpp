// reference/fft.hpp against the naive O(n^2) DFT of its definition, X[k] = sum_m x[m] e^{−2πi k m / n}, written here
// independently (π as 4 atan(1), each twiddle from the exponent k m mod n): powers of two (the radix-2 path) and
// other lengths, primes among them (Bluestein's path), forward and inverse, in Mp (relative error < 1e-45); double and
// float against the Mp transform of their rounded inputs (< 4e-15 and < 2e-6, about 5x the worst seen at n <= 1024);
// the inverse undoes the forward.
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "core/random.hpp"
#include "reference/fft.hpp"
#include "reference/mp.hpp"
#include "verify/support/env.hpp"

namespace menagerie::test {
namespace {

using ref::Complex;

// X[k] = sum_m x[m] tw[(k m) mod n] with tw[j] = e^{∓2πi j/n} (the upper sign for the forward); 1/n on the inverse.
std::vector<Complex<Mp>> naive_dft(const std::vector<Complex<Mp>>& x, bool inverse) {
  const std::size_t n = x.size();
  const Mp pi = 4 * atan(Mp(1)), sign = inverse ? Mp(1) : Mp(-1), len = Mp(static_cast<std::int64_t>(n));
  std::vector<Complex<Mp>> tw(n), X(n);
  for (std::size_t j = 0; j < n; ++j) {
    const Mp a = sign * 2 * pi * Mp(static_cast<std::int64_t>(j)) / len;
    tw[j] = Complex<Mp>(cos(a), sin(a));
  }
  for (std::size_t k = 0; k < n; ++k) {
    for (std::size_t m = 0; m < n; ++m) X[k] += x[m] * tw[(k * m) % n];
    if (inverse) X[k] = Complex<Mp>(X[k].re / len, X[k].im / len);
  }
  return X;
}

template <class T>
double relerr(const std::vector<Complex<T>>& x, const std::vector<Complex<Mp>>& ref) {
  Mp num = 0, den = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const Mp dr = Mp(x[i].re) - ref[i].re, di = Mp(x[i].im) - ref[i].im;
    num += dr * dr + di * di;
    den += ref[i].re * ref[i].re + ref[i].im * ref[i].im;
  }
  return static_cast<double>(sqrt(num / den));
}

std::vector<Complex<Mp>> random_signal(std::size_t n, std::uint64_t seed) {
  Tensor<double> t({static_cast<std::int64_t>(n), 2});
  fill_uniform(t.view(), seed, 1, -1.0, 1.0);
  std::vector<Complex<Mp>> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = Complex<Mp>(Mp(t.data()[2 * i]), Mp(t.data()[2 * i + 1]));
  return x;
}

template <class T>
std::vector<Complex<T>> rounded(const std::vector<Complex<Mp>>& x) {
  std::vector<Complex<T>> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = Complex<T>(static_cast<T>(x[i].re), static_cast<T>(x[i].im));
  return y;
}

template <class U>
std::vector<Complex<Mp>> widened(const std::vector<Complex<U>>& x) {
  std::vector<Complex<Mp>> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = Complex<Mp>(Mp(x[i].re), Mp(x[i].im));
  return y;
}

TEST(Fft, EqualsTheNaiveDftInEveryPrecision) {
  for (std::size_t n : {1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 64, 97, 100, 113, 128, 1000, 1024}) {
    const auto x = random_signal(n, test_seed() + n);
    for (bool inverse : {false, true}) {
      const auto want = naive_dft(x, inverse);
      auto mp = x;
      ref::fft(mp, inverse);
      // double and float against the Mp transform of their own rounded input (the line above ties it to the DFT)
      const auto x_d = rounded<double>(x);
      const auto x_f = rounded<float>(x);
      auto want_d = widened(x_d), want_f = widened(x_f);
      ref::fft(want_d, inverse);
      ref::fft(want_f, inverse);
      auto d = x_d;
      auto f = x_f;
      ref::fft(d, inverse);
      ref::fft(f, inverse);
      const double e_mp = relerr(mp, want), e_d = relerr(d, want_d), e_f = relerr(f, want_f);
      std::printf("fft n=%4zu %s: Mp vs the naive DFT %.1e; vs the Mp transform: double %.1e, float %.1e\n", n,
                  inverse ? "inverse" : "forward", e_mp, e_d, e_f);
      EXPECT_LT(e_mp, 1e-45) << "n=" << n << " inverse=" << inverse;
      EXPECT_LT(e_d, 4e-15) << "n=" << n << " inverse=" << inverse;
      EXPECT_LT(e_f, 2e-6) << "n=" << n << " inverse=" << inverse;
    }
  }
}

TEST(Fft, InverseUndoesForward) {
  for (std::size_t n : {1, 7, 16, 97, 1000}) {
    const auto x = random_signal(n, test_seed() + n);
    auto y = x;
    ref::fft(y, false);
    ref::fft(y, true);
    EXPECT_LT(relerr(y, x), 1e-46) << "n=" << n;
  }
}

TEST(Fft, NextPowerOfTwo) {
  EXPECT_EQ(ref::next_pow2(1), 1);
  EXPECT_EQ(ref::next_pow2(2), 2);
  EXPECT_EQ(ref::next_pow2(3), 4);
  EXPECT_EQ(ref::next_pow2(1024), 1024);
  EXPECT_EQ(ref::next_pow2(1025), 2048);
  EXPECT_THROW(ref::next_pow2(0), ShapeError);
}

}  // namespace
}  // namespace menagerie::test
