// Layer normalisation by its definition; see core/ops/layer_norm.hpp for the math.
#include "reference/layer_norm.hpp"

#include <vector>

#include "reference/instantiate.hpp"
#include "reference/scalar.hpp"

namespace menagerie::ops::layer_norm {

namespace {

// xhat[d] and rs = 1/sqrt(var + eps) of position (b, t).
template <class T>
T normalise(const Problem& p, const Tensor<T>& x, std::int64_t b, std::int64_t t, std::vector<T>& xhat) {
  using namespace menagerie::ref;
  const T n = cast<T>(static_cast<double>(p.D));
  T mu = T(0);
  for (std::int64_t d = 0; d < p.D; ++d) mu += x(b, t, d);
  mu /= n;
  T var = T(0);
  for (std::int64_t d = 0; d < p.D; ++d) var += (x(b, t, d) - mu) * (x(b, t, d) - mu);
  var /= n;
  const T rs = T(1) / sqrt(var + cast<T>(p.eps));
  xhat.resize(static_cast<std::size_t>(p.D));
  for (std::int64_t d = 0; d < p.D; ++d) xhat[static_cast<std::size_t>(d)] = (x(b, t, d) - mu) * rs;
  return rs;
}

}  // namespace

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto specs = tensors(p);
  const auto& x = get(in, "x", specs[0].shape);
  const auto& w = get(in, "weight", specs[1].shape);
  const auto& bias = get(in, "bias", specs[2].shape);
  auto& y = get(out, "y", specs[3].shape);
  std::vector<T> xhat;
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t) {
      normalise(p, x, b, t, xhat);
      for (std::int64_t d = 0; d < p.D; ++d) y(b, t, d) = xhat[static_cast<std::size_t>(d)] * w(d) + bias(d);
    }
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  using namespace menagerie::ref;
  p.validate();
  const auto specs = tensors(p);
  const auto& x = get(in, "x", specs[0].shape);
  const auto& w = get(in, "weight", specs[1].shape);
  get(in, "bias", specs[2].shape);
  const auto& dy = get(d_out, "y", specs[3].shape);
  d_in.insert_or_assign("x", Tensor<T>(specs[0].shape, T(0)));
  d_in.insert_or_assign("weight", Tensor<T>(specs[1].shape, T(0)));
  d_in.insert_or_assign("bias", Tensor<T>(specs[2].shape, T(0)));
  auto &dx = d_in.at("x"), &dw = d_in.at("weight"), &db = d_in.at("bias");
  const T n = cast<T>(static_cast<double>(p.D));
  std::vector<T> xhat;
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t) {
      const T rs = normalise(p, x, b, t, xhat);
      T mean_g = T(0), mean_gx = T(0);  // mean_d(g), mean_d(g xhat) with g = dy * weight
      for (std::int64_t d = 0; d < p.D; ++d) {
        const T xh = xhat[static_cast<std::size_t>(d)];
        const T g = dy(b, t, d) * w(d);
        mean_g += g;
        mean_gx += g * xh;
        dw(d) += dy(b, t, d) * xh;
        db(d) += dy(b, t, d);
      }
      mean_g /= n;
      mean_gx /= n;
      for (std::int64_t d = 0; d < p.D; ++d)
        dx(b, t, d) = rs * (dy(b, t, d) * w(d) - mean_g - xhat[static_cast<std::size_t>(d)] * mean_gx);
    }
}

#define INSTANTIATE(T)                                                            \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&); \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::layer_norm
