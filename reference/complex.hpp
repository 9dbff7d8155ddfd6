// A minimal complex number over any real scalar T (float, double, Mp) for the SSM kernel references, since
// std::complex<Mp> is unreliable. z = re + i im;  z w = (ac − bd) + (ad + bc) i;  z / w = z conj(w) / |w|^2.
#pragma once
#include <utility>

namespace menagerie::ref {

template <class T>
struct Complex {
  T re{}, im{};
  Complex() = default;
  Complex(T r, T i) : re(std::move(r)), im(std::move(i)) {}
  explicit Complex(T r) : re(std::move(r)), im(T(0)) {}
};

template <class T> Complex<T> operator+(const Complex<T>& a, const Complex<T>& b) { return {a.re + b.re, a.im + b.im}; }
template <class T> Complex<T> operator-(const Complex<T>& a, const Complex<T>& b) { return {a.re - b.re, a.im - b.im}; }
template <class T> Complex<T> operator*(const Complex<T>& a, const Complex<T>& b) {
  return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
template <class T> Complex<T> operator*(const Complex<T>& a, const T& s) { return {a.re * s, a.im * s}; }
template <class T> Complex<T> operator/(const Complex<T>& a, const Complex<T>& b) {
  const T n = b.re * b.re + b.im * b.im;
  return {(a.re * b.re + a.im * b.im) / n, (a.im * b.re - a.re * b.im) / n};
}
template <class T> Complex<T>& operator+=(Complex<T>& a, const Complex<T>& b) { return a = a + b; }
template <class T> Complex<T> conj(const Complex<T>& a) { return {a.re, -a.im}; }

}  // namespace menagerie::ref
