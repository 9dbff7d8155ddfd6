// S4 DPLR kernel: the generating-function route, the powering form and the adjoint; see core/ops/s4_kernel.hpp.
#include "reference/s4_kernel.hpp"

#include <boost/math/constants/constants.hpp>

#include "reference/cmatrix.hpp"
#include "reference/fft.hpp"
#include "reference/instantiate.hpp"

namespace menagerie::ops::s4_kernel {

namespace {

using std::cos;
using std::exp;
using std::sin;
using ref::CMat;
using ref::Complex;
using ref::CVec;

// One channel's SSM over the full state (each stored mode followed, N/2 later, by its conjugate).
template <class T>
struct Ssm {
  CVec<T> lam, p, b, c;
  T dt;
  std::int64_t n() const { return static_cast<std::int64_t>(lam.size()); }
};

template <class T>
Ssm<T> channel(const Problem& pr, const Named<T>& in, std::int64_t ch) {
  const auto s = tensors(pr);
  const auto& lr = get(in, "Lambda_re", s[0].shape);
  const auto& li = get(in, "Lambda_im", s[1].shape);
  const auto& P = get(in, "P", s[2].shape);
  const auto& B = get(in, "B", s[3].shape);
  const auto& C = get(in, "C", s[4].shape);
  const std::int64_t M = pr.modes();
  Ssm<T> m{CVec<T>(2 * M), CVec<T>(2 * M), CVec<T>(2 * M), CVec<T>(2 * M), exp(get(in, "log_dt", s[5].shape)(ch))};
  for (std::int64_t i = 0; i < M; ++i) {
    const auto j = static_cast<std::size_t>(i), k = static_cast<std::size_t>(i + M);
    m.lam[j] = Complex<T>(lr(ch, i), li(ch, i));
    m.p[j] = Complex<T>(P(ch, i, 0), P(ch, i, 1));
    m.b[j] = Complex<T>(B(ch, i, 0), B(ch, i, 1));
    m.c[j] = Complex<T>(C(ch, i, 0), C(ch, i, 1));
    m.lam[k] = conj(m.lam[j]);
    m.p[k] = conj(m.p[j]);
    m.b[k] = conj(m.b[j]);
    m.c[k] = conj(m.c[j]);
  }
  return m;
}

// A = diag(λ) − p p*.
template <class T>
CMat<T> dense_A(const Ssm<T>& m) {
  CMat<T> A(m.n());
  for (std::int64_t i = 0; i < m.n(); ++i)
    for (std::int64_t j = 0; j < m.n(); ++j) A(i, j) = Complex<T>(T(0)) - m.p[i] * conj(m.p[j]);
  for (std::int64_t i = 0; i < m.n(); ++i) A(i, i) += m.lam[i];
  return A;
}

// M = I − s A (bilinear's left factor).
template <class T>
CMat<T> left_factor(const CMat<T>& A, const T& s) {
  CMat<T> M = CMat<T>::identity(A.n);
  for (std::size_t i = 0; i < M.a.size(); ++i) M.a[i] = M.a[i] - A.a[i] * s;
  return M;
}

// X = Δ [A b; 0 0], (n + 1) x (n + 1).
template <class T>
CMat<T> zoh_generator(const Ssm<T>& m, const CMat<T>& A) {
  CMat<T> X(m.n() + 1);
  for (std::int64_t i = 0; i < m.n(); ++i) {
    for (std::int64_t j = 0; j < m.n(); ++j) X(i, j) = A(i, j) * m.dt;
    X(i, m.n()) = m.b[i] * m.dt;
  }
  return X;
}

template <class T>
struct Discrete {
  CMat<T> Abar;
  CVec<T> Bbar;
};

// Ā, B̄ formed densely.
template <class T>
Discrete<T> discretise(const Ssm<T>& m, Disc disc) {
  const CMat<T> A = dense_A(m);
  const std::int64_t n = m.n();
  Discrete<T> d{CMat<T>(n), CVec<T>(m.b.size())};
  if (disc == Disc::bilinear) {
    const CMat<T> M = left_factor(A, m.dt / T(2));
    d.Abar = ref::solve(M, CMat<T>::identity(n));
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < n; ++j) d.Abar(i, j) = d.Abar(i, j) * T(2) - Complex<T>(T(i == j ? 1 : 0));
    CVec<T> rhs = m.b;
    for (auto& v : rhs) v = v * m.dt;
    d.Bbar = ref::solve(M, rhs);
  } else {
    const CMat<T> E = ref::expm(zoh_generator(m, A));
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t j = 0; j < n; ++j) d.Abar(i, j) = E(i, j);
      d.Bbar[static_cast<std::size_t>(i)] = E(i, n);
    }
  }
  return d;
}

template <class T>
Complex<T> dot(const CVec<T>& x, const CVec<T>& y) {  // Σ x_i y_i (no conjugate)
  Complex<T> s;
  for (std::size_t i = 0; i < x.size(); ++i) s += x[i] * y[i];
  return s;
}

// C̃ = c (I − Ā^L) for bilinear by the DPLR row recurrence r ← 2 r M^{-1} − r, with r M^{-1} = y, Mᵀ y = r,
// Mᵀ = E + s p̄ pᵀ, E = diag(1 − s λ): y = E^{-1} r − s E^{-1} p̄ (pᵀ E^{-1} r) / (1 + s pᵀ E^{-1} p̄).
template <class T>
CVec<T> c_tilde_bilinear(const Ssm<T>& m, std::int64_t L) {
  const T s = m.dt / T(2);
  const std::size_t n = m.lam.size();
  CVec<T> einv(n), q(n);  // E^{-1}, E^{-1} p̄
  for (std::size_t i = 0; i < n; ++i) {
    einv[i] = Complex<T>(T(1)) / (Complex<T>(T(1)) - m.lam[i] * s);
    q[i] = einv[i] * conj(m.p[i]);
  }
  const Complex<T> denom = Complex<T>(T(1)) + dot(m.p, q) * s;
  CVec<T> r = m.c, y(n);
  for (std::int64_t t = 0; t < L; ++t) {
    for (std::size_t i = 0; i < n; ++i) y[i] = einv[i] * r[i];
    const Complex<T> f = dot(m.p, y) * s / denom;
    for (std::size_t i = 0; i < n; ++i) r[i] = (y[i] - q[i] * f) * T(2) - r[i];
  }
  CVec<T> ct(n);
  for (std::size_t i = 0; i < n; ++i) ct[i] = m.c[i] - r[i];
  return ct;
}

// C̃ = c (I − Ā^L) by L dense row steps.
template <class T>
CVec<T> c_tilde_dense(const CVec<T>& c, const CMat<T>& Abar, std::int64_t L) {
  CVec<T> r = c;
  const CMat<T> At = [&] {
    CMat<T> t(Abar.n);
    for (std::int64_t i = 0; i < Abar.n; ++i)
      for (std::int64_t j = 0; j < Abar.n; ++j) t(j, i) = Abar(i, j);
    return t;
  }();
  for (std::int64_t t = 0; t < L; ++t) r = At * r;
  CVec<T> ct(c.size());
  for (std::size_t i = 0; i < c.size(); ++i) ct[i] = c[i] - r[i];
  return ct;
}

// Σ_n u_n v_n / (a − β λ_n): the Cauchy kernel at a/β, in homogeneous form.
template <class T>
Complex<T> cauchy(const CVec<T>& u, const CVec<T>& v, const CVec<T>& lam, const Complex<T>& a, const Complex<T>& beta) {
  Complex<T> s;
  for (std::size_t i = 0; i < lam.size(); ++i) s += u[i] * v[i] / (a - beta * lam[i]);
  return s;
}

template <class T>
std::vector<T> kernel_generating(const Ssm<T>& m, Disc disc, std::int64_t L) {
  const T pi = boost::math::constants::pi<T>();
  CVec<T> Khat(static_cast<std::size_t>(L));
  if (disc == Disc::bilinear) {
    const CVec<T> ct = c_tilde_bilinear(m, L);
    CVec<T> pbar(m.p.size());
    for (std::size_t i = 0; i < pbar.size(); ++i) pbar[i] = conj(m.p[i]);
    for (std::int64_t k = 0; k < L; ++k) {
      const T ang = T(-2) * pi * T(k) / T(L);
      const Complex<T> z(cos(ang), sin(ang)), one(T(1));
      const Complex<T> a = (one - z) * (T(2) / m.dt), beta = one + z;
      const Complex<T> k00 = cauchy(ct, m.b, m.lam, a, beta), k01 = cauchy(ct, m.p, m.lam, a, beta),
                       k10 = cauchy(pbar, m.b, m.lam, a, beta), k11 = cauchy(pbar, m.p, m.lam, a, beta);
      Khat[static_cast<std::size_t>(k)] = (k00 - beta * k01 * k10 / (one + beta * k11)) * T(2);
    }
  } else {
    const Discrete<T> d = discretise(m, disc);
    const CVec<T> ct = c_tilde_dense(m.c, d.Abar, L);
    for (std::int64_t k = 0; k < L; ++k) {
      const T ang = T(-2) * pi * T(k) / T(L);
      const Complex<T> z(cos(ang), sin(ang));
      CMat<T> R = CMat<T>::identity(d.Abar.n);
      for (std::size_t i = 0; i < R.a.size(); ++i) R.a[i] = R.a[i] - z * d.Abar.a[i];
      Khat[static_cast<std::size_t>(k)] = dot(ct, ref::solve(R, d.Bbar));
    }
  }
  ref::fft(Khat, true);
  std::vector<T> K(static_cast<std::size_t>(L));
  for (std::size_t t = 0; t < K.size(); ++t) K[t] = Khat[t].re;
  return K;
}

template <class T>
std::vector<CVec<T>> states(const Discrete<T>& d, std::int64_t L) {  // v_t = Ā^t B̄, t < L
  std::vector<CVec<T>> v{d.Bbar};
  for (std::int64_t t = 1; t < L; ++t) v.push_back(d.Abar * v.back());
  return v;
}

template <class T>
void fill(const Problem& p, const Named<T>& in, Named<T>& out, bool generating) {
  p.validate();
  auto& K = get(out, "K", tensors(p)[6].shape);
  for (std::int64_t ch = 0; ch < p.D; ++ch) {
    const Ssm<T> m = channel(p, in, ch);
    if (generating) {
      const auto k = kernel_generating(m, p.disc, p.T);
      for (std::int64_t t = 0; t < p.T; ++t) K(ch, t) = k[static_cast<std::size_t>(t)];
    } else {
      const auto v = states(discretise(m, p.disc), p.T);
      for (std::int64_t t = 0; t < p.T; ++t) K(ch, t) = dot(m.c, v[static_cast<std::size_t>(t)]).re;
    }
  }
}

// G_x (complex gradient) of the stored parameters from the full state's G_λ, G_p, G_b, G_c: own half + conj(other).
template <class T>
void fold(const CVec<T>& g, Tensor<T>& re_im, std::int64_t ch) {
  const auto M = static_cast<std::int64_t>(g.size() / 2);
  for (std::int64_t i = 0; i < M; ++i) {
    const Complex<T> v = g[static_cast<std::size_t>(i)] + conj(g[static_cast<std::size_t>(i + M)]);
    re_im(ch, i, 0) = v.re;
    re_im(ch, i, 1) = v.im;
  }
}

template <class T>
T re_inner(const Complex<T>* x, const Complex<T>* y, std::size_t n) {  // Re Σ conj(x_i) y_i
  T s = T(0);
  for (std::size_t i = 0; i < n; ++i) s += x[i].re * y[i].re + x[i].im * y[i].im;
  return s;
}

}  // namespace

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  fill(p, in, out, true);
}

template <class T>
void reference_forward_powering(const Problem& p, const Named<T>& in, Named<T>& out) {
  fill(p, in, out, false);
}

template <class T>
std::vector<Form<Problem, T>> reference_forms(const Problem&) {
  return {{"powering", &reference_forward_powering<T>}};
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  p.validate();
  const auto specs = tensors(p);
  const auto& dK = get(d_out, "K", specs[6].shape);
  Tensor<T> dlr(specs[0].shape, T(0)), dli(specs[1].shape, T(0)), dP(specs[2].shape, T(0)), dB(specs[3].shape, T(0)),
      dC(specs[4].shape, T(0)), dlog(specs[5].shape, T(0));
  for (std::int64_t ch = 0; ch < p.D; ++ch) {
    const Ssm<T> m = channel(p, in, ch);
    const std::int64_t n = m.n();
    const auto un = static_cast<std::size_t>(n);
    const CMat<T> A = dense_A(m);
    const Discrete<T> d = discretise(m, p.disc);
    const auto v = states(d, p.T);
    // The powering recurrence's adjoint.
    const CMat<T> AbarH = adjoint(d.Abar);
    CMat<T> gAbar(n);
    CVec<T> gc(un), gnext(un);
    for (std::int64_t t = p.T - 1; t >= 0; --t) {
      const auto& vt = v[static_cast<std::size_t>(t)];
      CVec<T> gv(un);
      if (t + 1 < p.T) {
        gv = AbarH * gnext;
        for (std::int64_t i = 0; i < n; ++i)
          for (std::int64_t j = 0; j < n; ++j) gAbar(i, j) += gnext[i] * conj(vt[j]);
      }
      for (std::size_t i = 0; i < un; ++i) {
        gv[i] += conj(m.c[i]) * dK(ch, t);
        gc[i] += conj(vt[i]) * dK(ch, t);
      }
      gnext = gv;
    }
    const CVec<T>& gBbar = gnext;
    CMat<T> gA(n);
    CVec<T> gb(un);
    T dlogdt;
    if (p.disc == Disc::bilinear) {
      const T s = m.dt / T(2);
      const CMat<T> MinvH = adjoint(ref::solve(left_factor(A, s), CMat<T>::identity(n)));
      CMat<T> gsA = MinvH * gAbar * MinvH;
      const CVec<T> w = MinvH * gBbar;
      for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = 0; j < n; ++j) gsA(i, j) = gsA(i, j) * T(2) + w[i] * conj(d.Bbar[j]);
      for (std::size_t i = 0; i < un; ++i) gb[i] = w[i] * (T(2) * s);
      for (std::size_t i = 0; i < gA.a.size(); ++i) gA.a[i] = gsA.a[i] * s;
      dlogdt = s * (re_inner(gsA.a.data(), A.a.data(), gsA.a.size()) + T(2) * re_inner(w.data(), m.b.data(), un));
    } else {
      const CMat<T> X = zoh_generator(m, A), XH = adjoint(X);
      const std::int64_t k = n + 1;
      CMat<T> Z(2 * k);
      for (std::int64_t i = 0; i < k; ++i)
        for (std::int64_t j = 0; j < k; ++j) Z(i, j) = Z(i + k, j + k) = XH(i, j);
      for (std::int64_t i = 0; i < n; ++i) {
        for (std::int64_t j = 0; j < n; ++j) Z(i, j + k) = gAbar(i, j);
        Z(i, n + k) = gBbar[static_cast<std::size_t>(i)];
      }
      const CMat<T> E = ref::expm(Z);
      CMat<T> gX(k);
      for (std::int64_t i = 0; i < k; ++i)
        for (std::int64_t j = 0; j < k; ++j) gX(i, j) = E(i, j + k);
      for (std::int64_t i = 0; i < n; ++i) {
        for (std::int64_t j = 0; j < n; ++j) gA(i, j) = gX(i, j) * m.dt;
        gb[static_cast<std::size_t>(i)] = gX(i, n) * m.dt;
      }
      dlogdt = re_inner(gX.a.data(), X.a.data(), gX.a.size());
    }
    CVec<T> glam(un), gp(un);
    for (std::int64_t i = 0; i < n; ++i) {
      glam[static_cast<std::size_t>(i)] = gA(i, i);
      for (std::int64_t j = 0; j < n; ++j)
        gp[static_cast<std::size_t>(i)] = gp[static_cast<std::size_t>(i)] - (gA(i, j) + conj(gA(j, i))) * m.p[j];
    }
    Tensor<T> lam2({p.D, p.modes(), 2}, T(0));
    fold(glam, lam2, ch);
    for (std::int64_t i = 0; i < p.modes(); ++i) dlr(ch, i) = lam2(ch, i, 0), dli(ch, i) = lam2(ch, i, 1);
    fold(gp, dP, ch);
    fold(gb, dB, ch);
    fold(gc, dC, ch);
    dlog(ch) = dlogdt;
  }
  d_in.insert_or_assign("Lambda_re", std::move(dlr));
  d_in.insert_or_assign("Lambda_im", std::move(dli));
  d_in.insert_or_assign("P", std::move(dP));
  d_in.insert_or_assign("B", std::move(dB));
  d_in.insert_or_assign("C", std::move(dC));
  d_in.insert_or_assign("log_dt", std::move(dlog));
}

#define INSTANTIATE(T)                                                                         \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);              \
  template void reference_forward_powering<T>(const Problem&, const Named<T>&, Named<T>&);     \
  template std::vector<Form<Problem, T>> reference_forms<T>(const Problem&);                   \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::s4_kernel
