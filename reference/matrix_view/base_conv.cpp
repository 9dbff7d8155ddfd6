// Matrix view of Zoology's BaseConv (core/mixers/base_conv.hpp), y = conv(u) ⊙ g + u with the gate
// g = u W^T + b: per channel c (C = D channels, E = 1) the gated Toeplitz matrix
//   M[b, c, t, s] = g[b, t, c] K_c[t - s]   for 0 <= t - s, else 0      (diag(g_c) Toeplitz(K_c))
//   short_conv:     K_c[j] = conv.conv.weight[c, 0, K - 1 - j] for j < K (cross-correlation orientation), else 0
//   long_explicit:  K_c[j] = filter[c, j] + [j = 0]    (the "+u" inside fft_conv on the diagonal)
//   long_implicit:  K_c[j] = (W2 relu(W1 z[0, j, :] + b1) + b2)[c] + [j = 0]
//   v[b, t, c, 0] = u[b, t, c];  finish(m) = m + g ⊙ conv.conv.bias (short only) + u.
#include <algorithm>

#include "reference/linear.hpp"
#include "reference/matrix_view.hpp"

namespace menagerie::mixers::base_conv {
namespace {

// K [D, T]: the causal filter of every channel, identity tap included for the long convs.
Tensor<double> filter(const Problem& p, const Named<double>& in) {
  Tensor<double> K({p.D, p.T}, 0.0);
  if (p.conv == Conv::short_conv) {
    const auto& w = get(in, "conv.conv.weight", {p.D, 1, p.kernel_size});
    for (std::int64_t c = 0; c < p.D; ++c)
      for (std::int64_t j = 0; j < std::min(p.kernel_size, p.T); ++j) K(c, j) = w(c, 0, p.kernel_size - 1 - j);
    return K;
  }
  if (p.conv == Conv::long_explicit) {
    const auto& h = get(in, "conv.filter", {p.D, p.l_max});
    for (std::int64_t c = 0; c < p.D; ++c)
      for (std::int64_t j = 0; j < p.T; ++j) K(c, j) = h(c, j);
  } else {
    const auto& z = get(in, "conv.pos_emb.z", {1, p.l_max, emb_dim});
    const auto& W1 = get(in, "conv.mlp.0.weight", {mlp_hidden, emb_dim});
    const auto& b1 = get(in, "conv.mlp.0.bias", {mlp_hidden});
    const auto& W2 = get(in, "conv.mlp.2.weight", {p.D, mlp_hidden});
    const auto& b2 = get(in, "conv.mlp.2.bias", {p.D});
    for (std::int64_t j = 0; j < p.T; ++j) {
      double hidden[mlp_hidden];
      for (std::int64_t r = 0; r < mlp_hidden; ++r) {
        double a = b1(r);
        for (std::int64_t e = 0; e < emb_dim; ++e) a += W1(r, e) * z(0, j, e);
        hidden[r] = a > 0 ? a : 0.0;
      }
      for (std::int64_t c = 0; c < p.D; ++c) {
        double a = b2(c);
        for (std::int64_t r = 0; r < mlp_hidden; ++r) a += W2(c, r) * hidden[r];
        K(c, j) = a;
      }
    }
  }
  for (std::int64_t c = 0; c < p.D; ++c) K(c, 0) += 1.0;
  return K;
}

}  // namespace

ref::MatrixView matrix_view(const Problem& p, const Named<double>& in) {
  p.validate();
  const auto& u = get(in, "u", {p.B, p.T, p.D});
  const Tensor<double> g = ref::linear(u, get(in, "projection.weight", {p.D, p.D}),
                                       &get(in, "projection.bias", {p.D}));
  const Tensor<double> K = filter(p, in);
  ref::MatrixView view{"channel", Tensor<double>({p.B, p.D, p.T, p.T}, 0.0), u.reshaped({p.B, p.T, p.D, 1}), {}};
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t c = 0; c < p.D; ++c)
      for (std::int64_t t = 0; t < p.T; ++t)
        for (std::int64_t s = 0; s <= t; ++s) view.M(b, c, t, s) = g(b, t, c) * K(c, t - s);
  Tensor<double> skip = u;  // u + g ⊙ bias: what finish adds to the mixed stream
  if (p.conv == Conv::short_conv) {
    const auto& bias = get(in, "conv.conv.bias", {p.D});
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t t = 0; t < p.T; ++t)
        for (std::int64_t c = 0; c < p.D; ++c) skip(b, t, c) += g(b, t, c) * bias(c);
  }
  view.finish = [skip, B = p.B, T = p.T, D = p.D](const Tensor<double>& m) {
    Tensor<double> y = m.reshaped({B, T, D});
    for (std::int64_t i = 0; i < y.numel(); ++i) y.data()[i] += skip.data()[i];
    return y;
  };
  return view;
}

}  // namespace menagerie::mixers::base_conv
