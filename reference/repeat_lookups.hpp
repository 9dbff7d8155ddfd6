// Reference for the repeat_lookups mixer (contract and math: core/mixers/repeat_lookups.hpp): the MHA block
// (reference/mha.hpp) and the residual y = u + m a with m the repeat selection of the Problem's ids; the backward
// (m is data: da = m dy through the MHA backward, du = dy + du_attn). Instantiated for float, double and Mp.
#pragma once
#include "core/mixers/repeat_lookups.hpp"

namespace menagerie::mixers::repeat_lookups {

// in: u, Wqkv.weight, Wqkv.bias, out_proj.weight, out_proj.bias;  out: y.  Needs p.ids.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// d_out: y;  d_in: u and every parameter (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::mixers::repeat_lookups
