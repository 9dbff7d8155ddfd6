// Reference for the MHA mixer (contract: core/mixers/mha.hpp): the Wqkv projection, the softmax_attention
// operator's reference, and out_proj. The attention block is also what SlidingAttn computes (one head, a window),
// so it is exposed here over an operator problem and shared by reference/sliding_attn.cpp.
#pragma once
#include "core/mixers/mha.hpp"

namespace menagerie::mixers::mha {

// in: u, Wqkv.weight, Wqkv.bias, out_proj.weight, out_proj.bias;  out: y.  d = a.H * a.D; qkv split "(three h D)".
template <class T>
void attention_block_forward(const ops::softmax_attention::Problem& a, const Named<T>& in, Named<T>& out);

// d_out: y;  d_in: u and every parameter, overwritten.
template <class T>
void attention_block_backward(const ops::softmax_attention::Problem& a, const Named<T>& in, const Named<T>& d_out,
                              Named<T>& d_in);

// in: u, Wqkv.weight, Wqkv.bias, out_proj.weight, out_proj.bias;  out: y.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// d_out: y (dL/dy);  d_in: u, Wqkv.weight, Wqkv.bias, out_proj.weight, out_proj.bias, overwritten.
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::mixers::mha
