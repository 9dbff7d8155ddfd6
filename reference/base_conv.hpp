// Reference for Zoology's BaseConv mixer (contract: core/mixers/base_conv.hpp): projection, the selected conv
// (short_conv / long_conv references reused, the implicit filter MLP written out), gating and residual, with the
// hand-derived backward. Instantiated for float, double and Mp.
#pragma once
#include "core/mixers/base_conv.hpp"

namespace menagerie::mixers::base_conv {

// in: u and the parameters of p.conv;  out: y.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in: as forward;  d_out: y;  d_in: u and every parameter, frozen z included (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::mixers::base_conv
