// The Monarch Mixer sequence mixer by its definition; see core/mixers/m2.hpp for the math and names.
#include "reference/m2.hpp"

#include "reference/instantiate.hpp"
#include "reference/linear.hpp"
#include "reference/long_conv.hpp"
#include "reference/monarch_conv.hpp"
#include "reference/short_conv.hpp"

namespace menagerie::mixers::m2 {

namespace {

template <class T>
const Tensor<T>& param(const Problem& p, const Named<T>& in, std::string_view name) {
  for (const auto& s : tensors(p))
    if (s.name == name) return get(in, name, s.shape);
  throw ShapeError(cat("m2: no tensor '", name, "'"));
}

// The DFT factors of the Monarch evaluation: monarch_conv's default for this T.
std::pair<std::int64_t, std::int64_t> factors(const Problem& p) {
  return ops::monarch_conv::Problem{.B = p.B, .T = p.T, .D = p.D, .L = p.T}.dft_factors();
}

// The first T taps of the explicit filter, k[:, :T] [D, T].
template <class T>
Tensor<T> taps(const Problem& p, const Named<T>& in) {
  const auto& k = param(p, in, "long_filter.k");
  Tensor<T> h({p.D, p.T});
  for (std::int64_t c = 0; c < p.D; ++c)
    for (std::int64_t t = 0; t < p.T; ++t) h(c, t) = k(c, t);
  return h;
}

// The forward's activations: P = in_linear(u), Q = short_conv(P) [B, T, 3D]; v1 = v ⊙ x1; w = k ∗ v1 + kb ⊙ v1;
// g = w ⊙ x2 [B, T, D].
template <class T>
struct Acts {
  Tensor<T> P, Q, v1, w, g;
};

template <class T>
Acts<T> run(const Problem& p, const Named<T>& in, bool monarch) {
  using namespace menagerie::ref;
  p.validate();
  const std::int64_t D = p.D;
  const auto& bin = param(p, in, "in_linear.bias");
  const auto& kb = param(p, in, "long_filter.bias");
  Acts<T> a;
  a.P = linear(param(p, in, "u"), param(p, in, "in_linear.weight"), &bin);
  a.Q = ops::short_conv::conv(a.P, param(p, in, "short_filter.weight"), param(p, in, "short_filter.bias"));
  a.v1 = Tensor<T>({p.B, p.T, D});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t c = 0; c < D; ++c) a.v1(b, t, c) = a.Q(b, t, 2 * D + c) * a.Q(b, t, c);
  const Tensor<T> h = taps(p, in);
  const auto [n1, n2] = factors(p);
  a.w = monarch ? ops::monarch_conv::conv_monarch(a.v1, h, n1, n2) : ops::long_conv::conv(a.v1, h);
  a.g = Tensor<T>({p.B, p.T, D});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t c = 0; c < D; ++c) {
        a.w(b, t, c) += kb(c) * a.v1(b, t, c);
        a.g(b, t, c) = a.w(b, t, c) * a.Q(b, t, D + c);
      }
  return a;
}

template <class T>
void forward(const Problem& p, const Named<T>& in, Named<T>& out, bool monarch) {
  const auto a = run(p, in, monarch);
  const auto& bout = param(p, in, "out_linear.bias");
  get(out, "y", {p.B, p.T, p.D}) = ref::linear(a.g, param(p, in, "out_linear.weight"), &bout);
}

}  // namespace

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  forward(p, in, out, false);
}

template <class T>
void reference_forward_monarch(const Problem& p, const Named<T>& in, Named<T>& out) {
  forward(p, in, out, true);
}

template <class T>
std::vector<Form<Problem, T>> reference_forms(const Problem&) {
  return {{"monarch", &reference_forward_monarch<T>}};
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  using namespace menagerie::ref;
  const auto a = run(p, in, false);
  const std::int64_t D = p.D;
  auto zeros = [&](std::string_view name) { return Tensor<T>(param(p, in, name).shape(), T(0)); };
  auto put = [&](std::string_view name, Tensor<T> g) { d_in.insert_or_assign(std::string(name), std::move(g)); };

  // y = g Wout^T + bout
  Tensor<T> dWout = zeros("out_linear.weight"), dbout = zeros("out_linear.bias");
  const Tensor<T> dg =
      linear_backward(a.g, param(p, in, "out_linear.weight"), get(d_out, "y", {p.B, p.T, D}), dWout, &dbout);
  // g = w ⊙ x2;  w = k ∗ v1 + kb ⊙ v1 (the convolution's adjoint by Monarch FFTs);  v1 = v ⊙ x1
  const auto& kb = param(p, in, "long_filter.bias");
  Tensor<T> dw({p.B, p.T, D}), dQ({p.B, p.T, 3 * D}), dv1, dh, dkb = zeros("long_filter.bias");
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t c = 0; c < D; ++c) {
        dw(b, t, c) = dg(b, t, c) * a.Q(b, t, D + c);
        dQ(b, t, D + c) = dg(b, t, c) * a.w(b, t, c);
      }
  const auto [n1, n2] = factors(p);
  ops::monarch_conv::conv_monarch_backward(a.v1, taps(p, in), dw, n1, n2, dv1, dh);
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t c = 0; c < D; ++c) {
        dv1(b, t, c) += kb(c) * dw(b, t, c);
        dkb(c) += dw(b, t, c) * a.v1(b, t, c);
        dQ(b, t, c) = dv1(b, t, c) * a.Q(b, t, 2 * D + c);
        dQ(b, t, 2 * D + c) = dv1(b, t, c) * a.Q(b, t, c);
      }
  Tensor<T> dk = zeros("long_filter.k");  // taps s >= T never reach an output
  for (std::int64_t c = 0; c < D; ++c)
    for (std::int64_t t = 0; t < p.T; ++t) dk(c, t) = dh(c, t);
  // Q = short_conv(P);  P = u Win^T + bin
  Tensor<T> dP, dsw, dsb;
  ops::short_conv::conv_backward(a.P, param(p, in, "short_filter.weight"), dQ, dP, dsw, dsb);
  Tensor<T> dWin = zeros("in_linear.weight"), dbin = zeros("in_linear.bias");
  put("u", linear_backward(param(p, in, "u"), param(p, in, "in_linear.weight"), dP, dWin, &dbin));
  put("in_linear.weight", std::move(dWin));
  put("in_linear.bias", std::move(dbin));
  put("short_filter.weight", std::move(dsw));
  put("short_filter.bias", std::move(dsb));
  put("long_filter.k", std::move(dk));
  put("long_filter.bias", std::move(dkb));
  put("out_linear.weight", std::move(dWout));
  put("out_linear.bias", std::move(dbout));
}

#define INSTANTIATE(T)                                                                            \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                 \
  template void reference_forward_monarch<T>(const Problem&, const Named<T>&, Named<T>&);         \
  template std::vector<Form<Problem, T>> reference_forms<T>(const Problem&);                      \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::mixers::m2
