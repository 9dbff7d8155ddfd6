// Reference for the token embedding lookup (contract: core/ops/embedding.hpp): a gather, and a scatter-add for the
// gradient. Instantiated for float, double and Mp.
#pragma once
#include "core/ops/embedding.hpp"

namespace menagerie::ops::embedding {

// in: weight;  out: y.  (The ids are p.ids.)
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in: weight;  d_out: y (dL/dy);  d_in: weight (dL/dweight), overwritten.
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::ops::embedding
