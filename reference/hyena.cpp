// Zoology's Hyena by its definition; see core/mixers/hyena.hpp for the math and names.
#include "reference/hyena.hpp"

#include "reference/instantiate.hpp"
#include "reference/linear.hpp"
#include "reference/long_conv.hpp"
#include "reference/scalar.hpp"
#include "reference/short_conv.hpp"

namespace menagerie::mixers::hyena {

namespace {

const std::string kF = "filter_fn.implicit_filter.";

template <class T>
const Tensor<T>& param(const Problem& p, const Named<T>& in, std::string_view name) {
  for (const auto& s : tensors(p))
    if (s.name == name) return get(in, name, s.shape);
  throw ShapeError(cat("hyena: no tensor '", name, "'"));
}

// sin(ω ⊙ a) row-wise, a [T, F], ω [1, F].
template <class T>
Tensor<T> sin_act(const Tensor<T>& a, const Tensor<T>& w) {
  using namespace menagerie::ref;
  Tensor<T> s(a.shape());
  for (std::int64_t t = 0; t < a.size(0); ++t)
    for (std::int64_t j = 0; j < a.size(1); ++j) s(t, j) = sin(w(0, j) * a(t, j));
  return s;
}

// ds -> da (returned); dω accumulated.
template <class T>
Tensor<T> sin_act_backward(const Tensor<T>& a, const Tensor<T>& w, const Tensor<T>& ds, Tensor<T>& dw) {
  using namespace menagerie::ref;
  Tensor<T> da(a.shape());
  for (std::int64_t t = 0; t < a.size(0); ++t)
    for (std::int64_t j = 0; j < a.size(1); ++j) {
      const T c = cos(w(0, j) * a(t, j)) * ds(t, j);
      da(t, j) = w(0, j) * c;
      dw(0, j) += a(t, j) * c;
    }
  return da;
}

// The implicit filter and its intermediates: zT [T, 3]; a_k, s_k [T, F]; hr [T, D] before modulation;
// decay [T, D] = exp(−tt |δ|); h [D, T] = (hr ⊙ decay)^T.
template <class T>
struct Filter {
  Tensor<T> zT, a0, s0, a1, s1, a2, s2, hr, decay, h;
};

template <class T>
Filter<T> filter(const Problem& p, const Named<T>& in) {
  using namespace menagerie::ref;
  const auto& z = param(p, in, "filter_fn.pos_emb.z");
  const auto& tt = param(p, in, "filter_fn.pos_emb.t");
  const auto& delta = param(p, in, "filter_fn.modulation.deltas");
  const auto& w = param(p, in, kF + "1.freq");
  const auto &b0 = param(p, in, kF + "0.bias"), &b2 = param(p, in, kF + "2.bias"), &b4 = param(p, in, kF + "4.bias");
  Filter<T> f;
  f.zT = Tensor<T>({p.T, 3});
  for (std::int64_t t = 0; t < p.T; ++t)
    for (std::int64_t i = 0; i < 3; ++i) f.zT(t, i) = z(0, t, i);
  f.a0 = linear(f.zT, param(p, in, kF + "0.weight"), &b0);
  f.s0 = sin_act(f.a0, w);
  f.a1 = linear(f.s0, param(p, in, kF + "2.weight"), &b2);
  f.s1 = sin_act(f.a1, w);
  f.a2 = linear(f.s1, param(p, in, kF + "4.weight"), &b4);
  f.s2 = sin_act(f.a2, w);
  f.hr = linear(f.s2, param(p, in, kF + "6.weight"));
  f.decay = Tensor<T>({p.T, p.D});
  f.h = Tensor<T>({p.D, p.T});
  for (std::int64_t t = 0; t < p.T; ++t)
    for (std::int64_t c = 0; c < p.D; ++c) {
      f.decay(t, c) = exp(-tt(0, t, 0) * abs(delta(0, 0, c)));
      f.h(c, t) = f.hr(t, c) * f.decay(t, c);
    }
  return f;
}

// The forward's activations: P = in_proj(u), Q = short_conv(P) [B, T, 3D]; v1 = v ⊙ x1; w = h ∗ v1 + Dh ⊙ v1;
// g = w ⊙ x2 [B, T, D].
template <class T>
struct Acts {
  Filter<T> f;
  Tensor<T> P, Q, v1, w, g;
};

template <class T>
Acts<T> run(const Problem& p, const Named<T>& in) {
  using namespace menagerie::ref;
  p.validate();
  const std::int64_t D = p.D;
  const auto& bin = param(p, in, "in_proj.bias");
  const auto& Dh = param(p, in, "filter_fn.bias");
  Acts<T> a;
  a.f = filter(p, in);
  a.P = linear(param(p, in, "u"), param(p, in, "in_proj.weight"), &bin);
  a.Q = ops::short_conv::conv(a.P, param(p, in, "short_filter.weight"), param(p, in, "short_filter.bias"));
  a.v1 = Tensor<T>({p.B, p.T, D});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t c = 0; c < D; ++c) a.v1(b, t, c) = a.Q(b, t, 2 * D + c) * a.Q(b, t, c);
  a.w = ops::long_conv::conv(a.v1, a.f.h);
  a.g = Tensor<T>({p.B, p.T, D});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t c = 0; c < D; ++c) {
        a.w(b, t, c) += Dh(c) * a.v1(b, t, c);
        a.g(b, t, c) = a.w(b, t, c) * a.Q(b, t, D + c);
      }
  return a;
}

}  // namespace

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  const auto a = run(p, in);
  const auto& bout = param(p, in, "out_proj.bias");
  get(out, "y", {p.B, p.T, p.D}) = ref::linear(a.g, param(p, in, "out_proj.weight"), &bout);
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  using namespace menagerie::ref;
  const auto a = run(p, in);
  const std::int64_t D = p.D;
  auto zeros = [&](std::string_view name) { return Tensor<T>(param(p, in, name).shape(), T(0)); };
  auto put = [&](std::string_view name, Tensor<T> g) { d_in.insert_or_assign(std::string(name), std::move(g)); };

  // y = g Wout^T + bout
  Tensor<T> dWout = zeros("out_proj.weight"), dbout = zeros("out_proj.bias");
  const Tensor<T> dg = linear_backward(a.g, param(p, in, "out_proj.weight"), get(d_out, "y", {p.B, p.T, D}), dWout, &dbout);
  // g = w ⊙ x2;  w = h ∗ v1 + Dh ⊙ v1;  v1 = v ⊙ x1
  const auto& Dh = param(p, in, "filter_fn.bias");
  Tensor<T> dw({p.B, p.T, D}), dQ({p.B, p.T, 3 * D}), dv1, dh, dDh = zeros("filter_fn.bias");
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t c = 0; c < D; ++c) {
        dw(b, t, c) = dg(b, t, c) * a.Q(b, t, D + c);
        dQ(b, t, D + c) = dg(b, t, c) * a.w(b, t, c);
      }
  ops::long_conv::conv_backward(a.v1, a.f.h, dw, dv1, dh);
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t c = 0; c < D; ++c) {
        dv1(b, t, c) += Dh(c) * dw(b, t, c);
        dDh(c) += dw(b, t, c) * a.v1(b, t, c);
        dQ(b, t, c) = dv1(b, t, c) * a.Q(b, t, 2 * D + c);
        dQ(b, t, 2 * D + c) = dv1(b, t, c) * a.Q(b, t, c);
      }
  // Q = short_conv(P);  P = u Win^T + bin
  Tensor<T> dP, dsw, dsb;
  ops::short_conv::conv_backward(a.P, param(p, in, "short_filter.weight"), dQ, dP, dsw, dsb);
  Tensor<T> dWin = zeros("in_proj.weight"), dbin = zeros("in_proj.bias");
  put("u", linear_backward(param(p, in, "u"), param(p, in, "in_proj.weight"), dP, dWin, &dbin));

  // h[c,t] = hr[t,c] exp(−tt[t] |δ_c|)
  const auto& tt = param(p, in, "filter_fn.pos_emb.t");
  const auto& delta = param(p, in, "filter_fn.modulation.deltas");
  Tensor<T> dhr({p.T, D}), dtt = zeros("filter_fn.pos_emb.t"), ddelta = zeros("filter_fn.modulation.deltas");
  for (std::int64_t t = 0; t < p.T; ++t)
    for (std::int64_t c = 0; c < D; ++c) {
      const T dc = delta(0, 0, c), g = dh(c, t), gh = g * a.f.hr(t, c) * a.f.decay(t, c);
      dhr(t, c) = g * a.f.decay(t, c);
      dtt(0, t, 0) -= gh * abs(dc);
      ddelta(0, 0, c) -= gh * tt(0, t, 0) * (dc > T(0) ? T(1) : dc < T(0) ? T(-1) : T(0));
    }
  // The Sin MLP, last layer first.
  const auto& w = param(p, in, kF + "1.freq");
  Tensor<T> dfreq = zeros(kF + "1.freq"), dW6 = zeros(kF + "6.weight");
  Tensor<T> dW4 = zeros(kF + "4.weight"), db4 = zeros(kF + "4.bias"), dW2 = zeros(kF + "2.weight"),
            db2 = zeros(kF + "2.bias"), dW0 = zeros(kF + "0.weight"), db0 = zeros(kF + "0.bias");
  const Tensor<T> ds2 = linear_backward(a.f.s2, param(p, in, kF + "6.weight"), dhr, dW6);
  const Tensor<T> ds1 = linear_backward(a.f.s1, param(p, in, kF + "4.weight"), sin_act_backward(a.f.a2, w, ds2, dfreq), dW4, &db4);
  const Tensor<T> ds0 = linear_backward(a.f.s0, param(p, in, kF + "2.weight"), sin_act_backward(a.f.a1, w, ds1, dfreq), dW2, &db2);
  const Tensor<T> dzT = linear_backward(a.f.zT, param(p, in, kF + "0.weight"), sin_act_backward(a.f.a0, w, ds0, dfreq), dW0, &db0);
  Tensor<T> dz = zeros("filter_fn.pos_emb.z");
  for (std::int64_t t = 0; t < p.T; ++t)
    for (std::int64_t i = 0; i < 3; ++i) dz(0, t, i) = dzT(t, i);

  put("in_proj.weight", std::move(dWin));
  put("in_proj.bias", std::move(dbin));
  put("out_proj.weight", std::move(dWout));
  put("out_proj.bias", std::move(dbout));
  put("short_filter.weight", std::move(dsw));
  put("short_filter.bias", std::move(dsb));
  put("filter_fn.bias", std::move(dDh));
  put("filter_fn.pos_emb.z", std::move(dz));
  put("filter_fn.pos_emb.t", std::move(dtt));
  put(kF + "0.weight", std::move(dW0));
  put(kF + "0.bias", std::move(db0));
  put(kF + "1.freq", std::move(dfreq));
  put(kF + "2.weight", std::move(dW2));
  put(kF + "2.bias", std::move(db2));
  put(kF + "4.weight", std::move(dW4));
  put(kF + "4.bias", std::move(db4));
  put(kF + "6.weight", std::move(dW6));
  put("filter_fn.modulation.deltas", std::move(ddelta));
}

#define INSTANTIATE(T)                                                            \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&); \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::mixers::hyena
