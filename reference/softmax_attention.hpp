// Reference for causal softmax attention (contract: core/ops/softmax_attention.hpp): the definition, computed
// row by row with the max subtracted before exponentiating. Instantiated for float, double and Mp.
#pragma once
#include "core/ops/softmax_attention.hpp"

namespace menagerie::ops::softmax_attention {

// in: q, k, v;  out: o.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in: q, k, v;  d_out: o (dL/do);  d_in: q, k, v (dL/dq, dL/dk, dL/dv), overwritten.
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::ops::softmax_attention
