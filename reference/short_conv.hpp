// Reference for the short depthwise causal convolution (contract: core/ops/short_conv.hpp): the Conv1d sum by its
// definition, its backward, and the token-by-token step form. Instantiated for float, double and Mp.
// conv / conv_backward work on any [B, T, D] tensor with a [D, 1, K] weight, so mixers (BaseConv, Hyena) reuse them.
#pragma once
#include "core/ops/short_conv.hpp"

namespace menagerie::ops::short_conv {

// y [B, T, D] = bias + causal Conv1d(u) with weight [D, 1, K], bias [D].
template <class T>
Tensor<T> conv(const Tensor<T>& u, const Tensor<T>& weight, const Tensor<T>& bias);

// Given dy [B, T, D]: du [B, T, D], dweight [D, 1, K], dbias [D], all overwritten.
template <class T>
void conv_backward(const Tensor<T>& u, const Tensor<T>& weight, const Tensor<T>& dy, Tensor<T>& du,
                   Tensor<T>& dweight, Tensor<T>& dbias);

// in: u, weight, bias;  out: y.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in: u, weight, bias;  d_out: y;  d_in: u, weight, bias (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

// One token: state [B, D, K−1] (last K−1 inputs, oldest first), u_t [B, D] -> y_t [B, D]; the state advances.
// in needs weight and bias only.
template <class T>
void reference_step(const Problem& p, const Named<T>& in, Tensor<T>& state, const Tensor<T>& u_t, Tensor<T>& y_t);

// The forward run through reference_step from a zero state, token by token.
template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out);

}  // namespace menagerie::ops::short_conv
