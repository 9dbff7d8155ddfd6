// The Mamba mixer as zoology's Mamba computes it (mamba_inner_fn / selective_scan_fn with delta_softplus and the z
// gate), its backward by the chain rule and its step form; see core/mixers/mamba.hpp for the math.
#include "reference/mamba.hpp"

#include <utility>

#include "reference/activations.hpp"
#include "reference/columns.hpp"
#include "reference/instantiate.hpp"
#include "reference/linear.hpp"
#include "reference/steps.hpp"

namespace menagerie::mixers::mamba {

namespace {

using ref::add_columns;
using ref::columns;

template <class T>
struct Params {
  // [2E, d], [E, 1, K], [E], [R + 2N, E], [E, R], [E], [E, N], [E], [d, E]
  const Tensor<T> &Win, &cw, &cb, &Wx, &Wdt, &bdt, &A_log, &D, &Wout;
};

template <class T>
Params<T> params(const Problem& p, const Named<T>& in) {
  p.validate();
  const auto s = tensors(p);
  return {get(in, s[1].name, s[1].shape), get(in, s[2].name, s[2].shape), get(in, s[3].name, s[3].shape),
          get(in, s[4].name, s[4].shape), get(in, s[5].name, s[5].shape), get(in, s[6].name, s[6].shape),
          get(in, s[7].name, s[7].shape), get(in, s[8].name, s[8].shape), get(in, s[9].name, s[9].shape)};
}

template <class T, class F>
Tensor<T> map(const Tensor<T>& x, F f) {
  Tensor<T> out(x.shape());
  for (std::int64_t i = 0; i < x.numel(); ++i) out.data()[i] = f(x.data()[i]);
  return out;
}

template <class T>
Tensor<T> minus_exp(const Tensor<T>& a_log) {  // A = -exp(A_log)
  return map(a_log, [](const T& a) { using std::exp; return -exp(a); });
}

// xc[b,t,c] = cb[c] + sum_j cw[c,0,j] x[b, t-K+1+j, c];  x [B, T, E].
template <class T>
Tensor<T> conv(const Problem& p, const Params<T>& P, const Tensor<T>& x) {
  Tensor<T> out(x.shape());
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t c = 0; c < p.d_inner(); ++c) {
        T acc = P.cb(c);
        for (std::int64_t j = 0, s = t - p.d_conv + 1; j < p.d_conv; ++j, ++s)
          if (s >= 0) acc += P.cw(c, 0, j) * x(b, s, c);
        out(b, t, c) = acc;
      }
  return out;
}

template <class T>
struct Forward {
  Tensor<T> x, xc, z;         // [B, T, E]: conv input, conv output (before SiLU), gate input
  Tensor<T> xdbl;             // [B, T, R + 2N]
  Tensor<T> dpre, ys, gated;  // [B, T, E]: delta before softplus, scan output, gated scan output
  Tensor<T> y;                // [B, T, d]
  Named<T> scan;              // the scan operator's inputs: x (= SiLU(xc)), delta, A, B, C, D
};

template <class T>
Forward<T> run(const Problem& p, const Params<T>& P, const Tensor<T>& u) {
  const std::int64_t E = p.d_inner(), R = p.rank(), N = p.d_state;
  Forward<T> f;
  const auto xz = ref::linear(u, P.Win);
  f.x = columns(xz, 0, E);
  f.z = columns(xz, E, E);
  f.xc = conv(p, P, f.x);
  f.xdbl = ref::linear(map(f.xc, ref::silu<T>), P.Wx);
  f.dpre = ref::linear(columns(f.xdbl, 0, R), P.Wdt, &P.bdt);
  f.scan.emplace("x", map(f.xc, ref::silu<T>));
  f.scan.emplace("delta", map(f.dpre, ref::softplus<T>));
  f.scan.emplace("A", minus_exp(P.A_log));
  f.scan.emplace("B", columns(f.xdbl, R, N));
  f.scan.emplace("C", columns(f.xdbl, R + N, N));
  f.scan.emplace("D", P.D);
  Named<T> out;
  out.emplace("y", Tensor<T>(f.x.shape()));
  ops::selective_scan::reference_forward_recurrent(scan_problem(p), f.scan, out);
  f.ys = std::move(out.at("y"));
  f.gated = f.ys;
  for (std::int64_t i = 0; i < f.gated.numel(); ++i) f.gated.data()[i] *= ref::silu(f.z.data()[i]);
  f.y = ref::linear(f.gated, P.Wout);
  return f;
}

}  // namespace

template <class T>
State<T> initial_state(const Problem& p) {
  return {Tensor<T>({p.B, p.d_inner(), p.d_conv - 1}, T(0)), ops::selective_scan::initial_state<T>(scan_problem(p))};
}

template <class T>
void reference_step(const Problem& p, const Named<T>& in, State<T>& s, const Tensor<T>& u_t, Tensor<T>& y_t) {
  const auto P = params(p, in);
  const std::int64_t E = p.d_inner(), R = p.rank(), N = p.d_state, K = p.d_conv;
  require<ShapeError>(u_t.shape() == Shape{p.B, p.d} && s.conv.shape() == Shape{p.B, E, K - 1},
                      "mamba step: u_t has shape ", shape_str(u_t.shape()), ", expected [", p.B, ", ", p.d, "]");
  const auto xz = ref::linear(u_t, P.Win);  // [B, 2E]
  Tensor<T> xc({p.B, E});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t c = 0; c < E; ++c) {
      const T x = xz(b, c);
      T acc = P.cb(c) + P.cw(c, 0, K - 1) * x;
      for (std::int64_t j = 0; j + 1 < K; ++j) acc += P.cw(c, 0, j) * s.conv(b, c, j);
      for (std::int64_t j = 0; j + 2 < K; ++j) s.conv(b, c, j) = s.conv(b, c, j + 1);
      if (K > 1) s.conv(b, c, K - 2) = x;
      xc(b, c) = acc;
    }
  const auto xs = map(xc, ref::silu<T>);
  const auto xdbl = ref::linear(xs, P.Wx);  // [B, R + 2N]
  const auto delta = map(ref::linear(columns(xdbl, 0, R), P.Wdt, &P.bdt), ref::softplus<T>);
  Tensor<T> ys({p.B, E});
  ops::selective_scan::reference_step(scan_problem(p), minus_exp(P.A_log), P.D, xs, delta, columns(xdbl, R, N),
                                      columns(xdbl, R + N, N), s.ssm, ys);
  for (std::int64_t i = 0; i < ys.numel(); ++i) ys.data()[i] *= ref::silu(xz.data()[(i / E) * 2 * E + E + i % E]);
  y_t = ref::linear(ys, P.Wout);
}

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  const auto P = params(p, in);
  const auto specs = tensors(p);
  get(out, "y", specs[10].shape) = run(p, P, get(in, "u", specs[0].shape)).y;
}

template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out) {
  const auto specs = tensors(p);
  const auto& u = get(in, "u", specs[0].shape);
  auto& y = get(out, "y", specs[10].shape);
  auto s = initial_state<T>(p);
  ref::run_steps(u, y, [&](const Tensor<T>& u_t, Tensor<T>& y_t) { reference_step(p, in, s, u_t, y_t); });
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  const auto P = params(p, in);
  const auto specs = tensors(p);
  const auto& u = get(in, "u", specs[0].shape);
  const auto& dy = get(d_out, "y", specs[10].shape);
  for (std::size_t i = 0; i < 10; ++i) d_in.insert_or_assign(specs[i].name, Tensor<T>(specs[i].shape, T(0)));
  const std::int64_t E = p.d_inner(), R = p.rank(), N = p.d_state;
  const auto f = run(p, P, u);
  // y = gated Wout^T, gated = ys SiLU(z).
  const auto dgated = ref::linear_backward(f.gated, P.Wout, dy, d_in.at("out_proj.weight"));
  Tensor<T> dys(dgated.shape()), dz(dgated.shape());
  for (std::int64_t i = 0; i < dgated.numel(); ++i) {
    dys.data()[i] = dgated.data()[i] * ref::silu(f.z.data()[i]);
    dz.data()[i] = dgated.data()[i] * f.ys.data()[i] * ref::d_silu(f.z.data()[i]);
  }
  // The scan; A = -exp(A_log) so dA_log = dA A; delta = softplus(dpre).
  Named<T> d_scan, g;
  d_scan.emplace("y", std::move(dys));
  ops::selective_scan::reference_backward(scan_problem(p), f.scan, d_scan, g);
  auto& dA_log = d_in.at("A_log");
  for (std::int64_t i = 0; i < dA_log.numel(); ++i) dA_log.data()[i] = g.at("A").data()[i] * f.scan.at("A").data()[i];
  d_in.at("D") = g.at("D");
  Tensor<T> ddpre(f.dpre.shape());
  for (std::int64_t i = 0; i < ddpre.numel(); ++i)
    ddpre.data()[i] = g.at("delta").data()[i] * ref::d_softplus(f.dpre.data()[i]);
  Tensor<T> dxdbl(f.xdbl.shape(), T(0));
  add_columns(dxdbl, ref::linear_backward(columns(f.xdbl, 0, R), P.Wdt, ddpre, d_in.at("dt_proj.weight"),
                                          &d_in.at("dt_proj.bias")), 0);
  add_columns(dxdbl, g.at("B"), R);
  add_columns(dxdbl, g.at("C"), R + N);
  auto dxc = ref::linear_backward(f.scan.at("x"), P.Wx, dxdbl, d_in.at("x_proj.weight"));
  for (std::int64_t i = 0; i < dxc.numel(); ++i)
    dxc.data()[i] = (dxc.data()[i] + g.at("x").data()[i]) * ref::d_silu(f.xc.data()[i]);
  // The depthwise conv, then [x z] = u Win^T.
  auto &dcw = d_in.at("conv1d.weight"), &dcb = d_in.at("conv1d.bias");
  Tensor<T> dxz({p.B, p.T, 2 * E}, T(0));
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t c = 0; c < E; ++c) {
        const T gc = dxc(b, t, c);
        dcb(c) += gc;
        for (std::int64_t j = 0, s = t - p.d_conv + 1; j < p.d_conv; ++j, ++s)
          if (s >= 0) {
            dcw(c, 0, j) += gc * f.x(b, s, c);
            dxz(b, s, c) += gc * P.cw(c, 0, j);
          }
      }
  add_columns(dxz, dz, E);
  d_in.at("u") = ref::linear_backward(u, P.Win, dxz, d_in.at("in_proj.weight"));
}

#define INSTANTIATE(T)                                                                                        \
  template State<T> initial_state<T>(const Problem&);                                                         \
  template void reference_step<T>(const Problem&, const Named<T>&, State<T>&, const Tensor<T>&, Tensor<T>&); \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                             \
  template void reference_forward_recurrent<T>(const Problem&, const Named<T>&, Named<T>&);                   \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::mixers::mamba
