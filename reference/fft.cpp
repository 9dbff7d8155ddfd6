// The DFT of reference/fft.hpp: iterative radix-2 for powers of two, Bluestein's chirp-z for any other length.
#include "reference/fft.hpp"

#include <cstddef>
#include <utility>

#include <boost/math/constants/constants.hpp>

#include "core/errors.hpp"
#include "reference/instantiate.hpp"
#include "reference/scalar.hpp"

namespace menagerie::ref {

std::int64_t next_pow2(std::int64_t n) {
  require<ShapeError>(n >= 1 && n <= (std::int64_t{1} << 62), "next_pow2: n = ", n, " is outside [1, 2^62]");
  std::int64_t m = 1;
  while (m < n) m <<= 1;
  return m;
}

namespace {

// e^{−iπ r/q} for integers 0 <= r < 2q.
template <class T>
Complex<T> unit_root(std::int64_t r, std::int64_t q) {
  const T angle = boost::math::constants::pi<T>() * T(r) / T(q);
  return {cos(angle), -sin(angle)};
}

// Forward transform of a power-of-two length, in place.
template <class T>
void radix2(std::vector<Complex<T>>& x) {
  const std::size_t n = x.size();
  for (std::size_t i = 1, j = 0; i < n; ++i) {  // bit-reversal permutation
    std::size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(x[i], x[j]);
  }
  std::vector<Complex<T>> tw(n / 2);  // tw[j] = e^{−2πi j/n}
  for (std::size_t j = 0; j < n / 2; ++j)
    tw[j] = unit_root<T>(static_cast<std::int64_t>(2 * j), static_cast<std::int64_t>(n));
  for (std::size_t len = 2; len <= n; len <<= 1) {
    const std::size_t half = len / 2, step = n / len;
    for (std::size_t i = 0; i < n; i += len)
      for (std::size_t k = 0; k < half; ++k) {
        const Complex<T> v = x[i + k + half] * tw[k * step];
        x[i + k + half] = x[i + k] - v;
        x[i + k] = x[i + k] + v;
      }
  }
}

// Forward transform of any length by Bluestein's identity (reference/fft.hpp), in place.
template <class T>
void bluestein(std::vector<Complex<T>>& x) {
  const std::size_t n = x.size();
  require<ShapeError>(n < (std::size_t{1} << 30), "fft: length ", n, " too large for Bluestein's j^2 mod 2n");
  const std::size_t M = static_cast<std::size_t>(next_pow2(static_cast<std::int64_t>(2 * n - 1)));
  std::vector<Complex<T>> w(n);  // w_j = e^{−πi j²/n}
  for (std::size_t j = 0; j < n; ++j)
    w[j] = unit_root<T>(static_cast<std::int64_t>((j * j) % (2 * n)), static_cast<std::int64_t>(n));
  std::vector<Complex<T>> a(M), b(M);
  for (std::size_t m = 0; m < n; ++m) a[m] = x[m] * w[m];
  b[0] = conj(w[0]);
  for (std::size_t j = 1; j < n; ++j) b[j] = b[M - j] = conj(w[j]);
  radix2(a);
  radix2(b);
  for (std::size_t i = 0; i < M; ++i) a[i] = conj(a[i] * b[i]);  // the circular convolution by the inverse
  radix2(a);                                                     // transform conj(forward(conj(·)))/M
  const T inv_M = T(1) / T(static_cast<std::int64_t>(M));        // exact: M is a power of two
  for (std::size_t k = 0; k < n; ++k) x[k] = w[k] * conj(a[k]) * inv_M;
}

}  // namespace

template <class T>
void fft(std::vector<Complex<T>>& x, bool inverse) {
  const std::size_t n = x.size();
  require<ShapeError>(n >= 1, "fft: empty input");
  if (inverse)
    for (auto& z : x) z = conj(z);
  if ((n & (n - 1)) == 0)
    radix2(x);
  else
    bluestein(x);
  if (inverse) {
    const T len = T(static_cast<std::int64_t>(n));
    for (auto& z : x) z = Complex<T>(z.re / len, -z.im / len);
  }
}

#define INSTANTIATE(T) template void fft<T>(std::vector<Complex<T>>&, bool);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ref
