// Matrix view of the Mamba mixer (core/mixers/mamba.hpp): per inner channel c (C = E = expand d, E_v = 1) the
// semiseparable matrix of its selective scan, summed over the state n:
//   [x z] = u Win^T;  x <- SiLU(causal depthwise conv(x) + cb);  [dt B C] = x Wx^T;  delta = softplus(dt Wdt^T + bdt)
//   M[b, c, t, s] = sum_n C_t[n] exp(A[c, n] sum_{r = s+1..t} delta_r,c) B_s[n] delta_s,c   for s <= t, else 0
//   with A = -exp(A_log);  v = x (the scan's input) [B, T, E, 1];  finish(m) = ((m + D ⊙ x) ⊙ SiLU(z)) Wout^T.
// The sum of deltas is accumulated from the diagonal outwards (s = t, t-1, ...), so each entry is the unrolled form
// of core/ops/selective_scan.hpp, not the recurrence the mixer's forward runs.
#include <cmath>
#include <vector>

#include "reference/activations.hpp"
#include "reference/linear.hpp"
#include "reference/matrix_view.hpp"

namespace menagerie::mixers::mamba {

ref::MatrixView matrix_view(const Problem& p, const Named<double>& in) {
  p.validate();
  const std::int64_t E = p.d_inner(), N = p.d_state, K = p.d_conv, R = p.rank(), T = p.T;
  const auto& u = get(in, "u", {p.B, T, p.d});
  const Tensor<double> xz = ref::linear(u, get(in, "in_proj.weight", {2 * E, p.d}));  // [B, T, 2E]
  const auto& cw = get(in, "conv1d.weight", {E, 1, K});
  const auto& cb = get(in, "conv1d.bias", {E});
  Tensor<double> x({p.B, T, E});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t c = 0; c < E; ++c) {
        double a = cb(c);
        for (std::int64_t j = 0; j < K; ++j)
          if (t - K + 1 + j >= 0) a += cw(c, 0, j) * xz(b, t - K + 1 + j, c);
        x(b, t, c) = ref::silu(a);
      }
  const Tensor<double> dbc = ref::linear(x, get(in, "x_proj.weight", {R + 2 * N, E}));  // [B, T, R + 2N]
  Tensor<double> dt({p.B, T, R});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t r = 0; r < R; ++r) dt(b, t, r) = dbc(b, t, r);
  Tensor<double> delta = ref::linear(dt, get(in, "dt_proj.weight", {E, R}), &get(in, "dt_proj.bias", {E}));
  for (std::int64_t i = 0; i < delta.numel(); ++i) delta.data()[i] = ref::softplus(delta.data()[i]);
  const auto& A_log = get(in, "A_log", {E, N});
  ref::MatrixView view{"channel", Tensor<double>({p.B, E, T, T}, 0.0), x.reshaped({p.B, T, E, 1}), {}};
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t c = 0; c < E; ++c)
      for (std::int64_t t = 0; t < T; ++t) {
        double span = 0;  // sum_{r = s+1..t} delta_r
        for (std::int64_t s = t; s >= 0; --s) {
          if (s < t) span += delta(b, s + 1, c);
          double m = 0;
          for (std::int64_t n = 0; n < N; ++n)
            m += dbc(b, t, R + N + n) * std::exp(-std::exp(A_log(c, n)) * span) * dbc(b, s, R + n);
          view.M(b, c, t, s) = m * delta(b, s, c);
        }
      }
  const Tensor<double> Dskip = get(in, "D", {E}), Wout = get(in, "out_proj.weight", {p.d, E});
  view.finish = [x, xz, Dskip, Wout, E](const Tensor<double>& m) {
    Tensor<double> g = m.reshaped(x.shape());
    for (std::int64_t i = 0; i < g.numel(); ++i) {
      const std::int64_t row = i / E, c = i % E;
      g.data()[i] = (g.data()[i] + Dskip(c) * x.data()[i]) * ref::silu(xz.data()[row * 2 * E + E + c]);
    }
    return ref::linear(g, Wout);
  };
  return view;
}

}  // namespace menagerie::mixers::mamba
