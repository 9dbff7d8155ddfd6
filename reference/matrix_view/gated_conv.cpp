// gated_conv_view (reference/matrix_view/gated_conv.hpp): diag(x2) (Toeplitz(h_c) + bias_c I) diag(x1) per channel.
#include "reference/matrix_view/gated_conv.hpp"

#include "reference/linear.hpp"

namespace menagerie::ref {

MatrixView gated_conv_view(const Tensor<double>& u, const Tensor<double>& in_w, const Tensor<double>& in_b,
                           const Tensor<double>& sw, const Tensor<double>& sb, const Tensor<double>& h,
                           const Tensor<double>& bias, const Tensor<double>& out_w, const Tensor<double>& out_b) {
  const std::int64_t B = u.size(0), T = u.size(1), D = u.size(2), K = sw.size(2);
  const Tensor<double> P = linear(u, in_w, &in_b);
  Tensor<double> Q({B, T, 3 * D});
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t c = 0; c < 3 * D; ++c) {
        double a = sb(c);
        for (std::int64_t j = 0; j < K; ++j)
          if (t - K + 1 + j >= 0) a += sw(c, 0, j) * P(b, t - K + 1 + j, c);
        Q(b, t, c) = a;
      }
  MatrixView view{"channel", Tensor<double>({B, D, T, T}, 0.0), Tensor<double>({B, T, D, 1}), {}};
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t c = 0; c < D; ++c)
      for (std::int64_t t = 0; t < T; ++t) {
        view.v(b, t, c, 0) = Q(b, t, 2 * D + c);
        for (std::int64_t s = 0; s <= t; ++s)
          view.M(b, c, t, s) = Q(b, t, D + c) * (h(c, t - s) + (s == t ? bias(c) : 0.0)) * Q(b, s, c);
      }
  view.finish = [out_w, out_b, B, T, D](const Tensor<double>& m) {
    return linear(m.reshaped({B, T, D}), out_w, &out_b);
  };
  return view;
}

}  // namespace menagerie::ref
