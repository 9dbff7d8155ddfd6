// Reference for the m2_channel operator (contract and math: core/ops/m2_channel.hpp): three Monarch matrices
// (reference/monarch.hpp) around an exact-GELU gate, per token; the hand-derived backward. Float, double and Mp.
#pragma once
#include "core/ops/m2_channel.hpp"

namespace menagerie::ops::m2_channel {

// in: x and the parameters;  out: y.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// d_out: y;  d_in: x and every parameter (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::ops::m2_channel
