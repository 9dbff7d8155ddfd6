// Reference for causal linear attention (contract: core/ops/linear_attention.hpp): the quadratic form by its
// definition (reference_forward / reference_backward) and the recurrent form, a state (S, z) updated token by
// token (reference_step, reference_forward_recurrent). Instantiated for float, double and Mp.
#pragma once
#include <vector>

#include "core/ops/linear_attention.hpp"

namespace menagerie::ops::linear_attention {

// phi(x) for one row x [F]; returns [F'] (F' = p.expanded_dim()).
template <class T>
std::vector<T> apply_feature_map(const Problem& p, const T* x);

// in: q, k, v;  out: o.  Quadratic form.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in: q, k, v;  d_out: o (dL/do);  d_in: q, k, v (dL/dq, dL/dk, dL/dv), overwritten.
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

// The recurrent state after t tokens: S = sum_{s<t} phi(k_s) v_s^T and z = sum_{s<t} phi(k_s).
template <class T>
struct State {
  Tensor<T> S;  // [B, H, F', Dv]
  Tensor<T> z;  // [B, H, F']
};

// The state before the first token (zeros).
template <class T>
State<T> initial_state(const Problem& p);

// One token: adds phi(k_t) v_t^T and phi(k_t) to the state, then reads o_t out of it.
template <class T>
void reference_step(const Problem& p, State<T>& state,
                     const Tensor<T>& q_t,  // [B, H, F]
                     const Tensor<T>& k_t,  // [B, H, F]
                     const Tensor<T>& v_t,  // [B, H, Dv]
                     Tensor<T>& o_t);       // [B, H, Dv]

// in: q, k, v;  out: o.  reference_step over t = 0..T-1.
template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out);

}  // namespace menagerie::ops::linear_attention
