// Reference for the RWKV-4 WKV recurrence (contract and math: core/ops/wkv.hpp), in both forms: the plain direct
// sums (reference_forward) and the max-tracked stable recurrence of the official CUDA kernel (reference_step,
// reference_forward_recurrent). Instantiated for float, double and Mp.
#pragma once
#include "core/ops/wkv.hpp"

namespace menagerie::ops::wkv {

// The stable recurrence's state for every (b, d) after the tokens seen so far.
template <class T>
struct State {
  Tensor<T> p, q, o;  // [B, D]: numerator and denominator sums scaled by e^{-o}; o the running max exponent
};

// p = q = 0, o = -inf: no token seen.
template <class T>
State<T> initial_state(const Problem& p);

// One token of every sequence: k_t, v_t [B, D] -> y_t [B, D]; advances s by that token.
// time_decay, time_first [D].
template <class T>
void reference_step(const Problem& p, const Tensor<T>& time_decay, const Tensor<T>& time_first, const Tensor<T>& k_t,
                    const Tensor<T>& v_t, State<T>& s, Tensor<T>& y_t);

// in: k, v, time_decay, time_first;  out: y. The plain formula (direct sums, no max tracking).
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// Same map by reference_step, token by token from initial_state.
template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out);

// in: as forward;  d_out: y;  d_in: k, v, time_decay, time_first (overwritten). Works on the normalized weights
// P[t,s] with the max exponent subtracted, so it is finite wherever the stable forward is.
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::ops::wkv
