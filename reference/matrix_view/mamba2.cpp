// Matrix view of the Mamba-2 mixer (core/mixers/mamba2.hpp): per head h (C = H heads, E = P = headdim) the
// semiseparable matrix of SSD (Dao and Gu 2024, eq. 16: the "attention matrix" of the scan), state contracted:
//   [z xBC dt] = u Win^T;  xBC <- SiLU(conv(xBC));  [x B C] = xBC;  dt = softplus(dt + dt_bias);  A = -exp(A_log)
//   M[b, h, t, s] = (C_t . B_s) exp(A_h sum_{r = s+1..t} dt_r,h) dt_s,h     for s <= t, else 0
//   v = x per head [B, T, H, P];
//   finish(m): y = m + D_h x;  a = y SiLU(z);  out = (a / sqrt(mean_E(a^2) + eps) * w) Wout^T.
#include <cmath>

#include "reference/activations.hpp"
#include "reference/linear.hpp"
#include "reference/matrix_view.hpp"

namespace menagerie::mixers::mamba2 {

ref::MatrixView matrix_view(const Problem& p, const Named<double>& in) {
  p.validate();
  const std::int64_t E = p.d_inner(), N = p.d_state, K = p.d_conv, P = p.headdim, H = p.nheads(), T = p.T;
  const std::int64_t Cd = p.conv_dim();
  const auto& u = get(in, "u", {p.B, T, p.d});
  const Tensor<double> zxd = ref::linear(u, get(in, "in_proj.weight", {p.in_proj_dim(), p.d}));
  const auto& cw = get(in, "conv1d.weight", {Cd, 1, K});
  const auto& cb = get(in, "conv1d.bias", {Cd});
  const auto& dt_bias = get(in, "dt_bias", {H});
  const auto& A_log = get(in, "A_log", {H});
  Tensor<double> xbc({p.B, T, Cd}), dt({p.B, T, H});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < T; ++t) {
      for (std::int64_t c = 0; c < Cd; ++c) {
        double a = cb(c);
        for (std::int64_t j = 0; j < K; ++j)
          if (t - K + 1 + j >= 0) a += cw(c, 0, j) * zxd(b, t - K + 1 + j, E + c);
        xbc(b, t, c) = ref::silu(a);
      }
      for (std::int64_t h = 0; h < H; ++h) dt(b, t, h) = ref::softplus(zxd(b, t, E + Cd + h) + dt_bias(h));
    }
  ref::MatrixView view{"head", Tensor<double>({p.B, H, T, T}, 0.0), Tensor<double>({p.B, T, H, P}), {}};
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t c = 0; c < E; ++c) view.v(b, t, c / P, c % P) = xbc(b, t, c);
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < H; ++h)
      for (std::int64_t t = 0; t < T; ++t) {
        double span = 0;
        for (std::int64_t s = t; s >= 0; --s) {
          if (s < t) span += dt(b, s + 1, h);
          double cb_ts = 0;
          for (std::int64_t n = 0; n < N; ++n) cb_ts += xbc(b, t, E + N + n) * xbc(b, s, E + n);
          view.M(b, h, t, s) = cb_ts * std::exp(-std::exp(A_log(h)) * span) * dt(b, s, h);
        }
      }
  const Tensor<double> Dh = get(in, "D", {H}), w = get(in, "norm.weight", {E});
  const Tensor<double> Wout = get(in, "out_proj.weight", {p.d, E});
  view.finish = [=, x = view.v, B = p.B, eps = p.norm_eps](const Tensor<double>& m) {
    Tensor<double> a({B, T, E});
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t t = 0; t < T; ++t) {
        double ms = 0;
        for (std::int64_t c = 0; c < E; ++c) {
          const double y = m(b, t, c / P, c % P) + Dh(c / P) * x(b, t, c / P, c % P);
          a(b, t, c) = y * ref::silu(zxd(b, t, c));
          ms += a(b, t, c) * a(b, t, c);
        }
        const double r = 1.0 / std::sqrt(ms / static_cast<double>(E) + eps);
        for (std::int64_t c = 0; c < E; ++c) a(b, t, c) *= r * w(c);
      }
    return ref::linear(a, Wout);
  };
  return view;
}

}  // namespace menagerie::mixers::mamba2
