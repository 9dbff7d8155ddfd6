// Embedding lookup by its definition; see core/ops/embedding.hpp for the math.
#include "reference/embedding.hpp"

#include "reference/instantiate.hpp"

namespace menagerie::ops::embedding {

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto specs = tensors(p);
  const auto& w = get(in, "weight", specs[0].shape);
  auto& y = get(out, "y", specs[1].shape);
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t) {
      const std::int64_t id = p.ids[static_cast<std::size_t>(b * p.T + t)];
      for (std::int64_t d = 0; d < p.D; ++d) y(b, t, d) = w(id, d);
    }
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  p.validate();
  const auto specs = tensors(p);
  get(in, "weight", specs[0].shape);
  const auto& dy = get(d_out, "y", specs[1].shape);
  d_in.insert_or_assign("weight", Tensor<T>(specs[0].shape, T(0)));
  auto& dw = d_in.at("weight");
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t) {
      const std::int64_t id = p.ids[static_cast<std::size_t>(b * p.T + t)];
      for (std::int64_t d = 0; d < p.D; ++d) dw(id, d) += dy(b, t, d);
    }
}

#define INSTANTIATE(T)                                                            \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&); \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::embedding
