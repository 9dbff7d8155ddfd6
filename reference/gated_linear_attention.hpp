// Reference for gated linear attention (contract and math: core/ops/gated_linear_attention.hpp): the quadratic
// form with its backward, the recurrent form (reference_step, reference_forward_recurrent) and the chunked form in
// its stable and its naive factorisation. Instantiated for float, double and Mp.
#pragma once
#include <cstdint>

#include "core/ops/gated_linear_attention.hpp"

namespace menagerie::ops::gated_linear_attention {

// in: q, k, v, g;  out: o.  Quadratic form.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in: q, k, v, g;  d_out: o;  d_in: q, k, v, g (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

// stable: exponents of differences of cumulative log decays only; naive: exp(G) and exp(-G) factors.
enum class ChunkForm { stable, naive };

// in: q, k, v, g;  out: o.  Chunks of `chunk` tokens (the last may be shorter) with the carried state.
template <class T>
void reference_forward_chunked(const Problem& p, const Named<T>& in, Named<T>& out, std::int64_t chunk,
                               ChunkForm form = ChunkForm::stable);

template <class T>
struct State {
  Tensor<T> S;  // [B, H, Dk, Dv], zeros before the first token
};

template <class T>
State<T> initial_state(const Problem& p);

// One token: S <- diag(exp(g_t)) S + k_t v_t^T, then o_t = scale S^T q_t.
template <class T>
void reference_step(const Problem& p, State<T>& state,
                    const Tensor<T>& q_t,  // [B, H, Dk]
                    const Tensor<T>& k_t,  // [B, H, Dk]
                    const Tensor<T>& v_t,  // [B, H, Dv]
                    const Tensor<T>& g_t,  // [B, H, Dk]
                    Tensor<T>& o_t);       // [B, H, Dv]

// in: q, k, v, g;  out: o.  reference_step over t = 0..T-1.
template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out);

}  // namespace menagerie::ops::gated_linear_attention
