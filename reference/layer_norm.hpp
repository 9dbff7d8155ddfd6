// Reference for affine layer normalisation (contract: core/ops/layer_norm.hpp): the definition, two passes per
// position (mean, then the centred second moment). Instantiated for float, double and Mp.
#pragma once
#include "core/ops/layer_norm.hpp"

namespace menagerie::ops::layer_norm {

// in: x, weight, bias;  out: y.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in: x, weight, bias;  d_out: y (dL/dy);  d_in: x, weight, bias (dL/d.), overwritten.
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::ops::layer_norm
