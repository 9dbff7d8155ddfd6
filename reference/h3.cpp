// Zoology's H3 by its definition, parallel and step forms; see core/mixers/h3.hpp for the math and names.
// kv and Y are held as [B, T, P·P·H] with channel (i P + j) H + h.
#include "reference/h3.hpp"

#include "reference/complex.hpp"
#include "reference/instantiate.hpp"
#include "reference/linear.hpp"
#include "reference/long_conv.hpp"
#include "reference/s4d_kernel.hpp"
#include "reference/scalar.hpp"
#include "reference/shift_ssm_kernel.hpp"
#include "reference/steps.hpp"

namespace menagerie::mixers::h3 {

namespace {

template <class T>
const Tensor<T>& param(const Problem& p, const Named<T>& in, std::string_view name) {
  for (const auto& s : tensors(p))
    if (s.name == name) return get(in, name, s.shape);
  throw ShapeError(cat("h3: no tensor '", name, "'"));
}

template <class T>
Tensor<T> proj(const Problem& p, const Named<T>& in, const Tensor<T>& x, const std::string& name) {
  const auto& b = param(p, in, name + ".bias");
  return ref::linear(x, param(p, in, name + ".weight"), &b);
}

template <class T>
Tensor<T> s4d(const Problem& p, const Named<T>& in) {
  return ops::s4d_kernel::kernel(param(p, in, "kernel.kernel.log_dt"), param(p, in, "kernel.kernel.inv_A_real"),
                                 param(p, in, "kernel.kernel.A_imag"), param(p, in, "kernel.kernel.B"),
                                 param(p, in, "kernel.kernel.C"), p.T);
}

// Activations of the parallel form.
template <class T>
struct Acts {
  Tensor<T> q, k, v, hs, kt, K, Kexp, kv, Y, out;
};

template <class T>
Acts<T> run(const Problem& p, const Named<T>& in) {
  p.validate();
  const std::int64_t P = p.head_dim, H = p.heads(), D = p.D;
  const auto& u = param(p, in, "u");
  const auto& Dk = param(p, in, "ssm_k_D");
  const auto& Dd = param(p, in, "D");
  Acts<T> a;
  a.q = proj(p, in, u, "q_proj");
  a.k = proj(p, in, u, "k_proj");
  a.v = proj(p, in, u, "v_proj");
  a.hs = ops::shift_ssm_kernel::kernel(param(p, in, "ssm_k_kernel.kernel.B"), param(p, in, "ssm_k_kernel.kernel.C"), p.T);
  a.kt = ops::long_conv::conv(a.k, a.hs);
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t c = 0; c < D; ++c) a.kt(b, t, c) += Dk(c) * a.k(b, t, c);
  a.K = s4d(p, in);
  a.Kexp = Tensor<T>({P * P * H, p.T});
  a.kv = Tensor<T>({p.B, p.T, P * P * H});
  for (std::int64_t i = 0; i < P; ++i)
    for (std::int64_t j = 0; j < P; ++j)
      for (std::int64_t h = 0; h < H; ++h) {
        const std::int64_t ch = (i * P + j) * H + h;
        for (std::int64_t t = 0; t < p.T; ++t) a.Kexp(ch, t) = a.K(h, t);
        for (std::int64_t b = 0; b < p.B; ++b)
          for (std::int64_t t = 0; t < p.T; ++t) a.kv(b, t, ch) = a.kt(b, t, h * P + i) * a.v(b, t, h * P + j);
      }
  a.Y = ops::long_conv::conv(a.kv, a.Kexp);
  a.out = Tensor<T>({p.B, p.T, D}, T(0));
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t i = 0; i < P; ++i)
        for (std::int64_t j = 0; j < P; ++j)
          for (std::int64_t h = 0; h < H; ++h) {
            const std::int64_t ch = (i * P + j) * H + h;
            a.Y(b, t, ch) += Dd(h) * a.kv(b, t, ch);
            a.out(b, t, j * H + h) += a.q(b, t, h * P + i) * a.Y(b, t, ch);
          }
  return a;
}

}  // namespace

template <class T>
State<T> initial_state(const Problem& p) {
  p.validate();
  const std::int64_t P = p.head_dim;
  return {Tensor<T>({p.B, p.D, p.d_state}, T(0)), Tensor<T>({p.B, P, P, p.heads(), p.d_state / 2, 2}, T(0))};
}

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  const auto a = run(p, in);
  get(out, "y", {p.B, p.T, p.D}) = proj(p, in, a.out, "output_linear");
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  using namespace menagerie::ref;
  const auto a = run(p, in);
  const std::int64_t P = p.head_dim, H = p.heads(), D = p.D;
  const auto& u = param(p, in, "u");
  auto zeros = [&](std::string_view name) { return Tensor<T>(param(p, in, name).shape(), T(0)); };
  auto put = [&](std::string_view name, Tensor<T> g) { d_in.insert_or_assign(std::string(name), std::move(g)); };

  Tensor<T> dWo = zeros("output_linear.weight"), dbo = zeros("output_linear.bias");
  const Tensor<T> dout = linear_backward(a.out, param(p, in, "output_linear.weight"), get(d_out, "y", {p.B, p.T, D}), dWo, &dbo);
  // out[jH+h] = Σ_i q[hP+i] Y[i,j,h];  Y = K ∗ kv + Dd kv
  const auto& Dd = param(p, in, "D");
  Tensor<T> dq({p.B, p.T, D}, T(0)), dY(a.Y.shape()), dDd = zeros("D");
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t i = 0; i < P; ++i)
        for (std::int64_t j = 0; j < P; ++j)
          for (std::int64_t h = 0; h < H; ++h) {
            const std::int64_t ch = (i * P + j) * H + h;
            const T g = dout(b, t, j * H + h);
            dY(b, t, ch) = g * a.q(b, t, h * P + i);
            dq(b, t, h * P + i) += g * a.Y(b, t, ch);
            dDd(h) += dY(b, t, ch) * a.kv(b, t, ch);
          }
  Tensor<T> dkv, dKexp;
  ops::long_conv::conv_backward(a.kv, a.Kexp, dY, dkv, dKexp);
  Tensor<T> dK({H, p.T}, T(0)), dkt({p.B, p.T, D}, T(0)), dv({p.B, p.T, D}, T(0));
  for (std::int64_t i = 0; i < P; ++i)
    for (std::int64_t j = 0; j < P; ++j)
      for (std::int64_t h = 0; h < H; ++h) {
        const std::int64_t ch = (i * P + j) * H + h;
        for (std::int64_t t = 0; t < p.T; ++t) dK(h, t) += dKexp(ch, t);
        for (std::int64_t b = 0; b < p.B; ++b)
          for (std::int64_t t = 0; t < p.T; ++t) {
            const T g = dkv(b, t, ch) + Dd(h) * dY(b, t, ch);
            dkt(b, t, h * P + i) += g * a.v(b, t, h * P + j);
            dv(b, t, h * P + j) += g * a.kt(b, t, h * P + i);
          }
      }
  // kt = hs ∗ k + Dk k
  const auto& Dk = param(p, in, "ssm_k_D");
  Tensor<T> dk, dhs, dDk = zeros("ssm_k_D");
  ops::long_conv::conv_backward(a.k, a.hs, dkt, dk, dhs);
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t c = 0; c < D; ++c) {
        dk(b, t, c) += Dk(c) * dkt(b, t, c);
        dDk(c) += dkt(b, t, c) * a.k(b, t, c);
      }
  Tensor<T> dBs, dCs;
  ops::shift_ssm_kernel::kernel_backward(param(p, in, "ssm_k_kernel.kernel.B"), param(p, in, "ssm_k_kernel.kernel.C"),
                                         dhs, dBs, dCs);
  Tensor<T> dlog_dt, da, dth, dB, dC;
  ops::s4d_kernel::kernel_backward(param(p, in, "kernel.kernel.log_dt"), param(p, in, "kernel.kernel.inv_A_real"),
                                   param(p, in, "kernel.kernel.A_imag"), param(p, in, "kernel.kernel.B"),
                                   param(p, in, "kernel.kernel.C"), dK, dlog_dt, da, dth, dB, dC);
  // q, k, v = u W^T + b
  Tensor<T> du(u.shape(), T(0));
  for (const auto& [name, g] : {std::pair<std::string, const Tensor<T>*>{"q_proj", &dq}, {"k_proj", &dk}, {"v_proj", &dv}}) {
    Tensor<T> dW = zeros(name + ".weight"), db = zeros(name + ".bias");
    const Tensor<T> dx = linear_backward(u, param(p, in, name + ".weight"), *g, dW, &db);
    for (std::int64_t n = 0; n < du.numel(); ++n) du.data()[n] += dx.data()[n];
    put(name + ".weight", std::move(dW));
    put(name + ".bias", std::move(db));
  }
  put("u", std::move(du));
  put("ssm_k_kernel.kernel.B", std::move(dBs));
  put("ssm_k_kernel.kernel.C", std::move(dCs));
  put("ssm_k_D", std::move(dDk));
  put("kernel.kernel.C", std::move(dC));
  put("kernel.kernel.log_dt", std::move(dlog_dt));
  put("kernel.kernel.B", std::move(dB));
  put("kernel.kernel.inv_A_real", std::move(da));
  put("kernel.kernel.A_imag", std::move(dth));
  put("D", std::move(dDd));
  put("output_linear.weight", std::move(dWo));
  put("output_linear.bias", std::move(dbo));
}

template <class T>
void reference_step(const Problem& p, const Named<T>& in, State<T>& state, const Tensor<T>& u_t, Tensor<T>& y_t) {
  using namespace menagerie::ref;
  using C = Complex<T>;
  p.validate();
  const std::int64_t P = p.head_dim, H = p.heads(), D = p.D, N = p.d_state, M = N / 2;
  require<ShapeError>(u_t.shape() == Shape{p.B, D} && y_t.shape() == Shape{p.B, D} &&
                          state.shift.shape() == Shape{p.B, D, N} &&
                          state.ssm.shape() == Shape{p.B, P, P, H, M, 2},
                      "h3 step: u_t ", shape_str(u_t.shape()), ", y_t ", shape_str(y_t.shape()), ", state ",
                      shape_str(state.shift.shape()), " / ", shape_str(state.ssm.shape()),
                      " do not fit the problem (see initial_state)");
  const auto q = proj(p, in, u_t, "q_proj"), k = proj(p, in, u_t, "k_proj"), v = proj(p, in, u_t, "v_proj");
  const auto &Bs = param(p, in, "ssm_k_kernel.kernel.B"), &Cs = param(p, in, "ssm_k_kernel.kernel.C");
  const auto& Dk = param(p, in, "ssm_k_D");
  const auto &log_dt = param(p, in, "kernel.kernel.log_dt"), &ia = param(p, in, "kernel.kernel.inv_A_real"),
             &th = param(p, in, "kernel.kernel.A_imag"), &Bd = param(p, in, "kernel.kernel.B"),
             &Cd = param(p, in, "kernel.kernel.C");
  const auto& Dd = param(p, in, "D");
  Tensor<T> out({p.B, D}, T(0));
  for (std::int64_t b = 0; b < p.B; ++b) {
    std::vector<T> kt(static_cast<std::size_t>(D));
    for (std::int64_t c = 0; c < D; ++c) {  // S <- shift(S) + Bs k;  k~ = Cs·S + Dk k
      T acc = Dk(c) * k(b, c);
      for (std::int64_t n = N - 1; n >= 0; --n) {
        state.shift(b, c, n) = (n > 0 ? state.shift(b, c, n - 1) : T(0)) + Bs(c, n) * k(b, c);
        acc += Cs(0, c, n) * state.shift(b, c, n);
      }
      kt[static_cast<std::size_t>(c)] = acc;
    }
    for (std::int64_t i = 0; i < P; ++i)
      for (std::int64_t j = 0; j < P; ++j)
        for (std::int64_t h = 0; h < H; ++h) {
          const T kv = kt[static_cast<std::size_t>(h * P + i)] * v(b, h * P + j);
          const T dt = exp(log_dt(h));
          T y = Dd(h) * kv;
          for (std::int64_t n = 0; n < M; ++n) {  // X <- Ā X + B̄ kv;  y += 2 Re C X
            const C A(-exp(ia(h, n)), th(h, n)), half = A * (dt / T(2));
            const C qn = C(T(1)) / (C(T(1)) - half);
            const C Abar = (C(T(1)) + half) * qn, Bbar = C(Bd(h, n, 0), Bd(h, n, 1)) * qn * dt;
            C X(state.ssm(b, i, j, h, n, 0), state.ssm(b, i, j, h, n, 1));
            X = Abar * X + Bbar * kv;
            state.ssm(b, i, j, h, n, 0) = X.re;
            state.ssm(b, i, j, h, n, 1) = X.im;
            y += T(2) * (C(Cd(0, h, n, 0), Cd(0, h, n, 1)) * X).re;
          }
          out(b, j * H + h) += q(b, h * P + i) * y;
        }
  }
  y_t = proj(p, in, out, "output_linear");
}

template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out) {
  auto state = initial_state<T>(p);
  auto& y = get(out, "y", {p.B, p.T, p.D});
  const auto& u = param(p, in, "u");
  ref::run_steps(u, y, [&](const Tensor<T>& u_t, Tensor<T>& y_t) { reference_step(p, in, state, u_t, y_t); });
}

#define INSTANTIATE(T)                                                                                      \
  template State<T> initial_state<T>(const Problem&);                                                       \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                           \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);         \
  template void reference_step<T>(const Problem&, const Named<T>&, State<T>&, const Tensor<T>&, Tensor<T>&); \
  template void reference_forward_recurrent<T>(const Problem&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::mixers::h3
