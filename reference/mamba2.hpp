// Reference for the Mamba-2 mixer (contract and math: core/mixers/mamba2.hpp): in_proj (reference/linear.hpp), the
// depthwise causal conv + SiLU on xBC (reference/short_conv.hpp), softplus step sizes, the SSD recurrence through
// the gated_linear_attention operator (reference/gated_linear_attention.hpp), the D skip, the gated RMSNorm and
// out_proj; the hand-derived backward and the token-by-token step form. Instantiated for float, double and Mp.
#pragma once
#include "core/mixers/mamba2.hpp"
#include "reference/gated_linear_attention.hpp"

namespace menagerie::mixers::mamba2 {

// The recurrent state of every sequence: the conv window and the SSD state.
template <class T>
struct State {
  Tensor<T> conv;                              // [B, E + 2N, K - 1]: the last K - 1 conv inputs, oldest first
  ops::gated_linear_attention::State<T> ssm;  // S [B, H, N, P]
};

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

}  // namespace menagerie::mixers::mamba2
