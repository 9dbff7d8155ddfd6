// Reference for Zoology's H3 mixer (contract: core/mixers/h3.hpp): parallel form built from the shift_ssm_kernel,
// s4d_kernel and long_conv references, the hand-derived backward, and the token-by-token step form (Zoology's
// H3.step). Instantiated for float, double and Mp.
#pragma once
#include "core/mixers/h3.hpp"

namespace menagerie::mixers::h3 {

// The recurrent state: shift [B, D, N] (the shift SSM of k), ssm [B, P, P, H, N/2, 2] (the S4D states of kv,
// real and imaginary parts).
template <class T>
struct State {
  Tensor<T> shift, ssm;
};

// All-zero state for p.
template <class T>
State<T> initial_state(const Problem& p);

// in: u and every parameter;  out: y.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in: as forward;  d_out: y;  d_in: u and every parameter (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

// One token: u_t [B, D] -> y_t [B, D]; the state advances. in needs the parameters only.
template <class T>
void reference_step(const Problem& p, const Named<T>& in, State<T>& state, const Tensor<T>& u_t, Tensor<T>& y_t);

// The forward run through reference_step from the zero state, token by token.
template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out);

}  // namespace menagerie::mixers::h3
