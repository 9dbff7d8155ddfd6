// Matrix view of Zoology's Hyena (core/mixers/hyena.hpp): per channel c (C = D, E = 1) the doubly gated Toeplitz
// matrix of the long convolution,
//   Q = short_conv(u Win^T + bin);  x1, x2, v = Q split in channel order
//   M[b, c, t, s] = x2[b, t, c] (h[c, t - s] + Dh[c] [t = s]) x1[b, s, c]   for s <= t, else 0
//   (diag(x2) (Toeplitz(h_c) + Dh_c I) diag(x1): the input gate x1 and the output gate x2 are diagonal)
//   with the implicit filter h[c, t] = (W6 s2)[c] exp(-tt[t] |δ_c|), s2 = Sin(W4 Sin(W2 Sin(W0 z_t + b0) + b2) + b4),
//   Sin(a) = sin(ω ⊙ a);  v = the short-conv'd v before its gate [B, T, D, 1];  finish(m) = m Wout^T + bout
// (M, v and finish by reference/matrix_view/gated_conv.hpp, shared with m2).
#include <cmath>
#include <string>
#include <vector>

#include "reference/matrix_view/gated_conv.hpp"

namespace menagerie::mixers::hyena {
namespace {

// h [D, T]: the modulated implicit filter, written out from its definition.
Tensor<double> implicit_filter(const Problem& p, const Named<double>& in) {
  const std::int64_t F = p.filter_order, D = p.D, L = p.l_max;
  const std::string f = "filter_fn.implicit_filter.";
  const auto& z = get(in, "filter_fn.pos_emb.z", {1, L, 3});
  const auto& tt = get(in, "filter_fn.pos_emb.t", {1, L, 1});
  const auto& freq = get(in, f + "1.freq", {1, F});
  const auto& deltas = get(in, "filter_fn.modulation.deltas", {1, 1, D});
  const auto layer = [&](const std::vector<double>& a, const std::string& name, std::int64_t width) {
    const auto& W = get(in, f + name + ".weight", {F, width});
    const auto& bias = get(in, f + name + ".bias", {F});
    std::vector<double> out(static_cast<std::size_t>(F));
    for (std::int64_t r = 0; r < F; ++r) {
      double acc = bias(r);
      for (std::int64_t e = 0; e < width; ++e) acc += W(r, e) * a[e];
      out[r] = std::sin(freq(0, r) * acc);
    }
    return out;
  };
  const auto& W6 = get(in, f + "6.weight", {D, F});
  Tensor<double> h({D, p.T});
  for (std::int64_t t = 0; t < p.T; ++t) {
    const std::vector<double> s2 = layer(layer(layer({z(0, t, 0), z(0, t, 1), z(0, t, 2)}, "0", 3), "2", F), "4", F);
    for (std::int64_t c = 0; c < D; ++c) {
      double acc = 0;
      for (std::int64_t r = 0; r < F; ++r) acc += W6(c, r) * s2[r];
      h(c, t) = acc * std::exp(-tt(0, t, 0) * std::abs(deltas(0, 0, c)));
    }
  }
  return h;
}

}  // namespace

ref::MatrixView matrix_view(const Problem& p, const Named<double>& in) {
  p.validate();
  const std::int64_t D = p.D, K = p.short_filter_order;
  return ref::gated_conv_view(get(in, "u", {p.B, p.T, D}), get(in, "in_proj.weight", {3 * D, D}),
                              get(in, "in_proj.bias", {3 * D}), get(in, "short_filter.weight", {3 * D, 1, K}),
                              get(in, "short_filter.bias", {3 * D}), implicit_filter(p, in),
                              get(in, "filter_fn.bias", {D}), get(in, "out_proj.weight", {D, D}),
                              get(in, "out_proj.bias", {D}));
}

}  // namespace menagerie::mixers::hyena
