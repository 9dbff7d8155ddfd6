// The SlidingAttn mixer: qkv.split(d) is MHA's "(three h D)" split with one head, so the mixer is MHA's
// attention block over the windowed softmax_attention problem; see core/mixers/sliding_attn.hpp.
#include "reference/sliding_attn.hpp"

#include "reference/instantiate.hpp"
#include "reference/mha.hpp"

namespace menagerie::mixers::sliding_attn {

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  mha::attention_block_forward<T>(attention_problem(p), in, out);
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  p.validate();
  mha::attention_block_backward<T>(attention_problem(p), in, d_out, d_in);
}

#define INSTANTIATE(T)                                                            \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&); \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::mixers::sliding_attn
