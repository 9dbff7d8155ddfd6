// RTF kernel: the state-free form, the companion recurrence and the adjoint; see core/ops/rtf_kernel.hpp for the math.
#include "reference/rtf_kernel.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

#include "reference/complex.hpp"
#include "reference/fft.hpp"
#include "reference/instantiate.hpp"
#include "reference/scalar.hpp"

namespace menagerie::ops::rtf_kernel {

namespace {

using ref::Complex;

void check(const Shape& a, const Shape& b, const Shape& h0, std::int64_t len, std::int64_t n) {
  require<ShapeError>(a.size() == 2 && b == a && h0.size() == 1 && h0[0] == a[0], "rtf_kernel: a ", shape_str(a),
                      ", b ", shape_str(b), " and h0 ", shape_str(h0), " do not fit [D, N], [D, N], [D]");
  require<ShapeError>(len >= 1 && n >= std::max(len, a[1] + 1), "rtf_kernel: DFT size n = ", n, " for ", len,
                      " taps of order ", a[1], ", expected n >= max(T, N + 1)");
}

// DFT_n of (lead, c[ch, 0], ..., c[ch, N−1], 0, ..., 0): the polynomial lead + sum_i c_i z^{−i} at z = ω^k.
template <class T>
std::vector<Complex<T>> spectrum(const Tensor<T>& c, std::int64_t ch, const T& lead, std::int64_t n) {
  std::vector<Complex<T>> x(static_cast<std::size_t>(n));
  x[0].re = lead;
  for (std::int64_t i = 0; i < c.size(1); ++i) x[static_cast<std::size_t>(i + 1)].re = c(ch, i);
  ref::fft(x, false);
  return x;
}

// Â of channel ch. A value within the rounding error of its evaluation, |Â_k| <= 8 n eps (1 + sum_i |a_i|), counts as
// zero: a pole on the n-th roots of unity, refused.
template <class T>
std::vector<Complex<T>> denominator(const Tensor<T>& a, std::int64_t ch, std::int64_t n) {
  using ref::abs;
  T scale = T(1);
  for (std::int64_t i = 0; i < a.size(1); ++i) scale += abs(a(ch, i));
  const T tiny = T(8) * T(n) * std::numeric_limits<T>::epsilon() * scale;
  auto A = spectrum(a, ch, T(1), n);
  for (std::size_t k = 0; k < A.size(); ++k)
    require(A[k].re * A[k].re + A[k].im * A[k].im > tiny * tiny, "rtf_kernel: the denominator of channel ", ch,
            " vanishes at ω^", k, " (a pole on the ", n, "-th roots of unity): the kernel is undefined");
  return A;
}

// x <- A x for the companion matrix of channel ch: (A x)_0 = −a·x, (A x)_i = x_{i−1}.
template <class T>
void companion_step(const Tensor<T>& a, std::int64_t ch, std::vector<T>& x) {
  T top = T(0);
  for (std::size_t i = 0; i < x.size(); ++i) top -= a(ch, static_cast<std::int64_t>(i)) * x[i];
  for (std::size_t i = x.size() - 1; i > 0; --i) x[i] = x[i - 1];
  x[0] = top;
}

// Solves M y = r (M row-major m x m, m >= 1) by Gaussian elimination with partial pivoting. A pivot within the
// rounding error of forming M, 8 m n eps max |M|, counts as zero: M = I − A^n singular, refused.
template <class T>
std::vector<T> solve(std::vector<T> M, std::vector<T> r, std::int64_t ch, std::int64_t n) {
  using ref::abs;
  const std::size_t m = r.size();
  T big = T(0);
  for (const T& v : M) big = std::max<T>(big, abs(v));
  const T tiny = T(8) * T(static_cast<std::int64_t>(m)) * T(n) * std::numeric_limits<T>::epsilon() * big;
  for (std::size_t col = 0; col < m; ++col) {
    std::size_t piv = col;
    for (std::size_t i = col + 1; i < m; ++i)
      if (abs(M[i * m + col]) > abs(M[piv * m + col])) piv = i;
    require(abs(M[piv * m + col]) > tiny, "rtf_kernel: I − A^n is singular for channel ", ch,
            " (a pole on the ", n, "-th roots of unity): the companion form is undefined");
    if (piv != col) {
      for (std::size_t j = 0; j < m; ++j) std::swap(M[piv * m + j], M[col * m + j]);
      std::swap(r[piv], r[col]);
    }
    for (std::size_t i = col + 1; i < m; ++i) {
      const T f = M[i * m + col] / M[col * m + col];
      for (std::size_t j = col; j < m; ++j) M[i * m + j] -= f * M[col * m + j];
      r[i] -= f * r[col];
    }
  }
  std::vector<T> y(m);
  for (std::size_t i = m; i-- > 0;) {
    T s = r[i];
    for (std::size_t j = i + 1; j < m; ++j) s -= M[i * m + j] * y[j];
    y[i] = s / M[i * m + i];
  }
  return y;
}

}  // namespace

template <class T>
Tensor<T> kernel(const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& h0, std::int64_t len, std::int64_t n) {
  check(a.shape(), b.shape(), h0.shape(), len, n);
  const std::int64_t D = a.size(0);
  Tensor<T> K({D, len});
  for (std::int64_t ch = 0; ch < D; ++ch) {
    const auto A = denominator(a, ch, n);
    auto G = spectrum(b, ch, T(0), n);
    for (std::size_t k = 0; k < G.size(); ++k) G[k] = G[k] / A[k];
    ref::fft(G, true);
    for (std::int64_t t = 0; t < len; ++t) K(ch, t) = G[static_cast<std::size_t>(t)].re;
    K(ch, 0) += h0(ch);
  }
  return K;
}

template <class T>
Tensor<T> kernel_companion(const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& h0, std::int64_t len,
                           std::int64_t n) {
  check(a.shape(), b.shape(), h0.shape(), len, n);
  const std::int64_t D = a.size(0), N = a.size(1);
  const auto m = static_cast<std::size_t>(N);
  Tensor<T> K({D, len});
  for (std::int64_t ch = 0; ch < D; ++ch) {
    std::vector<T> Mt(m * m);  // (I − A^n)ᵀ, row-major: Mt[j][i] = δ_ij − (A^n)_ij
    for (std::size_t j = 0; j < m; ++j) {
      std::vector<T> x(m, T(0));
      x[j] = T(1);
      for (std::int64_t s = 0; s < n; ++s) companion_step(a, ch, x);  // x = A^n e_j, column j of A^n
      for (std::size_t i = 0; i < m; ++i) Mt[j * m + i] = (i == j ? T(1) : T(0)) - x[i];
    }
    std::vector<T> bc(m);
    for (std::size_t i = 0; i < m; ++i) bc[i] = b(ch, static_cast<std::int64_t>(i));
    const std::vector<T> C = solve(std::move(Mt), std::move(bc), ch, n);
    std::vector<T> x(m, T(0));  // x_1 = A x_0 + e_1 u_0 = e_1
    x[0] = T(1);
    for (std::int64_t t = 1; t <= n; ++t) {
      T y = T(0);
      for (std::size_t i = 0; i < m; ++i) y += C[i] * x[i];
      if (t < len) K(ch, t) = y;
      if (t == n) K(ch, 0) = h0(ch) + y;  // y_0 = h0 plus the wrap-around C·x_n
      companion_step(a, ch, x);
    }
  }
  return K;
}

template <class T>
void kernel_backward(const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& dK, std::int64_t n, Tensor<T>& da,
                     Tensor<T>& db, Tensor<T>& dh0) {
  require<ShapeError>(dK.shape().size() == 2 && dK.size(0) == a.size(0), "rtf_kernel: dK ", shape_str(dK.shape()),
                      " expected [D, T] with D = ", a.size(0));
  const std::int64_t D = a.size(0), N = a.size(1), len = dK.size(1);
  check(a.shape(), b.shape(), Shape{D}, len, n);
  da = Tensor<T>(a.shape(), T(0));
  db = Tensor<T>(b.shape(), T(0));
  dh0 = Tensor<T>({D}, T(0));
  for (std::int64_t ch = 0; ch < D; ++ch) {
    const auto A = denominator(a, ch, n);
    auto G = spectrum(b, ch, T(0), n);
    std::vector<Complex<T>> R(static_cast<std::size_t>(n)), RG(R.size());
    for (std::int64_t t = 0; t < len; ++t) R[static_cast<std::size_t>(t)].re = dK(ch, t);
    ref::fft(R, true);  // Q_k = (1/n) sum_t dK[t] ω^{kt}
    for (std::size_t k = 0; k < R.size(); ++k) {
      G[k] = G[k] / A[k];
      R[k] = R[k] / A[k];
      RG[k] = R[k] * G[k];
    }
    ref::fft(R, false);
    ref::fft(RG, false);
    for (std::int64_t i = 0; i < N; ++i) {
      db(ch, i) = R[static_cast<std::size_t>(i + 1)].re;
      da(ch, i) = -RG[static_cast<std::size_t>(i + 1)].re;
    }
    dh0(ch) = dK(ch, 0);
  }
}

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto s = tensors(p);
  get(out, "K", s[3].shape) =
      kernel(get(in, "a", s[0].shape), get(in, "b", s[1].shape), get(in, "h0", s[2].shape), p.T, p.fft_size());
}

template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto s = tensors(p);
  get(out, "K", s[3].shape) = kernel_companion(get(in, "a", s[0].shape), get(in, "b", s[1].shape),
                                               get(in, "h0", s[2].shape), p.T, p.fft_size());
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  p.validate();
  const auto s = tensors(p);
  get(in, "h0", s[2].shape);  // present and of its shape, though no gradient depends on its value
  Tensor<T> da, db, dh0;
  kernel_backward(get(in, "a", s[0].shape), get(in, "b", s[1].shape), get(d_out, "K", s[3].shape), p.fft_size(), da,
                  db, dh0);
  d_in.insert_or_assign("a", std::move(da));
  d_in.insert_or_assign("b", std::move(db));
  d_in.insert_or_assign("h0", std::move(dh0));
}

#define INSTANTIATE(T)                                                                                              \
  template Tensor<T> kernel<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, std::int64_t, std::int64_t);  \
  template Tensor<T> kernel_companion<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, std::int64_t,       \
                                         std::int64_t);                                                             \
  template void kernel_backward<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, std::int64_t, Tensor<T>&, \
                                   Tensor<T>&, Tensor<T>&);                                                         \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                                   \
  template void reference_forward_recurrent<T>(const Problem&, const Named<T>&, Named<T>&);                         \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::rtf_kernel
