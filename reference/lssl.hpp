// Reference for the Linear State-Space Layer (contract and math: core/ops/lssl.hpp): the recurrence
// (reference_forward), the convolution with the powered kernel (reference_forward_conv, listed in reference_forms),
// and the backward by the adjoint of the recurrence. Instantiated for float, double and Mp.
#pragma once
#include <vector>

#include "core/ops/lssl.hpp"

namespace menagerie::ops::lssl {

// in: u, log_dt, B, C, D;  out: y, by the recurrence.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in and out as reference_forward; y by the causal convolution with K_h[j] = C Ā^j B̄ plus the skip.
template <class T>
void reference_forward_conv(const Problem& p, const Named<T>& in, Named<T>& out);

// "convolution" (reference_forward_conv), checked equal to reference_forward in Mp by the generic `forms` check.
template <class T>
std::vector<Form<Problem, T>> reference_forms(const Problem& p);

// in as reference_forward;  d_out: y;  d_in: u and every parameter (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::ops::lssl
