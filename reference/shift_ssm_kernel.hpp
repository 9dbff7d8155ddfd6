// Reference for H3's shift-SSM kernel (contract: core/ops/shift_ssm_kernel.hpp): the correlation sum of B and C by
// its definition and its backward. Instantiated for float, double and Mp. kernel / kernel_backward read C by its
// flat [D, N] layout, so H3 passes its [1, D, N] C unchanged.
#pragma once
#include "core/ops/shift_ssm_kernel.hpp"

namespace menagerie::ops::shift_ssm_kernel {

// filter [D, L] from B [D, N] and C (D·N elements).
template <class T>
Tensor<T> kernel(const Tensor<T>& B, const Tensor<T>& C, std::int64_t L);

// Given dfilter [D, L]: dB (shape of B) and dC (shape of C), overwritten.
template <class T>
void kernel_backward(const Tensor<T>& B, const Tensor<T>& C, const Tensor<T>& dfilter, Tensor<T>& dB, Tensor<T>& dC);

// in: B, C;  out: filter.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in: B, C;  d_out: filter;  d_in: B, C (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::ops::shift_ssm_kernel
