// Reference for RTF kernel generation (contract and math: core/ops/rtf_kernel.hpp), in both forms: the paper's
// state-free form, DFTs of the padded coefficients divided and transformed back (reference_forward, through
// reference/fft.hpp), and the companion SSM run as a recurrence (reference_forward_recurrent); the backward by the
// adjoint of the state-free form. Instantiated for float, double and Mp.
#pragma once
#include <cstdint>

#include "core/ops/rtf_kernel.hpp"

namespace menagerie::ops::rtf_kernel {

// K [D, len] by the state-free form on n points (n >= max(len, N + 1)), from a, b [D, N] and h0 [D]. A denominator
// that vanishes at an n-th root of unity (|Â_k| within 8 n eps (1 + sum |a_i|)) is an InputError naming the channel.
template <class T>
Tensor<T> kernel(const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& h0, std::int64_t len, std::int64_t n);

// The same K by the companion SSM, per channel: A^n column by column (n companion steps of each unit vector),
// C = (I − A^n)^{−T} b by Gaussian elimination with partial pivoting (a singular I − A^n, a pivot within
// 8 N n eps max|I − A^n|, is an InputError naming the channel), the impulse response of x_{t+1} = A x_t + e_1 u_t,
// y_t = C·x_t + h0 u_t for t < len, and the wrap-around C·x_n added at t = 0. O(N^2 n + N^3) per channel.
template <class T>
Tensor<T> kernel_companion(const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& h0, std::int64_t len,
                           std::int64_t n);

// Given dK [D, len]: da, db [D, N] and dh0 [D], overwritten (the adjoint of `kernel` on n points).
template <class T>
void kernel_backward(const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& dK, std::int64_t n, Tensor<T>& da,
                     Tensor<T>& db, Tensor<T>& dh0);

// in: a, b, h0;  out: K (state-free form).
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in: a, b, h0;  out: K (companion form).
template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out);

// in: a, b, h0;  d_out: K;  d_in: a, b, h0 (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::ops::rtf_kernel
