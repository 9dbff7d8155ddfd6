// The selective scan by its unrolled sum, by its recurrence, and its hand-derived backward (the adjoint sweep);
// see core/ops/selective_scan.hpp for the math.
#include "reference/selective_scan.hpp"

#include <vector>

#include "reference/instantiate.hpp"
#include "reference/scalar.hpp"

namespace menagerie::ops::selective_scan {

namespace {

template <class T>
struct Inputs {
  const Tensor<T> &x, &delta, &A, &B, &C, &D;  // [B,T,D], [B,T,D], [D,N], [B,T,N], [B,T,N], [D]
};

template <class T>
Inputs<T> inputs(const Problem& p, const Named<T>& in) {
  p.validate();
  const auto specs = tensors(p);
  return {get(in, "x", specs[0].shape), get(in, "delta", specs[1].shape), get(in, "A", specs[2].shape),
          get(in, "B", specs[3].shape), get(in, "C", specs[4].shape),     get(in, "D", specs[5].shape)};
}

}  // namespace

template <class T>
State<T> initial_state(const Problem& p) {
  p.validate();
  return {Tensor<T>({p.B, p.D, p.N}, T(0))};
}

template <class T>
void reference_step(const Problem& p, const Tensor<T>& A, const Tensor<T>& Dskip, const Tensor<T>& x_t,
                    const Tensor<T>& delta_t, const Tensor<T>& B_t, const Tensor<T>& C_t, State<T>& s, Tensor<T>& y_t) {
  using namespace menagerie::ref;
  const Shape bd = {p.B, p.D}, bn = {p.B, p.N};
  require<ShapeError>(x_t.shape() == bd && delta_t.shape() == bd && y_t.shape() == bd && B_t.shape() == bn &&
                          C_t.shape() == bn && A.shape() == Shape{p.D, p.N} && Dskip.shape() == Shape{p.D} &&
                          s.h.shape() == Shape{p.B, p.D, p.N},
                      "selective_scan step: expected x_t, delta_t, y_t ", shape_str(bd), ", B_t, C_t ",
                      shape_str(bn), ", A [", p.D, ", ", p.N, "], D [", p.D, "], state [", p.B, ", ", p.D, ", ", p.N,
                      "]");
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t d = 0; d < p.D; ++d) {
      const T dt = delta_t(b, d), x = x_t(b, d);
      T y = Dskip(d) * x;
      for (std::int64_t n = 0; n < p.N; ++n) {
        T& h = s.h(b, d, n);
        h = exp(dt * A(d, n)) * h + dt * B_t(b, n) * x;
        y += C_t(b, n) * h;
      }
      y_t(b, d) = y;
    }
}

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  using namespace menagerie::ref;
  const auto I = inputs(p, in);
  auto& y = get(out, "y", tensors(p)[6].shape);
  // For the current (b, d, n): a[r] = exp(delta_r A[d,n]) and the input term u[r] = delta_r B[r,n] x_r.
  std::vector<T> a(static_cast<std::size_t>(p.T)), u(static_cast<std::size_t>(p.T));
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t d = 0; d < p.D; ++d) {
      for (std::int64_t t = 0; t < p.T; ++t) y(b, t, d) = I.D(d) * I.x(b, t, d);
      for (std::int64_t n = 0; n < p.N; ++n) {
        for (std::int64_t r = 0; r < p.T; ++r) {
          a[static_cast<std::size_t>(r)] = exp(I.delta(b, r, d) * I.A(d, n));
          u[static_cast<std::size_t>(r)] = I.delta(b, r, d) * I.B(b, r, n) * I.x(b, r, d);
        }
        for (std::int64_t t = 0; t < p.T; ++t) {
          T decay = T(1), acc = T(0);  // decay = prod_{r=s+1..t} a[r]
          for (auto s = static_cast<std::size_t>(t) + 1; s-- > 0;) {
            acc += decay * u[s];
            decay *= a[s];
          }
          y(b, t, d) += I.C(b, t, n) * acc;
        }
      }
    }
}

template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out) {
  const auto I = inputs(p, in);
  auto& y = get(out, "y", tensors(p)[6].shape);
  auto state = initial_state<T>(p);
  Tensor<T> x_t({p.B, p.D}), dt_t({p.B, p.D}), B_t({p.B, p.N}), C_t({p.B, p.N}), y_t({p.B, p.D});
  for (std::int64_t t = 0; t < p.T; ++t) {
    for (std::int64_t b = 0; b < p.B; ++b) {
      for (std::int64_t d = 0; d < p.D; ++d) {
        x_t(b, d) = I.x(b, t, d);
        dt_t(b, d) = I.delta(b, t, d);
      }
      for (std::int64_t n = 0; n < p.N; ++n) {
        B_t(b, n) = I.B(b, t, n);
        C_t(b, n) = I.C(b, t, n);
      }
    }
    reference_step(p, I.A, I.D, x_t, dt_t, B_t, C_t, state, y_t);
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t d = 0; d < p.D; ++d) y(b, t, d) = y_t(b, d);
  }
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  using namespace menagerie::ref;
  const auto I = inputs(p, in);
  const auto specs = tensors(p);
  const auto& dy = get(d_out, "y", specs[6].shape);
  for (std::size_t i = 0; i < 6; ++i) d_in.insert_or_assign(specs[i].name, Tensor<T>(specs[i].shape, T(0)));
  auto &dx = d_in.at("x"), &ddelta = d_in.at("delta"), &dA = d_in.at("A"), &dB = d_in.at("B"), &dC = d_in.at("C"),
       &dD = d_in.at("D");
  const auto T1 = static_cast<std::size_t>(p.T + 1);
  std::vector<T> h(T1), a(T1);  // h[t+1] = h_t (h[0] = 0), a[t] = exp(delta_t A) for one (b, d, n)
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t d = 0; d < p.D; ++d) {
      for (std::int64_t t = 0; t < p.T; ++t) {
        dD(d) += dy(b, t, d) * I.x(b, t, d);
        dx(b, t, d) += dy(b, t, d) * I.D(d);
      }
      for (std::int64_t n = 0; n < p.N; ++n) {
        h[0] = T(0);
        for (std::int64_t t = 0; t < p.T; ++t) {
          const auto i = static_cast<std::size_t>(t);
          a[i] = exp(I.delta(b, t, d) * I.A(d, n));
          h[i + 1] = a[i] * h[i] + I.delta(b, t, d) * I.B(b, t, n) * I.x(b, t, d);
        }
        T lam = T(0);
        for (std::int64_t t = p.T - 1; t >= 0; --t) {
          const auto i = static_cast<std::size_t>(t);
          const T g = dy(b, t, d), dt = I.delta(b, t, d), x = I.x(b, t, d);
          lam = g * I.C(b, t, n) + (t + 1 < p.T ? a[i + 1] * lam : T(0));
          dC(b, t, n) += g * h[i + 1];
          dx(b, t, d) += lam * dt * I.B(b, t, n);
          ddelta(b, t, d) += lam * (I.A(d, n) * a[i] * h[i] + I.B(b, t, n) * x);
          dA(d, n) += lam * dt * a[i] * h[i];
          dB(b, t, n) += lam * dt * x;
        }
      }
    }
}

#define INSTANTIATE(T)                                                                                              \
  template State<T> initial_state<T>(const Problem&);                                                               \
  template void reference_step<T>(const Problem&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,             \
                                  const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, State<T>&, Tensor<T>&);     \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                                   \
  template void reference_forward_recurrent<T>(const Problem&, const Named<T>&, Named<T>&);                         \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::selective_scan
