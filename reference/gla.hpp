// Reference for the GLA mixer (contract and math: core/mixers/gla.hpp): the projections and the low-rank log-decay
// gate (reference/linear.hpp) around the gated_linear_attention operator (reference/gated_linear_attention.hpp),
// then the per-head RMSNorm fused with the swish output gate and o_proj; the hand-derived backward and the
// token-by-token step form. Instantiated for float, double and Mp.
#pragma once
#include "core/mixers/gla.hpp"
#include "reference/gated_linear_attention.hpp"

namespace menagerie::mixers::gla {

// The recurrent state of every sequence: the operator's S [B, H, Dk, Dv].
template <class T>
using State = ops::gated_linear_attention::State<T>;

template <class T>
State<T> initial_state(const Problem& p);

// One token: u_t [B, d] -> y_t [B, d]; in holds the parameters (u, if present, is ignored); advances s.
template <class T>
void reference_step(const Problem& p, const Named<T>& in, State<T>& s, const Tensor<T>& u_t, Tensor<T>& y_t);

// in: u and the parameters;  out: y.  The operator in its quadratic form.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// The forward through reference_step from initial_state, token by token.
template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out);

// d_out: y;  d_in: u and every parameter (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::mixers::gla
