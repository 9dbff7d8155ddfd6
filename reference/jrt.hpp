// Reference for the jrt mixer, JRT-RNN's prefix linear attention (contract: core/mixers/jrt.hpp): the projections
// around PLA. reference_forward is the quadratic view (the module's parallel_forward); reference_forward_recurrent
// builds the encoder's state from the prefix, then steps the linear_attention operator token by token from it (the
// module's prefill + recurrent_forward). Instantiated for float, double, Mp.
#pragma once
#include "core/mixers/jrt.hpp"

namespace menagerie::mixers::jrt {

// in: u and the six projection weights;  out: y.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// d_out: y (dL/dy);  d_in: u and the six projection weights, overwritten.
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

// As reference_forward: the encoder's (S, z) from the M prefix tokens, then every token's output from the state.
template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out);

}  // namespace menagerie::mixers::jrt
