// Matrix view of the m2 mixer (core/mixers/m2.hpp, the causal Monarch Mixer sequence mixer): its long convolution is
// an explicit filter, so per channel c (C = D, E = 1), with x1, x2, v the short-conv'd in_linear split,
//   M[b, c, t, s] = x2[b, t, c] (k[c, t - s] + kb[c] [t = s]) x1[b, s, c]   for s <= t, else 0
//   v = v [B, T, D, 1];  finish(m) = m Wout^T + bout     (reference/matrix_view/gated_conv.hpp, shared with hyena).
// The Toeplitz matrix is what the Monarch FFTs evaluate; the view writes it out directly.
#include "reference/matrix_view/gated_conv.hpp"

namespace menagerie::mixers::m2 {

ref::MatrixView matrix_view(const Problem& p, const Named<double>& in) {
  p.validate();
  const std::int64_t D = p.D, K = p.short_filter_order;
  return ref::gated_conv_view(get(in, "u", {p.B, p.T, D}), get(in, "in_linear.weight", {3 * D, D}),
                              get(in, "in_linear.bias", {3 * D}), get(in, "short_filter.weight", {3 * D, 1, K}),
                              get(in, "short_filter.bias", {3 * D}), get(in, "long_filter.k", {D, p.l_max}),
                              get(in, "long_filter.bias", {D}), get(in, "out_linear.weight", {D, D}),
                              get(in, "out_linear.bias", {D}));
}

}  // namespace menagerie::mixers::m2
