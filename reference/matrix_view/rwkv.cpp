// Matrix view of the RWKV-4 time mixer (core/mixers/rwkv.hpp): per channel c (C = d, E = 1) the WKV weights,
//   x'_t = u_{t-1} (0 at t = 0);  k = (mu_k u + (1 - mu_k) x') Wk^T, likewise v and r
//   e_ts = -(t - 1 - s) w_c + k_s,c  for s < t;   e_tt = b_c + k_t,c  (the time_first bonus on the diagonal)
//   M[b, c, t, s] = exp(e_ts - max_s' e_ts') / sum_{s' <= t} exp(e_ts' - max)   for s <= t, else 0
//   with w_c = exp(time_decay_c), b_c = time_first_c;  v = the value stream [B, T, d, 1];
//   finish(m) = (sigmoid(r) ⊙ m) Wo^T.
// The weights are the closed-form softmax of the exponents, not the kernel's running-max recurrence.
#include <algorithm>
#include <cmath>
#include <vector>

#include "reference/activations.hpp"
#include "reference/linear.hpp"
#include "reference/matrix_view.hpp"

namespace menagerie::mixers::rwkv {
namespace {

// mu u + (1 - mu) x', x' the input shifted one token later (zero first row).
Tensor<double> shift_mix(const Problem& p, const Tensor<double>& u, const Tensor<double>& mu) {
  Tensor<double> x({p.B, p.T, p.d});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t c = 0; c < p.d; ++c)
        x(b, t, c) = mu(0, 0, c) * u(b, t, c) + (1.0 - mu(0, 0, c)) * (t > 0 ? u(b, t - 1, c) : 0.0);
  return x;
}

}  // namespace

ref::MatrixView matrix_view(const Problem& p, const Named<double>& in) {
  p.validate();
  const std::int64_t d = p.d, T = p.T;
  const auto& u = get(in, "u", {p.B, T, d});
  const auto mixed = [&](const char* mu, const char* W) {
    return ref::linear(shift_mix(p, u, get(in, mu, {1, 1, d})), get(in, W, {d, d}));
  };
  const Tensor<double> k = mixed("time_mix_k", "key.weight"), v = mixed("time_mix_v", "value.weight");
  const Tensor<double> r = mixed("time_mix_r", "receptance.weight");
  const auto& decay = get(in, "time_decay", {d});
  const auto& first = get(in, "time_first", {d});
  ref::MatrixView view{"channel", Tensor<double>({p.B, d, T, T}, 0.0), v.reshaped({p.B, T, d, 1}), {}};
  std::vector<double> e(static_cast<std::size_t>(T));
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t c = 0; c < d; ++c) {
      const double w = std::exp(decay(c));
      for (std::int64_t t = 0; t < T; ++t) {
        for (std::int64_t s = 0; s < t; ++s) e[s] = -static_cast<double>(t - 1 - s) * w + k(b, s, c);
        e[t] = first(c) + k(b, t, c);
        const double top = *std::max_element(e.begin(), e.begin() + t + 1);
        double sum = 0;
        for (std::int64_t s = 0; s <= t; ++s) sum += std::exp(e[s] - top);
        for (std::int64_t s = 0; s <= t; ++s) view.M(b, c, t, s) = std::exp(e[s] - top) / sum;
      }
    }
  const Tensor<double> Wo = get(in, "output.weight", {d, d});
  view.finish = [r, Wo](const Tensor<double>& m) {
    Tensor<double> g = m.reshaped(r.shape());
    for (std::int64_t i = 0; i < g.numel(); ++i) g.data()[i] *= ref::sigmoid(r.data()[i]);
    return ref::linear(g, Wo);
  };
  return view;
}

}  // namespace menagerie::mixers::rwkv
