// Monarch matrices and the DFT as Monarch products; see reference/monarch.hpp for the conventions and the math.
#include "reference/monarch.hpp"

#include <cstddef>

#include <boost/math/constants/constants.hpp>

#include "core/errors.hpp"
#include "reference/instantiate.hpp"
#include "reference/scalar.hpp"

namespace menagerie::ref {

namespace {
std::size_t sz(std::int64_t v) { return static_cast<std::size_t>(v); }
}  // namespace

template <class S>
Monarch<S> monarch_zeros(std::int64_t b1, std::int64_t b2) {
  require<ShapeError>(b1 >= 1 && b2 >= 1, "monarch: block counts b1, b2 = ", b1, ", ", b2, " must be >= 1");
  return {b1, b2, std::vector<S>(sz(b1 * b2 * b2)), std::vector<S>(sz(b2 * b1 * b1))};
}

template <class S>
std::vector<S> transpose_permutation(const std::vector<S>& x, std::int64_t a, std::int64_t b) {
  require<ShapeError>(a >= 1 && b >= 1 && static_cast<std::int64_t>(x.size()) == a * b, "monarch: permutation P_(",
                      a, ",", b, ") of a vector of length ", x.size());
  std::vector<S> y(x.size());
  for (std::int64_t i = 0; i < a; ++i)
    for (std::int64_t j = 0; j < b; ++j) y[sz(j * a + i)] = x[sz(i * b + j)];
  return y;
}

template <class S>
std::vector<S> monarch_apply(const Monarch<S>& M, const std::vector<S>& x) {
  const std::int64_t b1 = M.b1, b2 = M.b2;
  require<ShapeError>(static_cast<std::int64_t>(x.size()) == b1 * b2 && static_cast<std::int64_t>(M.R.size()) ==
                          b1 * b2 * b2 && static_cast<std::int64_t>(M.L.size()) == b2 * b1 * b1,
                      "monarch: apply of a (", b1, ", ", b2, ") Monarch matrix to a vector of length ", x.size());
  std::vector<S> v(x.size());
  for (std::int64_t i = 0; i < b1; ++i)  // R: block i on the chunk x[i b2 ..]
    for (std::int64_t r = 0; r < b2; ++r) {
      S acc{};
      for (std::int64_t c = 0; c < b2; ++c) acc += M.R[sz((i * b2 + r) * b2 + c)] * x[sz(i * b2 + c)];
      v[sz(i * b2 + r)] = acc;
    }
  const std::vector<S> w = transpose_permutation(v, b1, b2);
  std::vector<S> z(x.size());
  for (std::int64_t j = 0; j < b2; ++j)  // L: block j on the chunk w[j b1 ..]
    for (std::int64_t r = 0; r < b1; ++r) {
      S acc{};
      for (std::int64_t c = 0; c < b1; ++c) acc += M.L[sz((j * b1 + r) * b1 + c)] * w[sz(j * b1 + c)];
      z[sz(j * b1 + r)] = acc;
    }
  return transpose_permutation(z, b2, b1);
}

template <class S>
std::vector<S> monarch_dense(const Monarch<S>& M) {
  const std::int64_t b1 = M.b1, b2 = M.b2, n = b1 * b2;
  std::vector<S> A(sz(n * n));
  for (std::int64_t i = 0; i < b1; ++i)
    for (std::int64_t j = 0; j < b2; ++j)
      for (std::int64_t i2 = 0; i2 < b1; ++i2)
        for (std::int64_t j2 = 0; j2 < b2; ++j2)
          A[sz((i * b2 + j) * n + i2 * b2 + j2)] = M.L[sz((j * b1 + i) * b1 + i2)] * M.R[sz((i2 * b2 + j) * b2 + j2)];
  return A;
}

std::pair<std::int64_t, std::int64_t> monarch_factors(std::int64_t n) {
  require<ShapeError>(n >= 1, "monarch: size n = ", n, " must be >= 1");
  std::int64_t n1 = 1;
  for (std::int64_t d = 1; d * d <= n; ++d)
    if (n % d == 0) n1 = d;
  return {n1, n / n1};
}

template <class T>
Monarch<Complex<T>> dft_monarch(std::int64_t n1, std::int64_t n2, bool inverse) {
  auto M = monarch_zeros<Complex<T>>(n2, n1);
  const std::int64_t n = n1 * n2;
  std::vector<Complex<T>> tw(sz(n));  // tw[e] = e^{∓2πi e/n}
  for (std::int64_t e = 0; e < n; ++e) {
    const T angle = 2 * boost::math::constants::pi<T>() * T(e) / T(n);
    tw[sz(e)] = Complex<T>(cos(angle), inverse ? T(sin(angle)) : T(-sin(angle)));
  }
  for (std::int64_t m2 = 0; m2 < n2; ++m2)
    for (std::int64_t k1 = 0; k1 < n1; ++k1)
      for (std::int64_t m1 = 0; m1 < n1; ++m1) M.R[sz((m2 * n1 + k1) * n1 + m1)] = tw[sz(k1 * (n2 * m1 + m2) % n)];
  for (std::int64_t k1 = 0; k1 < n1; ++k1)
    for (std::int64_t k2 = 0; k2 < n2; ++k2)
      for (std::int64_t m2 = 0; m2 < n2; ++m2) M.L[sz((k1 * n2 + k2) * n2 + m2)] = tw[sz(n1 * (k2 * m2 % n2) % n)];
  return M;
}

template <class T>
std::vector<Complex<T>> monarch_dft(const Monarch<Complex<T>>& F, const std::vector<Complex<T>>& x, bool inverse) {
  auto y = monarch_apply(F, transpose_permutation(x, F.b2, F.b1));
  if (inverse) {
    const T n = T(F.size());
    for (auto& z : y) z = Complex<T>(z.re / n, z.im / n);
  }
  return y;
}

#define INSTANTIATE_ELEMENT(S)                                                                   \
  template Monarch<S> monarch_zeros<S>(std::int64_t, std::int64_t);                              \
  template std::vector<S> transpose_permutation<S>(const std::vector<S>&, std::int64_t, std::int64_t); \
  template std::vector<S> monarch_apply<S>(const Monarch<S>&, const std::vector<S>&);            \
  template std::vector<S> monarch_dense<S>(const Monarch<S>&);
#define INSTANTIATE(T)                                                                           \
  INSTANTIATE_ELEMENT(T)                                                                         \
  INSTANTIATE_ELEMENT(Complex<T>)                                                                \
  template Monarch<Complex<T>> dft_monarch<T>(std::int64_t, std::int64_t, bool);                 \
  template std::vector<Complex<T>> monarch_dft<T>(const Monarch<Complex<T>>&, const std::vector<Complex<T>>&, bool);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ref
