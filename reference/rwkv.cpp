// The RWKV-4 time mixer as zoology's RWKVTimeMixer computes it (without the bf16 rounding of WKV), its backward by
// the chain rule and its step form; see core/mixers/rwkv.hpp for the math.
#include "reference/rwkv.hpp"

#include <utility>

#include "reference/activations.hpp"
#include "reference/instantiate.hpp"
#include "reference/linear.hpp"
#include "reference/steps.hpp"

namespace menagerie::mixers::rwkv {

namespace {

template <class T>
struct Params {
  const Tensor<T> &time_decay, &time_first, &mk, &mv, &mr, &Wk, &Wv, &Wr, &Wo;  // [d], [d], [1,1,d] x3, [d,d] x4
};

template <class T>
Params<T> params(const Problem& p, const Named<T>& in) {
  p.validate();
  const auto s = tensors(p);
  return {get(in, s[1].name, s[1].shape), get(in, s[2].name, s[2].shape), get(in, s[3].name, s[3].shape),
          get(in, s[4].name, s[4].shape), get(in, s[5].name, s[5].shape), get(in, s[6].name, s[6].shape),
          get(in, s[7].name, s[7].shape), get(in, s[8].name, s[8].shape), get(in, s[9].name, s[9].shape)};
}

// mu u + (1 - mu) x' over the last axis (d = mu's size); u, x' [..., d].
template <class T>
Tensor<T> mix(const Tensor<T>& u, const Tensor<T>& xx, const Tensor<T>& mu) {
  const std::int64_t d = mu.numel();
  Tensor<T> out(u.shape());
  for (std::int64_t i = 0; i < u.numel(); ++i) {
    const T m = mu.data()[i % d];
    out.data()[i] = m * u.data()[i] + (T(1) - m) * xx.data()[i];
  }
  return out;
}

// sigmoid(r) * wkv, elementwise.
template <class T>
Tensor<T> gate(const Tensor<T>& r, const Tensor<T>& wkv) {
  Tensor<T> out(r.shape());
  for (std::int64_t i = 0; i < r.numel(); ++i) out.data()[i] = ref::sigmoid(r.data()[i]) * wkv.data()[i];
  return out;
}

template <class T>
struct Forward {
  Tensor<T> xx, xk, xv, xr, k, v, r, wkv, y;  // all [B, T, d]
};

template <class T>
Forward<T> run(const Problem& p, const Params<T>& P, const Tensor<T>& u) {
  Forward<T> f;
  f.xx = Tensor<T>(u.shape(), T(0));
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 1; t < p.T; ++t)
      for (std::int64_t c = 0; c < p.d; ++c) f.xx(b, t, c) = u(b, t - 1, c);
  f.xk = mix(u, f.xx, P.mk);
  f.xv = mix(u, f.xx, P.mv);
  f.xr = mix(u, f.xx, P.mr);
  f.k = ref::linear(f.xk, P.Wk);
  f.v = ref::linear(f.xv, P.Wv);
  f.r = ref::linear(f.xr, P.Wr);
  Named<T> w_in, w_out;
  w_in.emplace("k", f.k);
  w_in.emplace("v", f.v);
  w_in.emplace("time_decay", P.time_decay);
  w_in.emplace("time_first", P.time_first);
  w_out.emplace("y", Tensor<T>(u.shape()));
  ops::wkv::reference_forward_recurrent(wkv_problem(p), w_in, w_out);
  f.wkv = std::move(w_out.at("y"));
  f.y = ref::linear(gate(f.r, f.wkv), P.Wo);
  return f;
}

}  // namespace

template <class T>
State<T> initial_state(const Problem& p) {
  return {Tensor<T>({p.B, p.d}, T(0)), ops::wkv::initial_state<T>(wkv_problem(p))};
}

template <class T>
void reference_step(const Problem& p, const Named<T>& in, State<T>& s, const Tensor<T>& u_t, Tensor<T>& y_t) {
  const auto P = params(p, in);
  require<ShapeError>(u_t.shape() == Shape{p.B, p.d} && s.prev.shape() == u_t.shape(), "rwkv step: u_t has shape ",
                      shape_str(u_t.shape()), ", expected [", p.B, ", ", p.d, "]");
  const auto k = ref::linear(mix(u_t, s.prev, P.mk), P.Wk);
  const auto v = ref::linear(mix(u_t, s.prev, P.mv), P.Wv);
  const auto r = ref::linear(mix(u_t, s.prev, P.mr), P.Wr);
  Tensor<T> wkv({p.B, p.d});
  ops::wkv::reference_step(wkv_problem(p), P.time_decay, P.time_first, k, v, s.wkv, wkv);
  y_t = ref::linear(gate(r, wkv), P.Wo);
  s.prev = u_t;
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
  const auto f = run(p, P, u);
  // y = a Wo^T with a = sigmoid(r) wkv.
  const auto da = ref::linear_backward(gate(f.r, f.wkv), P.Wo, dy, d_in.at("output.weight"));
  Tensor<T> dr(da.shape()), dwkv(da.shape());
  for (std::int64_t i = 0; i < da.numel(); ++i) {
    dwkv.data()[i] = da.data()[i] * ref::sigmoid(f.r.data()[i]);
    dr.data()[i] = da.data()[i] * f.wkv.data()[i] * ref::d_sigmoid(f.r.data()[i]);
  }
  // WKV: gradients for k, v, time_decay, time_first.
  Named<T> w_in, w_dy, w_grad;
  w_in.emplace("k", f.k);
  w_in.emplace("v", f.v);
  w_in.emplace("time_decay", P.time_decay);
  w_in.emplace("time_first", P.time_first);
  w_dy.emplace("y", std::move(dwkv));
  ops::wkv::reference_backward(wkv_problem(p), w_in, w_dy, w_grad);
  d_in.at("time_decay") = w_grad.at("time_decay");
  d_in.at("time_first") = w_grad.at("time_first");
  // Projections, then the mixes xm = xx + mu (u - xx) and the shift xx_t = u_{t-1}.
  const auto dxk = ref::linear_backward(f.xk, P.Wk, w_grad.at("k"), d_in.at("key.weight"));
  const auto dxv = ref::linear_backward(f.xv, P.Wv, w_grad.at("v"), d_in.at("value.weight"));
  const auto dxr = ref::linear_backward(f.xr, P.Wr, dr, d_in.at("receptance.weight"));
  auto& du = d_in.at("u");
  Tensor<T> dxx(u.shape(), T(0));
  const std::pair<const Tensor<T>*, const char*> mixes[] = {{&dxk, "time_mix_k"}, {&dxv, "time_mix_v"},
                                                             {&dxr, "time_mix_r"}};
  for (const auto& [dxm, name] : mixes) {
    const auto& mu = in.at(name);
    auto& dmu = d_in.at(name);
    for (std::int64_t i = 0; i < u.numel(); ++i) {
      const std::int64_t c = i % p.d;
      const T g = dxm->data()[i], m = mu.data()[c];
      du.data()[i] += g * m;
      dxx.data()[i] += g * (T(1) - m);
      dmu.data()[c] += g * (u.data()[i] - f.xx.data()[i]);
    }
  }
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 1; t < p.T; ++t)
      for (std::int64_t c = 0; c < p.d; ++c) du(b, t - 1, c) += dxx(b, t, c);
}

#define INSTANTIATE(T)                                                                                        \
  template State<T> initial_state<T>(const Problem&);                                                         \
  template void reference_step<T>(const Problem&, const Named<T>&, State<T>&, const Tensor<T>&, Tensor<T>&); \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                             \
  template void reference_forward_recurrent<T>(const Problem&, const Named<T>&, Named<T>&);                   \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::mixers::rwkv
