// Reference for the SlidingAttn mixer (contract: core/mixers/sliding_attn.hpp): MHA's attention block
// (reference/mha.hpp) with one head of dim d and the window w. Instantiated for float, double and Mp.
#pragma once
#include "core/mixers/sliding_attn.hpp"

namespace menagerie::mixers::sliding_attn {

// in: u, Wqkv.weight, Wqkv.bias, out_proj.weight, out_proj.bias;  out: y.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// d_out: y (dL/dy);  d_in: u, Wqkv.weight, Wqkv.bias, out_proj.weight, out_proj.bias, overwritten.
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::mixers::sliding_attn
