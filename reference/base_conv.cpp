// Zoology's BaseConv by its definition; see core/mixers/base_conv.hpp for the math.
//   proj = u W^T + b;  c = conv(u);  y = c ⊙ proj + u.
#include "reference/base_conv.hpp"

#include "reference/activations.hpp"
#include "reference/instantiate.hpp"
#include "reference/linear.hpp"
#include "reference/long_conv.hpp"
#include "reference/short_conv.hpp"

namespace menagerie::mixers::base_conv {

namespace {

template <class T>
const Tensor<T>& param(const Problem& p, const Named<T>& in, std::string_view name) {
  for (const auto& s : tensors(p))
    if (s.name == name) return get(in, name, s.shape);
  throw ShapeError(cat("base_conv: no tensor '", name, "' for this conv variant"));
}

// The implicit filter's intermediates: zT [T, 3] (rows t < T of z), a [T, 16] pre-activation, r = relu(a),
// h [D, T] the filter.
template <class T>
struct Implicit {
  Tensor<T> zT, a, r, h;
};

template <class T>
Implicit<T> implicit_filter(const Problem& p, const Named<T>& in) {
  using namespace menagerie::ref;
  const auto& z = param(p, in, "conv.pos_emb.z");
  Implicit<T> f;
  f.zT = Tensor<T>({p.T, emb_dim});
  for (std::int64_t t = 0; t < p.T; ++t)
    for (std::int64_t i = 0; i < emb_dim; ++i) f.zT(t, i) = z(0, t, i);
  const auto& b1 = param(p, in, "conv.mlp.0.bias");
  const auto& b2 = param(p, in, "conv.mlp.2.bias");
  f.a = linear(f.zT, param(p, in, "conv.mlp.0.weight"), &b1);
  f.r = f.a;
  for (auto& x : f.r.flat()) x = relu(x);
  const auto hT = linear(f.r, param(p, in, "conv.mlp.2.weight"), &b2);  // [T, D]
  f.h = Tensor<T>({p.D, p.T});
  for (std::int64_t t = 0; t < p.T; ++t)
    for (std::int64_t c = 0; c < p.D; ++c) f.h(c, t) = hT(t, c);
  return f;
}

// conv(u) [B, T, D] for the problem's variant.
template <class T>
Tensor<T> conv(const Problem& p, const Named<T>& in, const Tensor<T>& u) {
  if (p.conv == Conv::short_conv)
    return ops::short_conv::conv(u, param(p, in, "conv.conv.weight"), param(p, in, "conv.conv.bias"));
  auto c = ops::long_conv::conv(u, p.conv == Conv::long_explicit ? param(p, in, "conv.filter") : implicit_filter(p, in).h);
  for (std::int64_t i = 0; i < c.numel(); ++i) c.data()[i] += u.data()[i];
  return c;
}

}  // namespace

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto& u = param(p, in, "u");
  const auto& b = param(p, in, "projection.bias");
  const auto proj = ref::linear(u, param(p, in, "projection.weight"), &b);
  const auto c = conv(p, in, u);
  auto& y = get(out, "y", u.shape());
  for (std::int64_t i = 0; i < y.numel(); ++i) y.data()[i] = c.data()[i] * proj.data()[i] + u.data()[i];
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  using namespace menagerie::ref;
  p.validate();
  const auto& u = param(p, in, "u");
  const auto& dy = get(d_out, "y", u.shape());
  const auto& W = param(p, in, "projection.weight");
  const auto& b = param(p, in, "projection.bias");
  const auto proj = linear(u, W, &b);
  const auto c = conv(p, in, u);
  Tensor<T> dproj(u.shape()), dc(u.shape());
  for (std::int64_t i = 0; i < u.numel(); ++i) {
    dproj.data()[i] = dy.data()[i] * c.data()[i];
    dc.data()[i] = dy.data()[i] * proj.data()[i];
  }
  Tensor<T> dW(W.shape(), T(0)), db(b.shape(), T(0));
  Tensor<T> du = linear_backward(u, W, dproj, dW, &db);
  for (std::int64_t i = 0; i < u.numel(); ++i) du.data()[i] += dy.data()[i];
  d_in.insert_or_assign("projection.weight", std::move(dW));
  d_in.insert_or_assign("projection.bias", std::move(db));

  Tensor<T> du_conv, dh;
  if (p.conv == Conv::short_conv) {
    Tensor<T> dw, dbias;
    ops::short_conv::conv_backward(u, param(p, in, "conv.conv.weight"), dc, du_conv, dw, dbias);
    d_in.insert_or_assign("conv.conv.weight", std::move(dw));
    d_in.insert_or_assign("conv.conv.bias", std::move(dbias));
  } else if (p.conv == Conv::long_explicit) {
    ops::long_conv::conv_backward(u, param(p, in, "conv.filter"), dc, du_conv, dh);
    for (std::int64_t i = 0; i < u.numel(); ++i) du_conv.data()[i] += dc.data()[i];  // the +u inside fft_conv
    d_in.insert_or_assign("conv.filter", std::move(dh));
  } else {
    const auto f = implicit_filter(p, in);
    ops::long_conv::conv_backward(u, f.h, dc, du_conv, dh);
    for (std::int64_t i = 0; i < u.numel(); ++i) du_conv.data()[i] += dc.data()[i];
    Tensor<T> dhT({p.T, p.D});
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t ch = 0; ch < p.D; ++ch) dhT(t, ch) = dh(ch, t);
    const auto& W1 = param(p, in, "conv.mlp.0.weight");
    const auto& W2 = param(p, in, "conv.mlp.2.weight");
    Tensor<T> dW1(W1.shape(), T(0)), db1({mlp_hidden}, T(0)), dW2(W2.shape(), T(0)), db2({p.D}, T(0));
    Tensor<T> da = linear_backward(f.r, W2, dhT, dW2, &db2);
    for (std::int64_t i = 0; i < da.numel(); ++i) da.data()[i] *= d_relu(f.a.data()[i]);
    const Tensor<T> dzT = linear_backward(f.zT, W1, da, dW1, &db1);
    Tensor<T> dz({1, p.l_max, emb_dim}, T(0));
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t i = 0; i < emb_dim; ++i) dz(0, t, i) = dzT(t, i);
    d_in.insert_or_assign("conv.pos_emb.z", std::move(dz));
    d_in.insert_or_assign("conv.mlp.0.weight", std::move(dW1));
    d_in.insert_or_assign("conv.mlp.0.bias", std::move(db1));
    d_in.insert_or_assign("conv.mlp.2.weight", std::move(dW2));
    d_in.insert_or_assign("conv.mlp.2.bias", std::move(db2));
  }
  for (std::int64_t i = 0; i < u.numel(); ++i) du.data()[i] += du_conv.data()[i];
  d_in.insert_or_assign("u", std::move(du));
}

#define INSTANTIATE(T)                                                            \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&); \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::mixers::base_conv
