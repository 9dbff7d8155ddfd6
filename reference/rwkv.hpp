// Reference for the RWKV-4 time mixer (contract and math: core/mixers/rwkv.hpp): token shift, mixes, projections
// (reference/linear.hpp) and the wkv operator's stable recurrence (reference/wkv.hpp), with the hand-derived
// backward and the token-by-token step form. Instantiated for float, double and Mp.
#pragma once
#include "core/mixers/rwkv.hpp"
#include "reference/wkv.hpp"

namespace menagerie::mixers::rwkv {

// The recurrent state of every sequence: the previous token and the WKV state.
template <class T>
struct State {
  Tensor<T> prev;             // [B, d]: u_{t-1} (0 before the first token)
  ops::wkv::State<T> wkv;     // p, q, o [B, d]
};

template <class T>
State<T> initial_state(const Problem& p);

// One token: u_t [B, d] -> y_t [B, d]; in holds the parameters (u, if present, is ignored); advances s.
template <class T>
void reference_step(const Problem& p, const Named<T>& in, State<T>& s, const Tensor<T>& u_t, Tensor<T>& y_t);

// in: u and the parameters;  out: y.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// The forward through reference_step from initial_state, token by token.
template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out);

// d_out: y;  d_in: u and every parameter (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::mixers::rwkv
