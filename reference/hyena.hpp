// Reference for Zoology's Hyena mixer (contract: core/mixers/hyena.hpp): in_proj, the short_conv reference over 3D
// channels, gating, the implicit Sin-MLP filter with exponential modulation, the long_conv reference plus D ⊙ v,
// gating and out_proj; with the hand-derived backward. Instantiated for float, double and Mp.
#pragma once
#include "core/mixers/hyena.hpp"

namespace menagerie::mixers::hyena {

// in: u and every parameter;  out: y.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// in: as forward;  d_out: y;  d_in: u and every parameter, frozen t and deltas included (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

}  // namespace menagerie::mixers::hyena
