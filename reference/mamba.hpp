// Reference for the Mamba mixer (contract and math: core/mixers/mamba.hpp): projections (reference/linear.hpp),
// depthwise causal conv + SiLU, softplus step sizes and the selective_scan operator (reference/selective_scan.hpp),
// with the hand-derived backward and the token-by-token step form. Instantiated for float, double and Mp.
#pragma once
#include "core/mixers/mamba.hpp"
#include "reference/selective_scan.hpp"

namespace menagerie::mixers::mamba {

// The recurrent state of every sequence: the conv window and the scan state.
template <class T>
struct State {
  Tensor<T> conv;                     // [B, E, K - 1]: the last K - 1 conv inputs x, oldest first (0 at the start)
  ops::selective_scan::State<T> ssm;  // h [B, E, N]
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

}  // namespace menagerie::mixers::mamba
