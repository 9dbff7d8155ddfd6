// Reference for S4's DPLR kernel generation (contract and math: core/ops/s4_kernel.hpp): the paper's generating-
// function route (reference_forward: roots of unity, Woodbury, Cauchy sums, inverse DFT; for ZOH a dense resolvent in
// place of the Cauchy sums), the powering form (reference_forward_powering, listed in reference_forms), and the
// backward through the powering form. Instantiated for float, double and Mp.
#pragma once
#include <vector>

#include "core/ops/s4_kernel.hpp"

namespace menagerie::ops::s4_kernel {

// in: Lambda_re, Lambda_im, P, B, C, log_dt;  out: K, by the generating function.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in and out as reference_forward; K[t] = Re c Ā^t B̄ by powering the densely discretised matrix.
template <class T>
void reference_forward_powering(const Problem& p, const Named<T>& in, Named<T>& out);

// "powering" (reference_forward_powering), checked equal to reference_forward in Mp by the generic `forms` check.
template <class T>
std::vector<Form<Problem, T>> reference_forms(const Problem& p);

// in as reference_forward;  d_out: K;  d_in: every parameter (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::ops::s4_kernel
