// Reference for the Gated DeltaNet mixer (contract and math: core/mixers/gated_deltanet.hpp): projections and
// short convs (reference/delta_layer.hpp), per-head L2 norm, sigmoid beta, the softplus log decay and the delta_rule
// operator (reference/delta_rule.hpp), the output RMSNorm (and SiLU gate), with the hand-derived backward and the
// token-by-token step form. Instantiated for float, double and Mp.
#pragma once
#include "core/mixers/gated_deltanet.hpp"
#include "reference/delta_rule.hpp"

namespace menagerie::mixers::gated_deltanet {

// The recurrent state of every sequence: the three conv windows and the delta rule's S.
template <class T>
struct State {
  Tensor<T> conv_q, conv_k, conv_v;  // [B, Kd | Kd | Vd, K - 1]: the last K - 1 projections, oldest first
  ops::delta_rule::State<T> rule;    // S [B, H, Dv, Dk]
};

template <class T>
State<T> initial_state(const Problem& p);

// One token: u_t [B, d] -> y_t [B, d]; in holds the parameters (u, if present, is ignored); advances s.
template <class T>
void reference_step(const Problem& p, const Named<T>& in, State<T>& s, const Tensor<T>& u_t, Tensor<T>& y_t);

// in: u and the parameters;  out: y.  The delta rule in its quadratic (one-chunk UT) form.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// The forward through reference_step from initial_state, token by token.
template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out);

// d_out: y;  d_in: u and every parameter (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::mixers::gated_deltanet
