// LSSL: the HiPPO-LegS SSM per channel, bilinear, as a recurrence and as a convolution, and the adjoint; see
// core/ops/lssl.hpp for the math.
#include "reference/lssl.hpp"

#include <utility>

#include "reference/hippo.hpp"
#include "reference/instantiate.hpp"
#include "reference/scalar.hpp"

namespace menagerie::ops::lssl {

namespace {

using std::exp;

// Row-major n x n real matrices as flat vectors.
template <class T>
using Mat = std::vector<T>;

// X with M X = R (R: n x m row-major), Gaussian elimination with partial pivoting.
template <class T>
std::vector<T> solve(Mat<T> M, std::vector<T> R, std::size_t n, std::size_t m) {
  using ref::abs;
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t piv = c;
    for (std::size_t i = c + 1; i < n; ++i)
      if (abs(M[i * n + c]) > abs(M[piv * n + c])) piv = i;
    for (std::size_t j = 0; j < n; ++j) std::swap(M[piv * n + j], M[c * n + j]);
    for (std::size_t j = 0; j < m; ++j) std::swap(R[piv * m + j], R[c * m + j]);
    for (std::size_t i = c + 1; i < n; ++i) {
      const T f = M[i * n + c] / M[c * n + c];
      for (std::size_t j = c; j < n; ++j) M[i * n + j] -= f * M[c * n + j];
      for (std::size_t j = 0; j < m; ++j) R[i * m + j] -= f * R[c * m + j];
    }
  }
  for (std::size_t i = n; i-- > 0;)
    for (std::size_t j = 0; j < m; ++j) {
      T s = R[i * m + j];
      for (std::size_t k = i + 1; k < n; ++k) s -= M[i * n + k] * R[k * m + j];
      R[i * m + j] = s / M[i * n + i];
    }
  return R;
}

// One channel: A (LegS), M^{-1} = (I − sA)^{-1}, Ā = 2 M^{-1} − I, B̄ = 2 s M^{-1} B, C, D, s = Δ/2.
template <class T>
struct Channel {
  std::size_t n;
  Mat<T> A, Minv, Abar;
  std::vector<T> Bv, Bbar, Cv;
  T D, s;
};

template <class T>
Channel<T> channel(const Problem& p, const Named<T>& in, std::int64_t h) {
  const auto sp = tensors(p);
  const auto n = static_cast<std::size_t>(p.N);
  Channel<T> c{n, Mat<T>(n * n), {}, Mat<T>(n * n), std::vector<T>(n), std::vector<T>(n), std::vector<T>(n),
               get(in, "D", sp[4].shape)(h), exp(get(in, "log_dt", sp[1].shape)(h)) / T(2)};
  const auto legs = ref::hippo<T>(ref::Measure::legs, p.N, T(1));
  Mat<T> M(n * n), I(n * n, T(0));
  for (std::size_t i = 0; i < n; ++i) {
    I[i * n + i] = T(1);
    c.Bv[i] = get(in, "B", sp[2].shape)(h, static_cast<std::int64_t>(i));
    c.Cv[i] = get(in, "C", sp[3].shape)(h, static_cast<std::int64_t>(i));
    for (std::size_t j = 0; j < n; ++j) {
      c.A[i * n + j] = legs.A(static_cast<std::int64_t>(i), static_cast<std::int64_t>(j));
      M[i * n + j] = (i == j ? T(1) : T(0)) - c.s * c.A[i * n + j];
    }
  }
  c.Minv = solve(M, I, n, n);
  for (std::size_t i = 0; i < n * n; ++i) c.Abar[i] = T(2) * c.Minv[i] - I[i];
  for (std::size_t i = 0; i < n; ++i) {
    T v = T(0);
    for (std::size_t j = 0; j < n; ++j) v += c.Minv[i * n + j] * c.Bv[j];
    c.Bbar[i] = T(2) * c.s * v;
  }
  return c;
}

template <class T>
std::vector<T> matvec(const Mat<T>& M, const std::vector<T>& x, bool transpose) {
  const std::size_t n = x.size();
  std::vector<T> y(n, T(0));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) y[i] += (transpose ? M[j * n + i] : M[i * n + j]) * x[j];
  return y;
}

template <class T>
T dot(const std::vector<T>& x, const std::vector<T>& y) {
  T s = T(0);
  for (std::size_t i = 0; i < x.size(); ++i) s += x[i] * y[i];
  return s;
}

// x_t for every t of (b, h): the recurrence's states.
template <class T>
std::vector<std::vector<T>> states(const Channel<T>& c, const Tensor<T>& u, std::int64_t b, std::int64_t h) {
  std::vector<std::vector<T>> xs;
  std::vector<T> x(c.n, T(0));
  for (std::int64_t t = 0; t < u.size(1); ++t) {
    x = matvec(c.Abar, x, false);
    for (std::size_t i = 0; i < c.n; ++i) x[i] += c.Bbar[i] * u(b, t, h);
    xs.push_back(x);
  }
  return xs;
}

}  // namespace

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto sp = tensors(p);
  const auto& u = get(in, "u", sp[0].shape);
  auto& y = get(out, "y", sp[5].shape);
  for (std::int64_t h = 0; h < p.H; ++h) {
    const Channel<T> c = channel(p, in, h);
    for (std::int64_t b = 0; b < p.B; ++b) {
      const auto xs = states(c, u, b, h);
      for (std::int64_t t = 0; t < p.T; ++t) y(b, t, h) = dot(c.Cv, xs[static_cast<std::size_t>(t)]) + c.D * u(b, t, h);
    }
  }
}

template <class T>
void reference_forward_conv(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto sp = tensors(p);
  const auto& u = get(in, "u", sp[0].shape);
  auto& y = get(out, "y", sp[5].shape);
  for (std::int64_t h = 0; h < p.H; ++h) {
    const Channel<T> c = channel(p, in, h);
    std::vector<T> K, v = c.Bbar;  // K[j] = C Ā^j B̄
    for (std::int64_t j = 0; j < p.T; ++j, v = matvec(c.Abar, v, false)) K.push_back(dot(c.Cv, v));
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t t = 0; t < p.T; ++t) {
        T s = c.D * u(b, t, h);
        for (std::int64_t j = 0; j <= t; ++j) s += K[static_cast<std::size_t>(j)] * u(b, t - j, h);
        y(b, t, h) = s;
      }
  }
}

template <class T>
std::vector<Form<Problem, T>> reference_forms(const Problem&) {
  return {{"convolution", &reference_forward_conv<T>}};
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  p.validate();
  const auto sp = tensors(p);
  const auto& u = get(in, "u", sp[0].shape);
  const auto& dy = get(d_out, "y", sp[5].shape);
  Tensor<T> du(sp[0].shape, T(0)), dlog(sp[1].shape, T(0)), dB(sp[2].shape, T(0)), dC(sp[3].shape, T(0)),
      dD(sp[4].shape, T(0));
  for (std::int64_t h = 0; h < p.H; ++h) {
    const Channel<T> c = channel(p, in, h);
    const std::size_t n = c.n;
    Mat<T> gAbar(n * n, T(0));
    std::vector<T> gBbar(n, T(0));
    for (std::int64_t b = 0; b < p.B; ++b) {
      const auto xs = states(c, u, b, h);
      std::vector<T> lam(n, T(0));  // λ_{t+1}
      for (std::int64_t t = p.T - 1; t >= 0; --t) {
        const auto& xt = xs[static_cast<std::size_t>(t)];
        const T g = dy(b, t, h);
        if (t + 1 < p.T)
          for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < n; ++j) gAbar[i * n + j] += lam[i] * xt[j];
        lam = matvec(c.Abar, lam, true);
        for (std::size_t i = 0; i < n; ++i) {
          lam[i] += c.Cv[i] * g;
          dC(h, static_cast<std::int64_t>(i)) += g * xt[i];
          gBbar[i] += lam[i] * u(b, t, h);
        }
        du(b, t, h) = c.D * g + dot(c.Bbar, lam);
        dD(h) += g * u(b, t, h);
      }
    }
    const std::vector<T> w = matvec(c.Minv, gBbar, true);
    T dLds = T(0);
    for (std::size_t i = 0; i < n; ++i) {
      dB(h, static_cast<std::int64_t>(i)) = T(2) * c.s * w[i];
      dLds += T(2) * w[i] * c.Bv[i];
    }
    // G_{sA} = 2 M^{-T} G_Ā M^{-T} + w B̄ᵀ, contracted with A.
    Mat<T> tmp(n * n, T(0));
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0; k < n; ++k)
        for (std::size_t j = 0; j < n; ++j) tmp[i * n + j] += c.Minv[k * n + i] * gAbar[k * n + j];
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) {
        T g = T(0);
        for (std::size_t k = 0; k < n; ++k) g += tmp[i * n + k] * c.Minv[j * n + k];
        dLds += (T(2) * g + w[i] * c.Bbar[j]) * c.A[i * n + j];
      }
    dlog(h) = c.s * dLds;
  }
  d_in.insert_or_assign("u", std::move(du));
  d_in.insert_or_assign("log_dt", std::move(dlog));
  d_in.insert_or_assign("B", std::move(dB));
  d_in.insert_or_assign("C", std::move(dC));
  d_in.insert_or_assign("D", std::move(dD));
}

#define INSTANTIATE(T)                                                                        \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);             \
  template void reference_forward_conv<T>(const Problem&, const Named<T>&, Named<T>&);        \
  template std::vector<Form<Problem, T>> reference_forms<T>(const Problem&);                  \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::lssl
