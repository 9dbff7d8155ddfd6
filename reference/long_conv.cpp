// Causal long convolution by its definition (direct sum) and by the FFT; see core/ops/long_conv.hpp for the math.
#include "reference/long_conv.hpp"

#include "reference/complex.hpp"
#include "reference/fft.hpp"
#include "reference/instantiate.hpp"

namespace menagerie::ops::long_conv {

namespace {
void check(const Shape& u, const Shape& h) {
  require<ShapeError>(u.size() == 3 && h.size() == 2 && h[0] == u[2] && h[1] >= u[1], "long_conv: u ", shape_str(u),
                      " and filter ", shape_str(h), " do not fit [B, T, D], [D, L >= T]");
}
}  // namespace

template <class T>
Tensor<T> conv(const Tensor<T>& u, const Tensor<T>& h) {
  check(u.shape(), h.shape());
  const std::int64_t B = u.size(0), L = u.size(1), D = u.size(2);
  Tensor<T> y(u.shape());
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < L; ++t)
      for (std::int64_t c = 0; c < D; ++c) {
        T acc = T(0);
        for (std::int64_t s = 0; s <= t; ++s) acc += h(c, s) * u(b, t - s, c);
        y(b, t, c) = acc;
      }
  return y;
}

template <class T>
Tensor<T> conv_fft(const Tensor<T>& u, const Tensor<T>& h) {
  check(u.shape(), h.shape());
  const std::int64_t B = u.size(0), L = u.size(1), D = u.size(2), n = ref::next_pow2(2 * L);
  const auto len = static_cast<std::size_t>(n);
  Tensor<T> y(u.shape());
  for (std::int64_t c = 0; c < D; ++c) {
    std::vector<ref::Complex<T>> H(len);
    for (std::int64_t s = 0; s < L; ++s) H[static_cast<std::size_t>(s)].re = h(c, s);
    ref::fft(H, false);
    for (std::int64_t b = 0; b < B; ++b) {
      std::vector<ref::Complex<T>> U(len);
      for (std::int64_t t = 0; t < L; ++t) U[static_cast<std::size_t>(t)].re = u(b, t, c);
      ref::fft(U, false);
      for (std::size_t k = 0; k < len; ++k) U[k] = U[k] * H[k];
      ref::fft(U, true);
      for (std::int64_t t = 0; t < L; ++t) y(b, t, c) = U[static_cast<std::size_t>(t)].re;
    }
  }
  return y;
}

template <class T>
void conv_backward(const Tensor<T>& u, const Tensor<T>& h, const Tensor<T>& dy, Tensor<T>& du, Tensor<T>& dh) {
  check(u.shape(), h.shape());
  const std::int64_t B = u.size(0), L = u.size(1), D = u.size(2);
  du = Tensor<T>(u.shape(), T(0));
  dh = Tensor<T>(h.shape(), T(0));
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < L; ++t)
      for (std::int64_t c = 0; c < D; ++c) {
        const T g = dy(b, t, c);
        for (std::int64_t s = 0; s <= t; ++s) {
          du(b, t - s, c) += h(c, s) * g;
          dh(c, s) += u(b, t - s, c) * g;
        }
      }
}

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto specs = tensors(p);
  get(out, "y", specs[2].shape) = conv(get(in, "u", specs[0].shape), get(in, "h", specs[1].shape));
}

template <class T>
void reference_forward_fft(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto specs = tensors(p);
  get(out, "y", specs[2].shape) = conv_fft(get(in, "u", specs[0].shape), get(in, "h", specs[1].shape));
}

template <class T>
std::vector<Form<Problem, T>> reference_forms(const Problem&) {
  return {{"fft", &reference_forward_fft<T>}};
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  p.validate();
  const auto specs = tensors(p);
  Tensor<T> du, dh;
  conv_backward(get(in, "u", specs[0].shape), get(in, "h", specs[1].shape), get(d_out, "y", specs[2].shape), du, dh);
  d_in.insert_or_assign("u", std::move(du));
  d_in.insert_or_assign("h", std::move(dh));
}

#define INSTANTIATE(T)                                                                                     \
  template Tensor<T> conv<T>(const Tensor<T>&, const Tensor<T>&);                                          \
  template Tensor<T> conv_fft<T>(const Tensor<T>&, const Tensor<T>&);                                      \
  template void conv_backward<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, Tensor<T>&, Tensor<T>&); \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                          \
  template void reference_forward_fft<T>(const Problem&, const Named<T>&, Named<T>&);                      \
  template std::vector<Form<Problem, T>> reference_forms<T>(const Problem&);                               \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::long_conv
