// Mean softmax cross-entropy over labelled positions; see core/ops/cross_entropy.hpp for the math.
#include "reference/cross_entropy.hpp"

#include "reference/instantiate.hpp"
#include "reference/scalar.hpp"

namespace menagerie::ops::cross_entropy {

namespace {

// The row maximum m and z = sum_v exp(logits[b,t,v] - m) of row (b, t).
template <class T>
std::pair<T, T> row_max_and_sum(const Problem& p, const Tensor<T>& z, std::int64_t b, std::int64_t t) {
  using namespace menagerie::ref;
  T m = z(b, t, 0);
  for (std::int64_t v = 1; v < p.V; ++v) m = max(m, z(b, t, v));
  T s = T(0);
  for (std::int64_t v = 0; v < p.V; ++v) s += exp(z(b, t, v) - m);
  return {m, s};
}

}  // namespace

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  using namespace menagerie::ref;
  p.validate();
  const auto specs = tensors(p);
  const auto& z = get(in, "logits", specs[0].shape);
  auto& loss = get(out, "loss", specs[1].shape);
  T total = T(0);
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t) {
      const std::int64_t label = p.labels[static_cast<std::size_t>(b * p.T + t)];
      if (label == ignore_index) continue;
      const auto [m, s] = row_max_and_sum(p, z, b, t);
      total += m + log(s) - z(b, t, label);
    }
  loss.data()[0] = total / cast<T>(static_cast<double>(p.labelled()));
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  using namespace menagerie::ref;
  p.validate();
  const auto specs = tensors(p);
  const auto& z = get(in, "logits", specs[0].shape);
  const T scale = get(d_out, "loss", specs[1].shape).data()[0] / cast<T>(static_cast<double>(p.labelled()));
  d_in.insert_or_assign("logits", Tensor<T>(specs[0].shape, T(0)));
  auto& dz = d_in.at("logits");
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t) {
      const std::int64_t label = p.labels[static_cast<std::size_t>(b * p.T + t)];
      if (label == ignore_index) continue;
      const auto [m, s] = row_max_and_sum(p, z, b, t);
      for (std::int64_t v = 0; v < p.V; ++v) dz(b, t, v) = scale * exp(z(b, t, v) - m) / s;
      dz(b, t, label) -= scale;
    }
}

#define INSTANTIATE(T)                                                            \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&); \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::cross_entropy
