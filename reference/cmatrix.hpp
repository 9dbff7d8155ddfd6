// Small dense complex matrices over any real scalar T (float, double, Mp) for the SSM references that need a whole
// state matrix (s4_kernel's powering form, its ZOH discretisation and adjoints): row-major n x n, with the product,
// the conjugate transpose, a solve by Gaussian elimination with partial pivoting, and the exponential by scaling and
// squaring: exp(X) = (Σ_{k<=K} (X/2^s)^k / k!)^(2^s), s the least with ‖X‖₁/2^s <= 1/2, K where the next term's
// bound ‖X/2^s‖₁^(K+1)/(K+1)! falls below T's epsilon (so the Taylor remainder is below eps ‖·‖).
#pragma once
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "core/errors.hpp"
#include "reference/complex.hpp"
#include "reference/scalar.hpp"

namespace menagerie::ref {

template <class T>
struct CMat {
  std::int64_t n = 0;
  std::vector<Complex<T>> a;  // a[i n + j]
  explicit CMat(std::int64_t size = 0) : n(size), a(static_cast<std::size_t>(size * size)) {}
  Complex<T>& operator()(std::int64_t i, std::int64_t j) { return a[static_cast<std::size_t>(i * n + j)]; }
  const Complex<T>& operator()(std::int64_t i, std::int64_t j) const { return a[static_cast<std::size_t>(i * n + j)]; }
  static CMat identity(std::int64_t size) {
    CMat m(size);
    for (std::int64_t i = 0; i < size; ++i) m(i, i) = Complex<T>(T(1));
    return m;
  }
};

template <class T>
using CVec = std::vector<Complex<T>>;

template <class T>
CMat<T> operator*(const CMat<T>& x, const CMat<T>& y) {
  CMat<T> z(x.n);
  for (std::int64_t i = 0; i < x.n; ++i)
    for (std::int64_t k = 0; k < x.n; ++k)
      for (std::int64_t j = 0; j < x.n; ++j) z(i, j) += x(i, k) * y(k, j);
  return z;
}

template <class T>
CVec<T> operator*(const CMat<T>& x, const CVec<T>& v) {
  CVec<T> y(v.size());
  for (std::int64_t i = 0; i < x.n; ++i)
    for (std::int64_t j = 0; j < x.n; ++j) y[static_cast<std::size_t>(i)] += x(i, j) * v[static_cast<std::size_t>(j)];
  return y;
}

template <class T>
CMat<T> adjoint(const CMat<T>& x) {
  CMat<T> y(x.n);
  for (std::int64_t i = 0; i < x.n; ++i)
    for (std::int64_t j = 0; j < x.n; ++j) y(j, i) = conj(x(i, j));
  return y;
}

template <class T>
T norm1(const CMat<T>& x) {
  T best = T(0);
  for (std::int64_t j = 0; j < x.n; ++j) {
    T s = T(0);
    for (std::int64_t i = 0; i < x.n; ++i) s += sqrt(x(i, j).re * x(i, j).re + x(i, j).im * x(i, j).im);
    if (s > best) best = s;
  }
  return best;
}

// X with M X = R (R n x m, row-major, m columns), by elimination with partial pivoting; a zero pivot throws.
template <class T>
std::vector<Complex<T>> solve(CMat<T> M, std::vector<Complex<T>> R, std::int64_t m) {
  const std::int64_t n = M.n;
  auto mag = [](const Complex<T>& z) { return z.re * z.re + z.im * z.im; };
  auto at = [&](std::int64_t i, std::int64_t j) -> Complex<T>& { return R[static_cast<std::size_t>(i * m + j)]; };
  for (std::int64_t c = 0; c < n; ++c) {
    std::int64_t piv = c;
    for (std::int64_t i = c + 1; i < n; ++i)
      if (mag(M(i, c)) > mag(M(piv, c))) piv = i;
    require(mag(M(piv, c)) > T(0), "cmatrix: singular matrix in solve");
    for (std::int64_t j = 0; j < n; ++j) std::swap(M(piv, j), M(c, j));
    for (std::int64_t j = 0; j < m; ++j) std::swap(at(piv, j), at(c, j));
    for (std::int64_t i = c + 1; i < n; ++i) {
      const Complex<T> f = M(i, c) / M(c, c);
      for (std::int64_t j = c; j < n; ++j) M(i, j) = M(i, j) - f * M(c, j);
      for (std::int64_t j = 0; j < m; ++j) at(i, j) = at(i, j) - f * at(c, j);
    }
  }
  for (std::int64_t i = n - 1; i >= 0; --i)
    for (std::int64_t j = 0; j < m; ++j) {
      Complex<T> s = at(i, j);
      for (std::int64_t k = i + 1; k < n; ++k) s = s - M(i, k) * at(k, j);
      at(i, j) = s / M(i, i);
    }
  return R;
}

template <class T>
CMat<T> solve(const CMat<T>& M, const CMat<T>& R) {
  CMat<T> X(M.n);
  X.a = solve(M, R.a, M.n);
  return X;
}

template <class T>
CVec<T> solve(const CMat<T>& M, const CVec<T>& r) {
  return solve(M, r, 1);
}

template <class T>
CMat<T> expm(const CMat<T>& X) {
  int s = 0;
  T scale = T(1);
  for (const T nrm = norm1(X); nrm * scale > T(0.5); scale /= T(2)) ++s;
  CMat<T> Y = X;
  for (auto& z : Y.a) z = z * scale;
  const T y1 = norm1(Y), eps = std::numeric_limits<T>::epsilon();
  CMat<T> E = CMat<T>::identity(X.n), term = E;
  T bound = T(1);
  for (int k = 1; k < 200; ++k) {
    term = term * Y;
    for (auto& z : term.a) z = z * (T(1) / T(k));
    for (std::size_t i = 0; i < E.a.size(); ++i) E.a[i] += term.a[i];
    bound = bound * y1 / T(k + 1);
    if (bound < eps) break;
  }
  for (int i = 0; i < s; ++i) E = E * E;
  return E;
}

}  // namespace menagerie::ref
