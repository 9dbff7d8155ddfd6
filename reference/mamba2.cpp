// The Mamba-2 mixer as zoology's Mamba2 computes it (the non-fused path: in_proj, Conv1d + SiLU on xBC,
// mamba_chunk_scan_combined with dt_bias, dt_softplus and D, RMSNormGated with norm_before_gate False, out_proj),
// its backward by the chain rule and its step form; see core/mixers/mamba2.hpp for the math.
//   SSD as the operator: q = C, k = B broadcast over heads, v = dt x, g = dt A broadcast over N, scale 1, so the
//   backward sums the operator's dq, dk over heads into dC, dB; ddt = sum_p dv x + A sum_n dg; dA = sum dt sum_n dg.
//   gated RMSNorm backward: a = ys SiLU(z), rho = (mean_E a^2 + eps)^-1/2, e = dn w:
//     da = rho e - a rho^3 (e . a) / E;  dw += dn a rho;  dys = da SiLU(z);  dz = da ys SiLU'(z).
#include "reference/mamba2.hpp"

#include <utility>

#include "reference/activations.hpp"
#include "reference/columns.hpp"
#include "reference/instantiate.hpp"
#include "reference/linear.hpp"
#include "reference/short_conv.hpp"
#include "reference/steps.hpp"

namespace menagerie::mixers::mamba2 {

namespace {

using ref::add_columns;
using ref::columns;

namespace ga = ops::gated_linear_attention;

template <class T>
struct Params {
  // [2E + 2N + H, d], [E + 2N, 1, K], [E + 2N], [H], [H], [H], [E], [d, E]
  const Tensor<T> &Win, &cw, &cb, &dt_bias, &A_log, &D, &w, &Wout;
};

template <class T>
Params<T> params(const Problem& p, const Named<T>& in) {
  p.validate();
  const auto s = tensors(p);
  return {get(in, s[1].name, s[1].shape), get(in, s[2].name, s[2].shape), get(in, s[3].name, s[3].shape),
          get(in, s[4].name, s[4].shape), get(in, s[5].name, s[5].shape), get(in, s[6].name, s[6].shape),
          get(in, s[7].name, s[7].shape), get(in, s[8].name, s[8].shape)};
}

template <class T>
T minus_exp(const T& a) {  // A = -exp(A_log)
  using std::exp;
  return -exp(a);
}

// The forward's intermediates after the conv; the leading axes are {B, T} or, for a step, {B}.
template <class T>
struct Forward {
  Tensor<T> z, dtraw;      // [..., E], [..., H]: in_proj's gate and step-size columns
  Tensor<T> xbc_conv, x;   // [..., E + 2N] conv output before SiLU; [..., E] x after SiLU
  Tensor<T> dt;            // [..., H]
  Named<T> ssd;            // the operator's q, k, v, g [..., H, N | P]
  Tensor<T> ys, a, normed; // [..., E]: SSD output + D x, ys SiLU(z), the gated RMSNorm's output
};

// From the conv output: SiLU, the split, dt, and the operator's inputs.
template <class T>
Forward<T> ssd_inputs(const Problem& p, const Params<T>& P, Tensor<T> xbc_conv, Tensor<T> z, Tensor<T> dtraw,
                      Shape lead) {
  const std::int64_t E = p.d_inner(), N = p.d_state, H = p.nheads(), Pd = p.headdim, C = p.conv_dim();
  Forward<T> f{std::move(z), std::move(dtraw), std::move(xbc_conv), {}, {}, {}, {}, {}, {}};
  Tensor<T> xbc(f.xbc_conv.shape());
  for (std::int64_t i = 0; i < xbc.numel(); ++i) xbc.data()[i] = ref::silu(f.xbc_conv.data()[i]);
  f.x = columns(xbc, 0, E);
  f.dt = Tensor<T>(f.dtraw.shape());
  for (std::int64_t i = 0; i < f.dt.numel(); ++i) f.dt.data()[i] = ref::softplus(f.dtraw.data()[i] + P.dt_bias(i % H));
  Shape sk = lead, sv = lead;
  sk.insert(sk.end(), {H, N});
  sv.insert(sv.end(), {H, Pd});
  Tensor<T> q(sk), k(sk), v(sv), g(sk);
  const std::int64_t rows = f.dt.numel() / H;
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t h = 0; h < H; ++h) {
      const T dt = f.dt.data()[r * H + h], A = minus_exp(P.A_log(h));
      for (std::int64_t n = 0; n < N; ++n) {
        q.data()[(r * H + h) * N + n] = xbc.data()[r * C + E + N + n];
        k.data()[(r * H + h) * N + n] = xbc.data()[r * C + E + n];
        g.data()[(r * H + h) * N + n] = dt * A;
      }
      for (std::int64_t j = 0; j < Pd; ++j) v.data()[(r * H + h) * Pd + j] = dt * f.x.data()[r * E + h * Pd + j];
    }
  f.ssd.emplace("q", std::move(q));
  f.ssd.emplace("k", std::move(k));
  f.ssd.emplace("v", std::move(v));
  f.ssd.emplace("g", std::move(g));
  return f;
}

template <class T>
T rho(const Problem& p, const T* a) {
  using std::sqrt;
  T ss = 0;
  for (std::int64_t j = 0; j < p.d_inner(); ++j) ss += a[j] * a[j];
  return T(1) / sqrt(ss / ref::cast<T>(static_cast<double>(p.d_inner())) + ref::cast<T>(p.norm_eps));
}

// From the operator's output o [..., H, P]: the D skip, the gated RMSNorm, out_proj.
template <class T>
Tensor<T> finish(const Problem& p, const Params<T>& P, Forward<T>& f, const Tensor<T>& o) {
  const std::int64_t E = p.d_inner(), Pd = p.headdim;
  f.ys = Tensor<T>(f.x.shape());
  f.a = Tensor<T>(f.x.shape());
  f.normed = Tensor<T>(f.x.shape());
  for (std::int64_t i = 0; i < f.ys.numel(); ++i) {
    f.ys.data()[i] = o.data()[i] + P.D((i % E) / Pd) * f.x.data()[i];
    f.a.data()[i] = f.ys.data()[i] * ref::silu(f.z.data()[i]);
  }
  for (std::int64_t r0 = 0; r0 < f.a.numel(); r0 += E) {
    const T r = rho(p, f.a.data() + r0);
    for (std::int64_t j = 0; j < E; ++j) f.normed.data()[r0 + j] = f.a.data()[r0 + j] * r * P.w(j);
  }
  return ref::linear(f.normed, P.Wout);
}

template <class T>
Forward<T> run(const Problem& p, const Params<T>& P, const Tensor<T>& u, Tensor<T>& xbc_pre, Tensor<T>& y) {
  const std::int64_t E = p.d_inner(), C = p.conv_dim();
  const auto zx = ref::linear(u, P.Win);
  xbc_pre = columns(zx, E, C);
  auto f = ssd_inputs(p, P, ops::short_conv::conv(xbc_pre, P.cw, P.cb), columns(zx, 0, E),
                      columns(zx, E + C, p.nheads()), {p.B, p.T});
  Named<T> o;
  o.emplace("o", Tensor<T>({p.B, p.T, p.nheads(), p.headdim}));
  ga::reference_forward<T>(attention_problem(p), f.ssd, o);
  y = finish(p, P, f, o.at("o"));
  return f;
}

}  // namespace

template <class T>
State<T> initial_state(const Problem& p) {
  return {Tensor<T>({p.B, p.conv_dim(), p.d_conv - 1}, T(0)), ga::initial_state<T>(attention_problem(p))};
}

template <class T>
void reference_step(const Problem& p, const Named<T>& in, State<T>& s, const Tensor<T>& u_t, Tensor<T>& y_t) {
  const auto P = params(p, in);
  const std::int64_t E = p.d_inner(), C = p.conv_dim();
  require<ShapeError>(u_t.shape() == Shape{p.B, p.d}, "mamba2 step: u_t has shape ", shape_str(u_t.shape()),
                      ", expected [", p.B, ", ", p.d, "]");
  const auto zx = ref::linear(u_t, P.Win);  // [B, 2E + 2N + H]
  const ops::short_conv::Problem cp{.B = p.B, .T = 1, .D = C, .K = p.d_conv};
  Named<T> conv_params;
  conv_params.emplace("weight", P.cw);
  conv_params.emplace("bias", P.cb);
  Tensor<T> xbc_conv({p.B, C});
  ops::short_conv::reference_step(cp, conv_params, s.conv, columns(zx, E, C), xbc_conv);
  auto f = ssd_inputs(p, P, std::move(xbc_conv), columns(zx, 0, E), columns(zx, E + C, p.nheads()), {p.B});
  Tensor<T> o_t({p.B, p.nheads(), p.headdim});
  ga::reference_step<T>(attention_problem(p), s.ssm, f.ssd.at("q"), f.ssd.at("k"), f.ssd.at("v"), f.ssd.at("g"),
                        o_t);
  y_t = finish(p, P, f, o_t);
}

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  const auto P = params(p, in);
  const auto specs = tensors(p);
  Tensor<T> xbc_pre, y;
  run(p, P, get(in, "u", specs[0].shape), xbc_pre, y);
  get(out, "y", specs[9].shape) = std::move(y);
}

template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out) {
  const auto specs = tensors(p);
  const auto& u = get(in, "u", specs[0].shape);
  auto& y = get(out, "y", specs[9].shape);
  auto s = initial_state<T>(p);
  ref::run_steps(u, y, [&](const Tensor<T>& u_t, Tensor<T>& y_t) { reference_step(p, in, s, u_t, y_t); });
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  const auto P = params(p, in);
  const auto specs = tensors(p);
  const auto& u = get(in, "u", specs[0].shape);
  const auto& dy = get(d_out, "y", specs[9].shape);
  for (std::size_t i = 0; i < 9; ++i) d_in.insert_or_assign(specs[i].name, Tensor<T>(specs[i].shape, T(0)));
  const std::int64_t E = p.d_inner(), N = p.d_state, H = p.nheads(), Pd = p.headdim, C = p.conv_dim();
  Tensor<T> xbc_pre, y;
  const auto f = run(p, P, u, xbc_pre, y);
  const auto dn = ref::linear_backward(f.normed, P.Wout, dy, d_in.at("out_proj.weight"));
  // The gated RMSNorm, then the D skip.
  auto& dw = d_in.at("norm.weight");
  auto& dD = d_in.at("D");
  Tensor<T> dys(f.ys.shape()), dz(f.z.shape()), dx(f.x.shape());
  const T inv_E = T(1) / ref::cast<T>(static_cast<double>(E));
  for (std::int64_t r0 = 0; r0 < f.a.numel(); r0 += E) {
    const T r = rho(p, f.a.data() + r0);
    T dot = 0;
    for (std::int64_t j = 0; j < E; ++j) dot += dn.data()[r0 + j] * P.w(j) * f.a.data()[r0 + j];
    for (std::int64_t j = 0; j < E; ++j) {
      const std::int64_t i = r0 + j;
      const T da = r * dn.data()[i] * P.w(j) - f.a.data()[i] * r * r * r * dot * inv_E;
      dw(j) += dn.data()[i] * f.a.data()[i] * r;
      dys.data()[i] = da * ref::silu(f.z.data()[i]);
      dz.data()[i] = da * f.ys.data()[i] * ref::d_silu(f.z.data()[i]);
      dD(j / Pd) += dys.data()[i] * f.x.data()[i];
      dx.data()[i] = dys.data()[i] * P.D(j / Pd);
    }
  }
  // The operator; then its broadcasts summed back.
  Named<T> d_o, g;
  d_o.emplace("o", dys.reshaped({p.B, p.T, H, Pd}));
  ga::reference_backward<T>(attention_problem(p), f.ssd, d_o, g);
  const auto &gq = g.at("q"), &gk = g.at("k"), &gv = g.at("v"), &gg = g.at("g");
  Tensor<T> dxbc({p.B, p.T, C}, T(0)), ddtraw(f.dtraw.shape());
  auto &dA_log = d_in.at("A_log"), &ddt_bias = d_in.at("dt_bias");
  Tensor<T> dA({H}, T(0));
  for (std::int64_t r = 0; r < p.B * p.T; ++r)
    for (std::int64_t h = 0; h < H; ++h) {
      const T dt = f.dt.data()[r * H + h], A = minus_exp(P.A_log(h));
      T ddt = 0, dg_sum = 0;
      for (std::int64_t n = 0; n < N; ++n) {
        dxbc.data()[r * C + E + N + n] += gq.data()[(r * H + h) * N + n];
        dxbc.data()[r * C + E + n] += gk.data()[(r * H + h) * N + n];
        dg_sum += gg.data()[(r * H + h) * N + n];
      }
      for (std::int64_t j = 0; j < Pd; ++j) {
        const std::int64_t c = h * Pd + j;
        ddt += gv.data()[(r * H + h) * Pd + j] * f.x.data()[r * E + c];
        dx.data()[r * E + c] += gv.data()[(r * H + h) * Pd + j] * dt;
      }
      ddt += A * dg_sum;
      dA(h) += dt * dg_sum;
      const T dpre = ddt * ref::d_softplus(f.dtraw.data()[r * H + h] + P.dt_bias(h));
      ddtraw.data()[r * H + h] = dpre;
      ddt_bias(h) += dpre;
    }
  for (std::int64_t h = 0; h < H; ++h) dA_log(h) = dA(h) * minus_exp(P.A_log(h));
  add_columns(dxbc, dx, 0);
  for (std::int64_t i = 0; i < dxbc.numel(); ++i) dxbc.data()[i] *= ref::d_silu(f.xbc_conv.data()[i]);
  // The conv, then [z xBC dt] = u Win^T.
  Tensor<T> dxbc_pre(xbc_pre.shape());
  ops::short_conv::conv_backward(xbc_pre, P.cw, dxbc, dxbc_pre, d_in.at("conv1d.weight"), d_in.at("conv1d.bias"));
  Tensor<T> dzx({p.B, p.T, p.in_proj_dim()}, T(0));
  add_columns(dzx, dz, 0);
  add_columns(dzx, dxbc_pre, E);
  add_columns(dzx, ddtraw, E + C);
  d_in.at("u") = ref::linear_backward(u, P.Win, dzx, d_in.at("in_proj.weight"));
}

#define INSTANTIATE(T)                                                                                        \
  template State<T> initial_state<T>(const Problem&);                                                         \
  template void reference_step<T>(const Problem&, const Named<T>&, State<T>&, const Tensor<T>&, Tensor<T>&); \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                             \
  template void reference_forward_recurrent<T>(const Problem&, const Named<T>&, Named<T>&);                   \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::mixers::mamba2
