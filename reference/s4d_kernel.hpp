// Reference for S4D-Lin kernel generation with bilinear discretization (contract: core/ops/s4d_kernel.hpp): the
// closed form with complex arithmetic (reference/complex.hpp), powers of Ā by repeated multiplication, and the
// hand-derived backward. Instantiated for float, double and Mp. kernel / kernel_backward read B and C by their
// flat [H, N/2, 2] layout, so H3 passes its [1, H, N/2, 2] C unchanged.
#pragma once
#include "core/ops/s4d_kernel.hpp"

namespace menagerie::ops::s4d_kernel {

// K [H, L] (L = kernel length) from log_dt [H], inv_A_real [H, N/2], A_imag [H, N/2], B and C (H·N/2·2 elements each).
template <class T>
Tensor<T> kernel(const Tensor<T>& log_dt, const Tensor<T>& inv_A_real, const Tensor<T>& A_imag, const Tensor<T>& B,
                 const Tensor<T>& C, std::int64_t L);

// Given dK [H, L]: the gradients, overwritten, each with the shape of its parameter.
template <class T>
void kernel_backward(const Tensor<T>& log_dt, const Tensor<T>& inv_A_real, const Tensor<T>& A_imag,
                     const Tensor<T>& B, const Tensor<T>& C, const Tensor<T>& dK, Tensor<T>& dlog_dt,
                     Tensor<T>& dinv_A_real, Tensor<T>& dA_imag, Tensor<T>& dB, Tensor<T>& dC);

// in: log_dt, inv_A_real, A_imag, B, C;  out: K.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in: the parameters;  d_out: K;  d_in: every parameter (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::ops::s4d_kernel
