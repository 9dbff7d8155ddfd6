// S4D-Lin kernel (bilinear) by its closed form; see core/ops/s4d_kernel.hpp for the math and the backward.
#include "reference/s4d_kernel.hpp"

#include "reference/complex.hpp"
#include "reference/instantiate.hpp"
#include "reference/scalar.hpp"

namespace menagerie::ops::s4d_kernel {

namespace {

using ref::Complex;

// The discretized quantities of one mode (h, n).
template <class T>
struct Mode {
  T dt, ea;                  // Δ, exp(inv_A_real)
  Complex<T> A, Bc, Cc, q;   // A, B, C, 1/(1 − ΔA/2)
  Complex<T> Abar, Cprime;   // Ā, C′
};

template <class T>
Mode<T> mode(const Tensor<T>& log_dt, const Tensor<T>& inv_A_real, const Tensor<T>& A_imag, const Tensor<T>& B,
             const Tensor<T>& C, std::int64_t h, std::int64_t n) {
  using namespace menagerie::ref;
  const std::int64_t M = inv_A_real.size(1), i = h * M + n;
  Mode<T> m;
  m.dt = exp(log_dt.data()[h]);
  m.ea = exp(inv_A_real.data()[i]);
  m.A = Complex<T>(-m.ea, A_imag.data()[i]);
  m.Bc = Complex<T>(B.data()[2 * i], B.data()[2 * i + 1]);
  m.Cc = Complex<T>(C.data()[2 * i], C.data()[2 * i + 1]);
  const Complex<T> half_x = m.A * (m.dt / T(2));
  m.q = Complex<T>(T(1)) / (Complex<T>(T(1)) - half_x);
  m.Abar = (Complex<T>(T(1)) + half_x) * m.q;
  m.Cprime = m.Bc * m.Cc * m.q * m.dt;
  return m;
}

void check(const Shape& log_dt, const Shape& a, const Shape& th, std::int64_t nb, std::int64_t nc) {
  require<ShapeError>(log_dt.size() == 1 && a.size() == 2 && a[0] == log_dt[0] && th == a &&
                          nb == 2 * a[0] * a[1] && nc == nb,
                      "s4d_kernel: parameter shapes log_dt ", shape_str(log_dt), ", inv_A_real ", shape_str(a),
                      ", A_imag ", shape_str(th), " with ", nb, " B and ", nc, " C values do not fit [H], [H, N/2], ",
                      "[H, N/2], H N values");
}

}  // namespace

template <class T>
Tensor<T> kernel(const Tensor<T>& log_dt, const Tensor<T>& inv_A_real, const Tensor<T>& A_imag, const Tensor<T>& B,
                 const Tensor<T>& C, std::int64_t L) {
  check(log_dt.shape(), inv_A_real.shape(), A_imag.shape(), B.numel(), C.numel());
  const std::int64_t H = inv_A_real.size(0), M = inv_A_real.size(1);
  Tensor<T> K({H, L}, T(0));
  for (std::int64_t h = 0; h < H; ++h)
    for (std::int64_t n = 0; n < M; ++n) {
      const auto m = mode(log_dt, inv_A_real, A_imag, B, C, h, n);
      Complex<T> term = m.Cprime;  // C′ Ā^ℓ
      for (std::int64_t l = 0; l < L; ++l) {
        K(h, l) += T(2) * term.re;
        term = term * m.Abar;
      }
    }
  return K;
}

template <class T>
void kernel_backward(const Tensor<T>& log_dt, const Tensor<T>& inv_A_real, const Tensor<T>& A_imag,
                     const Tensor<T>& B, const Tensor<T>& C, const Tensor<T>& dK, Tensor<T>& dlog_dt,
                     Tensor<T>& dinv_A_real, Tensor<T>& dA_imag, Tensor<T>& dB, Tensor<T>& dC) {
  check(log_dt.shape(), inv_A_real.shape(), A_imag.shape(), B.numel(), C.numel());
  const std::int64_t H = inv_A_real.size(0), M = inv_A_real.size(1), L = dK.size(1);
  require<ShapeError>(dK.shape() == Shape{H, L}, "s4d_kernel: dK ", shape_str(dK.shape()), " expected [H, L]");
  dlog_dt = Tensor<T>(log_dt.shape(), T(0));
  dinv_A_real = Tensor<T>(inv_A_real.shape(), T(0));
  dA_imag = Tensor<T>(A_imag.shape(), T(0));
  dB = Tensor<T>(B.shape(), T(0));
  dC = Tensor<T>(C.shape(), T(0));
  for (std::int64_t h = 0; h < H; ++h)
    for (std::int64_t n = 0; n < M; ++n) {
      const auto m = mode(log_dt, inv_A_real, A_imag, B, C, h, n);
      Complex<T> S, S1, pw(T(1)), pw_prev;  // S = 2 Σ dK Ā^ℓ, S1 = 2 Σ ℓ dK Ā^(ℓ−1); pw = Ā^ℓ, pw_prev = Ā^(ℓ−1)
      for (std::int64_t l = 0; l < L; ++l) {
        const T g = T(2) * dK(h, l);
        S += pw * g;
        if (l > 0) S1 += pw_prev * (g * T(static_cast<double>(l)));
        pw_prev = pw;
        pw = pw * m.Abar;
      }
      const Complex<T> q2 = m.q * m.q;
      const Complex<T> gx = S * m.Bc * m.Cc * q2 * (m.dt / T(2)) + m.Cprime * S1 * q2;
      const Complex<T> gB = S * m.Cc * m.q * m.dt, gC = S * m.Bc * m.q * m.dt;
      const std::int64_t i = h * M + n;
      dB.data()[2 * i] = gB.re;
      dB.data()[2 * i + 1] = -gB.im;
      dC.data()[2 * i] = gC.re;
      dC.data()[2 * i + 1] = -gC.im;
      dinv_A_real.data()[i] = -m.dt * m.ea * gx.re;
      dA_imag.data()[i] = -m.dt * gx.im;
      dlog_dt.data()[h] += m.dt * (gx * m.A + S * m.Bc * m.Cc * m.q).re;
    }
}

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto s = tensors(p);
  get(out, "K", s[5].shape) = kernel(get(in, "log_dt", s[0].shape), get(in, "inv_A_real", s[1].shape),
                                     get(in, "A_imag", s[2].shape), get(in, "B", s[3].shape), get(in, "C", s[4].shape),
                                     p.T);
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  p.validate();
  const auto s = tensors(p);
  Tensor<T> dlog_dt, da, dth, dB, dC;
  kernel_backward(get(in, "log_dt", s[0].shape), get(in, "inv_A_real", s[1].shape), get(in, "A_imag", s[2].shape),
                  get(in, "B", s[3].shape), get(in, "C", s[4].shape), get(d_out, "K", s[5].shape), dlog_dt, da, dth,
                  dB, dC);
  d_in.insert_or_assign("log_dt", std::move(dlog_dt));
  d_in.insert_or_assign("inv_A_real", std::move(da));
  d_in.insert_or_assign("A_imag", std::move(dth));
  d_in.insert_or_assign("B", std::move(dB));
  d_in.insert_or_assign("C", std::move(dC));
}

#define INSTANTIATE(T)                                                                                             \
  template Tensor<T> kernel<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,             \
                               const Tensor<T>&, std::int64_t);                                                    \
  template void kernel_backward<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,         \
                                   const Tensor<T>&, const Tensor<T>&, Tensor<T>&, Tensor<T>&, Tensor<T>&,         \
                                   Tensor<T>&, Tensor<T>&);                                                        \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                                  \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::s4d_kernel
