// Reference for the causal long convolution (contract: core/ops/long_conv.hpp): the direct O(T^2) sum of the
// definition and its backward. Instantiated for float, double and Mp. conv / conv_backward take any [B, T, D] input
// and a [D, L] filter with L >= T, so the long-convolution mixers (BaseConv, Hyena, H3) reuse them.
#pragma once
#include "core/ops/long_conv.hpp"

namespace menagerie::ops::long_conv {

// y [B, T, D] = causal convolution of u [B, T, D] with h [D, L] (L >= T).
template <class T>
Tensor<T> conv(const Tensor<T>& u, const Tensor<T>& h);

// Given dy [B, T, D]: du [B, T, D] and dh [D, L] (zero at taps s >= T), overwritten.
template <class T>
void conv_backward(const Tensor<T>& u, const Tensor<T>& h, const Tensor<T>& dy, Tensor<T>& du, Tensor<T>& dh);

// in: u, h;  out: y.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in: u, h;  d_out: y;  d_in: u, h (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::ops::long_conv
