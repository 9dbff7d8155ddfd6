// Short depthwise causal convolution by its definition; see core/ops/short_conv.hpp for the math.
#include "reference/short_conv.hpp"

#include "reference/instantiate.hpp"
#include "reference/steps.hpp"

namespace menagerie::ops::short_conv {

template <class T>
Tensor<T> conv(const Tensor<T>& u, const Tensor<T>& weight, const Tensor<T>& bias) {
  const std::int64_t B = u.size(0), L = u.size(1), D = u.size(2), K = weight.size(2);
  require<ShapeError>(weight.shape() == Shape{D, 1, K} && bias.shape() == Shape{D}, "short_conv: weight ",
                      shape_str(weight.shape()), " / bias ", shape_str(bias.shape()), " do not fit u ",
                      shape_str(u.shape()));
  Tensor<T> y(u.shape());
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < L; ++t)
      for (std::int64_t c = 0; c < D; ++c) {
        T acc = bias(c);
        for (std::int64_t j = 0; j < K; ++j) {
          const std::int64_t s = t - K + 1 + j;
          if (s >= 0) acc += weight(c, 0, j) * u(b, s, c);
        }
        y(b, t, c) = acc;
      }
  return y;
}

template <class T>
void conv_backward(const Tensor<T>& u, const Tensor<T>& weight, const Tensor<T>& dy, Tensor<T>& du,
                   Tensor<T>& dweight, Tensor<T>& dbias) {
  const std::int64_t B = u.size(0), L = u.size(1), D = u.size(2), K = weight.size(2);
  du = Tensor<T>(u.shape(), T(0));
  dweight = Tensor<T>(weight.shape(), T(0));
  dbias = Tensor<T>({D}, T(0));
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < L; ++t)
      for (std::int64_t c = 0; c < D; ++c) {
        const T g = dy(b, t, c);
        dbias(c) += g;
        for (std::int64_t j = 0; j < K; ++j) {
          const std::int64_t s = t - K + 1 + j;
          if (s < 0) continue;
          du(b, s, c) += weight(c, 0, j) * g;
          dweight(c, 0, j) += u(b, s, c) * g;
        }
      }
}

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto specs = tensors(p);
  get(out, "y", specs[3].shape) =
      conv(get(in, "u", specs[0].shape), get(in, "weight", specs[1].shape), get(in, "bias", specs[2].shape));
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  p.validate();
  const auto specs = tensors(p);
  Tensor<T> du, dw, db;
  conv_backward(get(in, "u", specs[0].shape), get(in, "weight", specs[1].shape), get(d_out, "y", specs[3].shape),
                du, dw, db);
  d_in.insert_or_assign("u", std::move(du));
  d_in.insert_or_assign("weight", std::move(dw));
  d_in.insert_or_assign("bias", std::move(db));
}

template <class T>
void reference_step(const Problem& p, const Named<T>& in, Tensor<T>& state, const Tensor<T>& u_t, Tensor<T>& y_t) {
  p.validate();
  const auto specs = tensors(p);
  const auto& w = get(in, "weight", specs[1].shape);
  const auto& bias = get(in, "bias", specs[2].shape);
  const std::int64_t K = p.K;
  require<ShapeError>(state.shape() == Shape{p.B, p.D, K - 1} && u_t.shape() == Shape{p.B, p.D} &&
                          y_t.shape() == Shape{p.B, p.D},
                      "short_conv step: state ", shape_str(state.shape()), ", u_t ", shape_str(u_t.shape()), ", y_t ",
                      shape_str(y_t.shape()), " expected [B, D, K-1], [B, D], [B, D]");
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t c = 0; c < p.D; ++c) {
      T acc = bias(c) + w(c, 0, K - 1) * u_t(b, c);
      for (std::int64_t j = 0; j + 1 < K; ++j) acc += w(c, 0, j) * state(b, c, j);
      y_t(b, c) = acc;
      for (std::int64_t j = 0; j + 2 < K; ++j) state(b, c, j) = state(b, c, j + 1);
      if (K > 1) state(b, c, K - 2) = u_t(b, c);
    }
}

template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto specs = tensors(p);
  const auto& u = get(in, "u", specs[0].shape);
  auto& y = get(out, "y", specs[3].shape);
  Tensor<T> state({p.B, p.D, p.K - 1}, T(0));
  ref::run_steps(u, y, [&](const Tensor<T>& u_t, Tensor<T>& y_t) { reference_step(p, in, state, u_t, y_t); });
}

#define INSTANTIATE(T)                                                                                            \
  template Tensor<T> conv<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&);                               \
  template void conv_backward<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, Tensor<T>&, Tensor<T>&,    \
                                 Tensor<T>&);                                                                     \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                                 \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);               \
  template void reference_step<T>(const Problem&, const Named<T>&, Tensor<T>&, const Tensor<T>&, Tensor<T>&);     \
  template void reference_forward_recurrent<T>(const Problem&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::short_conv
