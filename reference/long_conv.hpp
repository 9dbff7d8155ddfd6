// Reference for the causal long convolution (contract: core/ops/long_conv.hpp): the direct O(T^2) sum of the
// definition and its backward, and the FFT form every fast implementation evaluates (reference_forward_fft, the
// oracle for long T: O(T log T)). Instantiated for float, double and Mp. conv / conv_backward / conv_fft take any
// [B, T, D] input and a [D, L] filter with L >= T, so the long-convolution mixers (BaseConv, Hyena, H3) reuse them.
#pragma once
#include <vector>

#include "core/ops/long_conv.hpp"

namespace menagerie::ops::long_conv {

// y [B, T, D] = causal convolution of u [B, T, D] with h [D, L] (L >= T).
template <class T>
Tensor<T> conv(const Tensor<T>& u, const Tensor<T>& h);

// The same y by the FFT form: per (b, c), u[b, :, c] and the first T taps h[c, :T] zero-padded to n = the next power
// of two >= 2T, y[b, :, c] = the first T entries of IDFT_n(DFT_n(u) · DFT_n(h)) (reference/fft.hpp's radix-2
// transform, its twiddles of T's precision). n >= 2T − 1 leaves no circular wrap-around, so it equals conv exactly in
// exact arithmetic; the imaginary parts (zero in exact arithmetic) are dropped.
template <class T>
Tensor<T> conv_fft(const Tensor<T>& u, const Tensor<T>& h);

// Given dy [B, T, D]: du [B, T, D] and dh [D, L] (zero at taps s >= T), overwritten.
template <class T>
void conv_backward(const Tensor<T>& u, const Tensor<T>& h, const Tensor<T>& dy, Tensor<T>& du, Tensor<T>& dh);

// in: u, h;  out: y.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in: u, h;  out: y, by conv_fft.
template <class T>
void reference_forward_fft(const Problem& p, const Named<T>& in, Named<T>& out);

// The forward's other forms, each checked equal to reference_forward in Mp by reference/conformance.hpp's `forms`
// check: "fft" (reference_forward_fft).
template <class T>
std::vector<Form<Problem, T>> reference_forms(const Problem& p);

// in: u, h;  d_out: y;  d_in: u, h (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::ops::long_conv
