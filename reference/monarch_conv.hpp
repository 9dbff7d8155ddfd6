// Reference for the causal long convolution by Monarch FFTs (contract and math: core/ops/monarch_conv.hpp): the direct
// sum (reference_forward, long_conv's), the Monarch form (reference_forward_monarch: zero padding to n = n1 n2 >= 2T − 1,
// DFTs as Monarch products from reference/monarch.hpp) and the radix-2 FFT form (long_conv's); the backward as the
// adjoint correlation evaluated by the Monarch form through time reversal. Instantiated for float, double and Mp.
#pragma once
#include <cstdint>
#include <vector>

#include "core/ops/monarch_conv.hpp"

namespace menagerie::ops::monarch_conv {

// The first a.size() entries of the linear convolution a ∗ b (a, b of one length T) by Monarch DFTs of size
// n1 n2 >= 2T − 1: Re IDFT(DFT(a) · DFT(b)) with both zero-padded.
template <class T>
std::vector<T> causal_conv_monarch(const std::vector<T>& a, const std::vector<T>& b, std::int64_t n1, std::int64_t n2);

// y [B, T, D] = causal convolution of u [B, T, D] with h [D, L] (L >= T), per (b, c) by causal_conv_monarch.
template <class T>
Tensor<T> conv_monarch(const Tensor<T>& u, const Tensor<T>& h, std::int64_t n1, std::int64_t n2);

// Given dy [B, T, D]: du [B, T, D] and dh [D, L] (zero at taps s >= T), overwritten; by causal_conv_monarch of the
// time-reversed dy with h and with u.
template <class T>
void conv_monarch_backward(const Tensor<T>& u, const Tensor<T>& h, const Tensor<T>& dy, std::int64_t n1,
                           std::int64_t n2, Tensor<T>& du, Tensor<T>& dh);

// in: u, h;  out: y (the direct sum).
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in: u, h;  out: y, by conv_monarch with p.dft_factors().
template <class T>
void reference_forward_monarch(const Problem& p, const Named<T>& in, Named<T>& out);

// "monarch" (reference_forward_monarch) and "fft" (long_conv's radix-2 FFT form), each checked equal to
// reference_forward in Mp by reference/conformance.hpp's `forms` check.
template <class T>
std::vector<Form<Problem, T>> reference_forms(const Problem& p);

// in: u, h;  d_out: y;  d_in: u, h (overwritten), by conv_monarch_backward.
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::ops::monarch_conv
