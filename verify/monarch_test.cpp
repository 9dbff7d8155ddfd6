// reference/monarch.hpp against independent evaluations written here:
// - a Monarch matrix M = P_(b2,b1) L P_(b1,b2) R equals the product of its four factors, each built as a dense n x n
//   matrix from its definition (block-diagonal R and L, the transpose permutations) and multiplied naively; its apply
//   equals the dense matrix times x (real and complex blocks, Mp, < 1e-45);
// - the DFT as Monarch products (DFT_n = M P_(n1,n2), the four-step factorisation) equals the naive O(n²) DFT of its
//   definition (π as 4 atan(1), each twiddle from the exponent k m mod n), forward and inverse, for every
//   factorisation n = n1 n2 of n = 1 .. 16, 36, 60, 97, 100, 128, 210 (powers of two, primes, 12, 15, 36), in Mp
//   (< 1e-45) and against reference/fft.hpp (radix-2 / Bluestein) in Mp; double and float against the Mp result of
//   their rounded inputs (< 4e-15, < 2e-6).
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "core/random.hpp"
#include "reference/fft.hpp"
#include "reference/monarch.hpp"
#include "reference/mp.hpp"
#include "verify/support/env.hpp"

namespace menagerie::test {
namespace {

using ref::Complex;
using C = Complex<Mp>;

std::vector<C> random_complex(std::size_t n, std::uint64_t seed) {
  Tensor<double> t({static_cast<std::int64_t>(std::max<std::size_t>(n, 1)), 2});
  fill_uniform(t.view(), seed, 1, -1.0, 1.0);
  std::vector<C> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = C(Mp(t.data()[2 * i]), Mp(t.data()[2 * i + 1]));
  return x;
}

Mp sq(const C& z) { return z.re * z.re + z.im * z.im; }

template <class U>
double relerr(const std::vector<Complex<U>>& x, const std::vector<C>& ref) {
  Mp num = 0, den = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    num += sq(C(Mp(x[i].re), Mp(x[i].im)) - ref[i]);
    den += sq(ref[i]);
  }
  return static_cast<double>(sqrt(num / den));
}

// Dense n x n row-major matrices and their product, written from the definitions.
using Dense = std::vector<C>;
Dense matmul(const Dense& A, const Dense& B, std::size_t n) {
  Dense Cm(n * n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < n; ++k)
      for (std::size_t j = 0; j < n; ++j) Cm[i * n + j] += A[i * n + k] * B[k * n + j];
  return Cm;
}
std::vector<C> matvec(const Dense& A, const std::vector<C>& x) {
  const std::size_t n = x.size();
  std::vector<C> y(n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) y[i] += A[i * n + j] * x[j];
  return y;
}
// diag(blocks[0], ..., blocks[nb − 1]), nb blocks of size s, stored [nb, s, s].
Dense block_diagonal(const std::vector<C>& blocks, std::size_t nb, std::size_t s) {
  const std::size_t n = nb * s;
  Dense A(n * n);
  for (std::size_t q = 0; q < nb; ++q)
    for (std::size_t r = 0; r < s; ++r)
      for (std::size_t c = 0; c < s; ++c) A[(q * s + r) * n + q * s + c] = blocks[(q * s + r) * s + c];
  return A;
}
// The matrix of x -> (a x b row-major, transposed): row j a + i has its one at column i b + j.
Dense transpose_matrix(std::size_t a, std::size_t b) {
  const std::size_t n = a * b;
  Dense A(n * n);
  for (std::size_t i = 0; i < a; ++i)
    for (std::size_t j = 0; j < b; ++j) A[(j * a + i) * n + i * b + j] = C(Mp(1));
  return A;
}

TEST(Monarch, ApplyAndDenseEqualTheProductOfTheFactors) {
  for (auto [b1, b2] : std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 1}, {1, 4}, {3, 1}, {2, 3}, {3, 2},
                                                                          {4, 4}, {5, 7}}) {
    const auto n = static_cast<std::size_t>(b1 * b2), s1 = static_cast<std::size_t>(b1), s2 = static_cast<std::size_t>(b2);
    auto M = ref::monarch_zeros<C>(b1, b2);
    M.R = random_complex(M.R.size(), test_seed() + n);
    M.L = random_complex(M.L.size(), test_seed() + 7 * n);
    const Dense want = matmul(matmul(transpose_matrix(s2, s1), block_diagonal(M.L, s2, s1), n),
                              matmul(transpose_matrix(s1, s2), block_diagonal(M.R, s1, s2), n), n);
    const double e_dense = relerr(ref::monarch_dense(M), want);
    const auto x = random_complex(n, test_seed() + 13 * n);
    const double e_apply = relerr(ref::monarch_apply(M, x), matvec(want, x));
    std::printf("monarch b1=%lld b2=%lld: dense vs factor product %.1e, apply vs dense x %.1e\n",
                static_cast<long long>(b1), static_cast<long long>(b2), e_dense, e_apply);
    EXPECT_LT(e_dense, 1e-45) << "b1=" << b1 << " b2=" << b2;
    EXPECT_LT(e_apply, 1e-45) << "b1=" << b1 << " b2=" << b2;
    // a real Monarch matrix through the real instantiation
    ref::Monarch<Mp> Mr{b1, b2, {}, {}};
    for (const auto& z : M.R) Mr.R.push_back(z.re);
    for (const auto& z : M.L) Mr.L.push_back(z.re);
    std::vector<Mp> xr;
    for (const auto& z : x) xr.push_back(z.re);
    const auto yr = ref::monarch_apply(Mr, xr);
    std::vector<Complex<Mp>> yc;
    for (const auto& v : yr) yc.emplace_back(v);
    auto Mc = M;
    for (auto& z : Mc.R) z.im = 0;
    for (auto& z : Mc.L) z.im = 0;
    std::vector<C> xc;
    for (const auto& v : xr) xc.emplace_back(v);
    EXPECT_LT(relerr(yc, ref::monarch_apply(Mc, xc)), 1e-45) << "real b1=" << b1 << " b2=" << b2;
  }
}

// X[k] = sum_m x[m] tw[(k m) mod n], tw[j] = e^{∓2πi j/n} (upper sign forward); 1/n on the inverse.
std::vector<C> naive_dft(const std::vector<C>& x, bool inverse) {
  const std::size_t n = x.size();
  const Mp pi = 4 * atan(Mp(1)), sign = inverse ? Mp(1) : Mp(-1), len = Mp(static_cast<std::int64_t>(n));
  std::vector<C> tw(n), X(n);
  for (std::size_t j = 0; j < n; ++j) {
    const Mp a = sign * 2 * pi * Mp(static_cast<std::int64_t>(j)) / len;
    tw[j] = C(cos(a), sin(a));
  }
  for (std::size_t k = 0; k < n; ++k) {
    for (std::size_t m = 0; m < n; ++m) X[k] += x[m] * tw[(k * m) % n];
    if (inverse) X[k] = C(X[k].re / len, X[k].im / len);
  }
  return X;
}

template <class U>
std::vector<Complex<U>> cast(const std::vector<C>& x) {
  std::vector<Complex<U>> y;
  for (const auto& z : x) y.emplace_back(static_cast<U>(z.re), static_cast<U>(z.im));
  return y;
}
template <class U>
std::vector<C> widen(const std::vector<Complex<U>>& x) {
  std::vector<C> y;
  for (const auto& z : x) y.emplace_back(Mp(z.re), Mp(z.im));
  return y;
}

TEST(Monarch, DftAsMonarchProductsEqualsTheNaiveDft) {
  double worst_mp = 0, worst_fft = 0;
  for (std::int64_t n : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 36, 60, 97, 100, 128, 210}) {
    const auto x = random_complex(static_cast<std::size_t>(n), test_seed() + static_cast<std::uint64_t>(n));
    for (bool inverse : {false, true}) {
      const auto want = naive_dft(x, inverse);
      auto radix = x;
      ref::fft(radix, inverse);
      for (std::int64_t n1 = 1; n1 <= n; ++n1) {
        if (n % n1 != 0) continue;
        const std::int64_t n2 = n / n1;
        const auto got = ref::monarch_dft(ref::dft_monarch<Mp>(n1, n2, inverse), x, inverse);
        const double e = relerr(got, want), e_fft = relerr(got, radix);
        const auto xd = cast<double>(x);
        const auto xf = cast<float>(x);
        const double ed = relerr(ref::monarch_dft(ref::dft_monarch<double>(n1, n2, inverse), xd, inverse),
                                 ref::monarch_dft(ref::dft_monarch<Mp>(n1, n2, inverse), widen(xd), inverse));
        const double ef = relerr(ref::monarch_dft(ref::dft_monarch<float>(n1, n2, inverse), xf, inverse),
                                 ref::monarch_dft(ref::dft_monarch<Mp>(n1, n2, inverse), widen(xf), inverse));
        if (n1 * n1 <= n && (n2 == n || n1 * n1 * 4 > n))
          std::printf("monarch dft n=%3lld = %lld x %lld %s: Mp vs naive %.1e, vs fft.hpp %.1e; double %.1e, "
                      "float %.1e\n", static_cast<long long>(n), static_cast<long long>(n1),
                      static_cast<long long>(n2), inverse ? "inverse" : "forward", e, e_fft, ed, ef);
        worst_mp = std::max(worst_mp, e);
        worst_fft = std::max(worst_fft, e_fft);
        EXPECT_LT(e, 1e-45) << "n=" << n << " n1=" << n1 << " inverse=" << inverse;
        EXPECT_LT(e_fft, 1e-45) << "n=" << n << " n1=" << n1 << " inverse=" << inverse;
        EXPECT_LT(ed, 4e-15) << "n=" << n << " n1=" << n1 << " inverse=" << inverse;
        EXPECT_LT(ef, 2e-6) << "n=" << n << " n1=" << n1 << " inverse=" << inverse;
      }
    }
  }
  std::printf("monarch dft: worst Mp relerr vs the naive DFT %.1e, vs fft.hpp %.1e\n", worst_mp, worst_fft);
}

TEST(Monarch, DftMonarchIsTheDftMatrixTimesTheTransposePermutation) {
  for (auto [n1, n2] : std::vector<std::pair<std::int64_t, std::int64_t>>{{3, 4}, {3, 5}, {6, 6}, {2, 7}}) {
    const auto n = static_cast<std::size_t>(n1 * n2);
    Dense F(n * n);  // the DFT matrix column by column: F e_m = naive DFT of the unit vector e_m
    for (std::size_t m = 0; m < n; ++m) {
      std::vector<C> e(n);
      e[m] = C(Mp(1));
      const auto col = naive_dft(e, false);
      for (std::size_t k = 0; k < n; ++k) F[k * n + m] = col[k];
    }
    const Dense got = matmul(ref::monarch_dense(ref::dft_monarch<Mp>(n1, n2, false)),
                             transpose_matrix(static_cast<std::size_t>(n1), static_cast<std::size_t>(n2)), n);
    EXPECT_LT(relerr(got, F), 1e-45) << "n1=" << n1 << " n2=" << n2;
  }
}

TEST(Monarch, FactorsAndShapes) {
  EXPECT_EQ(ref::monarch_factors(1), std::make_pair(std::int64_t{1}, std::int64_t{1}));
  EXPECT_EQ(ref::monarch_factors(12), std::make_pair(std::int64_t{3}, std::int64_t{4}));
  EXPECT_EQ(ref::monarch_factors(15), std::make_pair(std::int64_t{3}, std::int64_t{5}));
  EXPECT_EQ(ref::monarch_factors(36), std::make_pair(std::int64_t{6}, std::int64_t{6}));
  EXPECT_EQ(ref::monarch_factors(97), std::make_pair(std::int64_t{1}, std::int64_t{97}));
  EXPECT_THROW(ref::monarch_factors(0), ShapeError);
  EXPECT_THROW(ref::monarch_zeros<Mp>(0, 3), ShapeError);
  const auto M = ref::monarch_zeros<Mp>(2, 3);
  EXPECT_THROW(ref::monarch_apply(M, std::vector<Mp>(5)), ShapeError);
  EXPECT_THROW(ref::transpose_permutation(std::vector<Mp>(5), 2, 3), ShapeError);
}

}  // namespace
}  // namespace menagerie::test
