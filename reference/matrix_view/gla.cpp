// Matrix view of the GLA mixer (core/mixers/gla.hpp): per head h (C = H heads, E = Dv) the semiseparable matrix of
// gated linear attention, its key channels contracted:
//   q = u Wq^T, k = u Wk^T, v = u Wv^T per head;  gk = logsigmoid((u W0^T) W1^T + b1) / nz   [B, T, H, Dk]
//   M[b, h, t, s] = scale sum_i q_ti k_si exp(sum_{r = s+1..t} gk_ri)   for s <= t, else 0   (scale = Dk^-1/2)
//   v = the values per head [B, T, H, Dv];
//   finish(o) = (o / sqrt(mean_Dv(o^2) + eps) * w * gt sigmoid(gt)).reshape(B, T, Vd) Wo^T,  gt = u Wg^T per head.
// The decay sums are accumulated from the diagonal outwards, not the recurrence of the operator's forward.
#include <cmath>
#include <vector>

#include "reference/activations.hpp"
#include "reference/linear.hpp"
#include "reference/matrix_view.hpp"

namespace menagerie::mixers::gla {

ref::MatrixView matrix_view(const Problem& p, const Named<double>& in) {
  p.validate();
  const std::int64_t H = p.num_heads, Dk = p.head_k_dim(), Dv = p.head_v_dim(), Kd = p.key_dim(), Vd = p.value_dim();
  const std::int64_t T = p.T, R = p.gate_low_rank_dim;
  const auto& u = get(in, "u", {p.B, T, p.d});
  const Tensor<double> q = ref::linear(u, get(in, "q_proj.weight", {Kd, p.d}));
  const Tensor<double> k = ref::linear(u, get(in, "k_proj.weight", {Kd, p.d}));
  const Tensor<double> v = ref::linear(u, get(in, "v_proj.weight", {Vd, p.d}));
  const Tensor<double> gt = ref::linear(u, get(in, "g_proj.weight", {Vd, p.d}));
  Tensor<double> gk = ref::linear(ref::linear(u, get(in, "gk_proj.0.weight", {R, p.d})),
                                  get(in, "gk_proj.1.weight", {Kd, R}), &get(in, "gk_proj.1.bias", {Kd}));
  for (std::int64_t i = 0; i < gk.numel(); ++i)
    gk.data()[i] = -ref::softplus(-gk.data()[i]) / static_cast<double>(p.gate_logit_normalizer);
  ref::MatrixView view{"head", Tensor<double>({p.B, H, T, T}, 0.0), v.reshaped({p.B, T, H, Dv}), {}};
  std::vector<double> span(static_cast<std::size_t>(Dk));
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < H; ++h)
      for (std::int64_t t = 0; t < T; ++t) {
        std::fill(span.begin(), span.end(), 0.0);
        for (std::int64_t s = t; s >= 0; --s) {
          if (s < t)
            for (std::int64_t i = 0; i < Dk; ++i) span[i] += gk(b, s + 1, h * Dk + i);
          double m = 0;
          for (std::int64_t i = 0; i < Dk; ++i) m += q(b, t, h * Dk + i) * k(b, s, h * Dk + i) * std::exp(span[i]);
          view.M(b, h, t, s) = p.scale() * m;
        }
      }
  const Tensor<double> w = get(in, "g_norm_swish_gate.weight", {Dv}), Wo = get(in, "o_proj.weight", {p.d, Vd});
  view.finish = [w, Wo, gt, eps = p.norm_eps, B = p.B, T, H, Dv](const Tensor<double>& o) {
    Tensor<double> n({B, T, H * Dv});
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t h = 0; h < H; ++h) {
          double ms = 0;
          for (std::int64_t e = 0; e < Dv; ++e) ms += o(b, t, h, e) * o(b, t, h, e);
          const double r = 1.0 / std::sqrt(ms / static_cast<double>(Dv) + eps);
          for (std::int64_t e = 0; e < Dv; ++e) {
            const double g = gt(b, t, h * Dv + e);
            n(b, t, h * Dv + e) = o(b, t, h, e) * r * w(e) * g * ref::sigmoid(g);
          }
        }
    return ref::linear(n, Wo);
  };
  return view;
}

}  // namespace menagerie::mixers::gla
