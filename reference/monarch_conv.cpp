// Causal long convolution by Monarch FFTs; see core/ops/monarch_conv.hpp for the math.
#include "reference/monarch_conv.hpp"

#include <cstddef>

#include "reference/complex.hpp"
#include "reference/instantiate.hpp"
#include "reference/long_conv.hpp"
#include "reference/monarch.hpp"

namespace menagerie::ops::monarch_conv {

namespace {
std::size_t sz(std::int64_t v) { return static_cast<std::size_t>(v); }

void check(const Shape& u, const Shape& h) {
  require<ShapeError>(u.size() == 3 && h.size() == 2 && h[0] == u[2] && h[1] >= u[1], "monarch_conv: u ",
                      shape_str(u), " and filter ", shape_str(h), " do not fit [B, T, D], [D, L >= T]");
}

template <class T>
std::vector<T> reversed(std::vector<T> x) {
  return {x.rbegin(), x.rend()};
}
}  // namespace

template <class T>
std::vector<T> causal_conv_monarch(const std::vector<T>& a, const std::vector<T>& b, std::int64_t n1, std::int64_t n2) {
  const auto len = static_cast<std::int64_t>(a.size());
  require<ShapeError>(b.size() == a.size() && n1 >= 1 && n2 >= 1 && n1 * n2 >= 2 * len - 1, "monarch_conv: length ",
                      len, " and ", b.size(), " with DFT size ", n1, " x ", n2, " (needs >= 2T − 1 = ", 2 * len - 1, ")");
  const auto F = ref::dft_monarch<T>(n1, n2, false), G = ref::dft_monarch<T>(n1, n2, true);
  std::vector<ref::Complex<T>> A(sz(n1 * n2)), Bv(sz(n1 * n2));
  for (std::int64_t t = 0; t < len; ++t) {
    A[sz(t)].re = a[sz(t)];
    Bv[sz(t)].re = b[sz(t)];
  }
  A = ref::monarch_dft(F, A, false);
  Bv = ref::monarch_dft(F, Bv, false);
  for (std::size_t k = 0; k < A.size(); ++k) A[k] = A[k] * Bv[k];
  A = ref::monarch_dft(G, A, true);
  std::vector<T> y(a.size());
  for (std::int64_t t = 0; t < len; ++t) y[sz(t)] = A[sz(t)].re;
  return y;
}

template <class T>
Tensor<T> conv_monarch(const Tensor<T>& u, const Tensor<T>& h, std::int64_t n1, std::int64_t n2) {
  check(u.shape(), h.shape());
  const std::int64_t B = u.size(0), L = u.size(1), D = u.size(2);
  Tensor<T> y(u.shape());
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t c = 0; c < D; ++c) {
      std::vector<T> x(sz(L)), k(sz(L));
      for (std::int64_t t = 0; t < L; ++t) x[sz(t)] = u(b, t, c), k[sz(t)] = h(c, t);
      const auto out = causal_conv_monarch(x, k, n1, n2);
      for (std::int64_t t = 0; t < L; ++t) y(b, t, c) = out[sz(t)];
    }
  return y;
}

template <class T>
void conv_monarch_backward(const Tensor<T>& u, const Tensor<T>& h, const Tensor<T>& dy, std::int64_t n1,
                           std::int64_t n2, Tensor<T>& du, Tensor<T>& dh) {
  check(u.shape(), h.shape());
  require<ShapeError>(dy.shape() == u.shape(), "monarch_conv: dy ", shape_str(dy.shape()), " for u ",
                      shape_str(u.shape()));
  const std::int64_t B = u.size(0), L = u.size(1), D = u.size(2);
  du = Tensor<T>(u.shape(), T(0));
  dh = Tensor<T>(h.shape(), T(0));
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t c = 0; c < D; ++c) {
      std::vector<T> g(sz(L)), x(sz(L)), k(sz(L));
      for (std::int64_t t = 0; t < L; ++t) g[sz(t)] = dy(b, t, c), x[sz(t)] = u(b, t, c), k[sz(t)] = h(c, t);
      const auto rg = reversed(g);
      const auto gu = reversed(causal_conv_monarch(rg, k, n1, n2));
      const auto gh = reversed(causal_conv_monarch(rg, x, n1, n2));
      for (std::int64_t t = 0; t < L; ++t) {
        du(b, t, c) = gu[sz(t)];
        dh(c, t) += gh[sz(t)];
      }
    }
}

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto specs = tensors(p);
  get(out, "y", specs[2].shape) = long_conv::conv(get(in, "u", specs[0].shape), get(in, "h", specs[1].shape));
}

template <class T>
void reference_forward_monarch(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto specs = tensors(p);
  const auto [n1, n2] = p.dft_factors();
  get(out, "y", specs[2].shape) = conv_monarch(get(in, "u", specs[0].shape), get(in, "h", specs[1].shape), n1, n2);
}

namespace {
template <class T>
void reference_forward_fft(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto specs = tensors(p);
  get(out, "y", specs[2].shape) = long_conv::conv_fft(get(in, "u", specs[0].shape), get(in, "h", specs[1].shape));
}
}  // namespace

template <class T>
std::vector<Form<Problem, T>> reference_forms(const Problem&) {
  return {{"monarch", &reference_forward_monarch<T>}, {"fft", &reference_forward_fft<T>}};
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  p.validate();
  const auto specs = tensors(p);
  const auto [n1, n2] = p.dft_factors();
  Tensor<T> du, dh;
  conv_monarch_backward(get(in, "u", specs[0].shape), get(in, "h", specs[1].shape), get(d_out, "y", specs[2].shape),
                        n1, n2, du, dh);
  d_in.insert_or_assign("u", std::move(du));
  d_in.insert_or_assign("h", std::move(dh));
}

#define INSTANTIATE(T)                                                                                            \
  template std::vector<T> causal_conv_monarch<T>(const std::vector<T>&, const std::vector<T>&, std::int64_t,       \
                                                 std::int64_t);                                                    \
  template Tensor<T> conv_monarch<T>(const Tensor<T>&, const Tensor<T>&, std::int64_t, std::int64_t);              \
  template void conv_monarch_backward<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, std::int64_t,       \
                                         std::int64_t, Tensor<T>&, Tensor<T>&);                                    \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                                 \
  template void reference_forward_monarch<T>(const Problem&, const Named<T>&, Named<T>&);                         \
  template std::vector<Form<Problem, T>> reference_forms<T>(const Problem&);                                      \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::monarch_conv
