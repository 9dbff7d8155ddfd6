// Reference for the gated delta rule (contract and math: core/ops/delta_rule.hpp): the quadratic (single-chunk UT)
// form, the chunked UT/WY form in its stable and naive factorisation, the recurrent form, and the backward through
// the recurrence in reverse. Instantiated for float, double and Mp.
#pragma once
#include <cstdint>

#include "core/ops/delta_rule.hpp"

namespace menagerie::ops::delta_rule {

// in: q, k, v, beta, g;  out: o.  Quadratic form (the UT form over one chunk of T tokens).
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in: q, k, v, beta, g;  d_out: o;  d_in: q, k, v, beta, g (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

// stable: exponents of differences of cumulative log decays only; naive: exp(G) and exp(-G) factors.
enum class ChunkForm { stable, naive };

// in: q, k, v, beta, g;  out: o.  Chunks of `chunk` tokens (the last may be shorter) with the carried state.
template <class T>
void reference_forward_chunked(const Problem& p, const Named<T>& in, Named<T>& out, std::int64_t chunk,
                               ChunkForm form = ChunkForm::stable);

template <class T>
struct State {
  Tensor<T> S;  // [B, H, Dv, Dk], zeros before the first token
};

template <class T>
State<T> initial_state(const Problem& p);

// One token: S <- exp(g_t) S (I - beta_t k_t k_t^T) + beta_t v_t k_t^T, then o_t = scale S q_t.
template <class T>
void reference_step(const Problem& p, State<T>& state,
                    const Tensor<T>& q_t,     // [B, H, Dk]
                    const Tensor<T>& k_t,     // [B, H, Dk]
                    const Tensor<T>& v_t,     // [B, H, Dv]
                    const Tensor<T>& beta_t,  // [B, H]
                    const Tensor<T>& g_t,     // [B, H]
                    Tensor<T>& o_t);          // [B, H, Dv]

// in: q, k, v, beta, g;  out: o.  reference_step over t = 0..T-1.
template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out);

}  // namespace menagerie::ops::delta_rule
