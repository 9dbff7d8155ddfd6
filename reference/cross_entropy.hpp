// Reference for the mean cross-entropy at labelled positions (contract: core/ops/cross_entropy.hpp): per labelled
// row, logsumexp with the row maximum subtracted. Instantiated for float, double and Mp.
#pragma once
#include "core/ops/cross_entropy.hpp"

namespace menagerie::ops::cross_entropy {

// in: logits;  out: loss (rank 0).  (The labels are p.labels.)
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in: logits;  d_out: loss (dL/dloss);  d_in: logits (zero on unlabelled rows), overwritten.
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::ops::cross_entropy
