// Reference for the Monarch Mixer sequence mixer (contract and math: core/mixers/m2.hpp): in_linear, the short_conv
// reference over 3D channels, x1 gating, the explicit long convolution (direct sum in reference_forward, Monarch FFTs
// in the "monarch" form) plus the bias term, x2 gating and out_linear; the hand-derived backward, its long-convolution
// adjoint by Monarch FFTs. Instantiated for float, double and Mp.
#pragma once
#include <vector>

#include "core/mixers/m2.hpp"

namespace menagerie::mixers::m2 {

// in: u and every parameter;  out: y (the long convolution by its direct sum).
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// The same y with the long convolution by Monarch FFTs (ops::monarch_conv::conv_monarch, default DFT factors).
template <class T>
void reference_forward_monarch(const Problem& p, const Named<T>& in, Named<T>& out);

// "monarch" (reference_forward_monarch), checked equal to reference_forward in Mp by the generic forms check.
template <class T>
std::vector<Form<Problem, T>> reference_forms(const Problem& p);

// in: as forward;  d_out: y;  d_in: u and every parameter (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::mixers::m2
