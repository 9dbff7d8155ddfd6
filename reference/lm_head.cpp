// Tied LM head, logits = h W_E^T (nn.Linear without bias); see core/ops/lm_head.hpp for the math.
#include "reference/lm_head.hpp"

#include "reference/instantiate.hpp"
#include "reference/linear.hpp"

namespace menagerie::ops::lm_head {

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto specs = tensors(p);
  const auto& h = get(in, "h", specs[0].shape);
  const auto& w = get(in, "weight", specs[1].shape);
  get(out, "logits", specs[2].shape) = ref::linear(h, w);
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  p.validate();
  const auto specs = tensors(p);
  const auto& h = get(in, "h", specs[0].shape);
  const auto& w = get(in, "weight", specs[1].shape);
  const auto& dlogits = get(d_out, "logits", specs[2].shape);
  Tensor<T> dw(specs[1].shape, T(0));
  d_in.insert_or_assign("h", ref::linear_backward(h, w, dlogits, dw));
  d_in.insert_or_assign("weight", std::move(dw));
}

#define INSTANTIATE(T)                                                            \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&); \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::lm_head
