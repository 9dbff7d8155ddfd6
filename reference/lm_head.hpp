// Reference for the tied LM head (contract: core/ops/lm_head.hpp): logits = h W_E^T by reference/linear.hpp.
// Instantiated for float, double and Mp.
#pragma once
#include "core/ops/lm_head.hpp"

namespace menagerie::ops::lm_head {

// in: h, weight;  out: logits.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in: h, weight;  d_out: logits (dL/dlogits);  d_in: h, weight, overwritten.
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::ops::lm_head
