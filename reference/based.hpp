// Reference for the Based mixer (contract: core/mixers/based.hpp): the projections around the linear_attention
// operator's reference (taylor_exp, normalized). reference_forward is zoology's quadratic view;
// reference_forward_recurrent runs the operator's step form (the linear view). Instantiated for float, double, Mp.
#pragma once
#include "core/mixers/based.hpp"

namespace menagerie::mixers::based {

// in: u, proj_q.weight, proj_k.weight, proj_v.weight, proj_o.weight;  out: y.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// d_out: y (dL/dy);  d_in: u and the four projection weights, overwritten.
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

// As reference_forward, with the attention evaluated token by token from the state (S, z).
template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out);

}  // namespace menagerie::mixers::based
