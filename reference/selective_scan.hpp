// Reference for the Mamba selective scan (contract and math: core/ops/selective_scan.hpp): the unrolled parallel
// sum (reference_forward) and the scan itself (reference_step, reference_forward_recurrent), with the backward by
// the adjoint of the scan. Instantiated for float, double and Mp.
#pragma once
#include "core/ops/selective_scan.hpp"

namespace menagerie::ops::selective_scan {

// The scan's state for every (b, d).
template <class T>
struct State {
  Tensor<T> h;  // [B, D, N]
};

// h = 0.
template <class T>
State<T> initial_state(const Problem& p);

// One token of every sequence: x_t, delta_t [B, D], B_t, C_t [B, N] -> y_t [B, D]; advances s.
// A [D, N], D [D] (named Dskip here: the skip weight, not the width).
template <class T>
void reference_step(const Problem& p, const Tensor<T>& A, const Tensor<T>& Dskip, const Tensor<T>& x_t,
                    const Tensor<T>& delta_t, const Tensor<T>& B_t, const Tensor<T>& C_t, State<T>& s, Tensor<T>& y_t);

// in: x, delta, A, B, C, D;  out: y. The unrolled sum, decay products prod_{r=s+1..t} exp(delta_r A) per pair.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// Same map by reference_step, token by token from initial_state.
template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out);

// in: as forward;  d_out: y;  d_in: x, delta, A, B, C, D (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::ops::selective_scan
