// Matrix views of the Taylor-feature linear attentions based and jrt (core/mixers/based.hpp, jrt.hpp).
// based: per head h (C = H heads, E = Dv = d / H) the normalised linear-attention scores of the Taylor feature
// map, written in closed form (no features are materialised):
//   A_ts = phi(q_t).phi(k_s) = 1 + q_t.k_s / sqrt(f) + (q_t.k_s)^2 / (2 f)      (q, k per head, width f)
//   M[b, h, t, s] = A_ts / (sum_{s' <= t} A_ts' + eps)   for s <= t, else 0
//   v = u Wv^T per head [B, T, H, Dv];  finish(o) = o.reshape(B, T, d) Wo^T.
// jrt (prefix linear attention): the encoder's keys ke and values ve (prefix rows s < M) are a second stream, so
// C = 2H: channel h holds the decoder scores A(q_t, k_s) (s <= t), channel H + h the encoder scores A(q_t, ke_s)
// (s < M, every t: not causal over the prefix), both divided by the common
//   den_t = sum_{s<M} A(q_t, ke_s) + sum_{s<=t} A(q_t, k_s) + eps;
//   v[., h, .] = v, v[., H + h, .] = ve (zero for s >= M);  finish(m) = (m_dec + m_enc).reshape(B, T, d) Wout^T.
#include <cmath>

#include "reference/linear.hpp"
#include "reference/matrix_view.hpp"

namespace menagerie::ref {
namespace {
// phi(q).phi(k) of the Taylor map for q, k of width F at rows (b, t) and (b, s), head h.
double taylor(const Tensor<double>& q, const Tensor<double>& k, std::int64_t b, std::int64_t t, std::int64_t s,
              std::int64_t h, std::int64_t F) {
  double qk = 0;
  for (std::int64_t e = 0; e < F; ++e) qk += q(b, t, h * F + e) * k(b, s, h * F + e);
  return 1.0 + qk / std::sqrt(static_cast<double>(F)) + qk * qk / (2.0 * static_cast<double>(F));
}
}  // namespace
}  // namespace menagerie::ref

namespace menagerie::mixers::based {

ref::MatrixView matrix_view(const Problem& p, const Named<double>& in) {
  p.validate();
  const std::int64_t H = p.heads, F = p.f, Dv = p.head_dim(), T = p.T, d = p.d;
  const auto& u = get(in, "u", {p.B, T, d});
  const Tensor<double> q = ref::linear(u, get(in, "proj_q.weight", {H * F, d}));
  const Tensor<double> k = ref::linear(u, get(in, "proj_k.weight", {H * F, d}));
  const Tensor<double> v = ref::linear(u, get(in, "proj_v.weight", {d, d}));
  ref::MatrixView view{"head", Tensor<double>({p.B, H, T, T}, 0.0), v.reshaped({p.B, T, H, Dv}), {}};
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < H; ++h)
      for (std::int64_t t = 0; t < T; ++t) {
        double den = 0;
        for (std::int64_t s = 0; s <= t; ++s) den += view.M(b, h, t, s) = ref::taylor(q, k, b, t, s, h, F);
        for (std::int64_t s = 0; s <= t; ++s) view.M(b, h, t, s) /= den + p.eps;
      }
  const Tensor<double> Wo = get(in, "proj_o.weight", {d, d});
  view.finish = [Wo, B = p.B, T, d](const Tensor<double>& o) { return ref::linear(o.reshaped({B, T, d}), Wo); };
  return view;
}

}  // namespace menagerie::mixers::based

namespace menagerie::mixers::jrt {

ref::MatrixView matrix_view(const Problem& p, const Named<double>& in) {
  p.validate();
  const std::int64_t H = p.heads, F = p.f, Dv = p.head_dim(), T = p.T, d = p.d, M = p.prefix();
  const auto& u = get(in, "u", {p.B, T, d});
  const auto proj = [&](const char* W, std::int64_t rows) { return ref::linear(u, get(in, W, {rows, d})); };
  const Tensor<double> q = proj("proj_q.weight", H * F), k = proj("proj_k.weight", H * F);
  const Tensor<double> ke = proj("proj_k_enc.weight", H * F), v = proj("proj_v.weight", d);
  const Tensor<double> ve = proj("proj_v_enc.weight", d);
  ref::MatrixView view{"head (decoder, encoder)", Tensor<double>({p.B, 2 * H, T, T}, 0.0),
                       Tensor<double>({p.B, T, 2 * H, Dv}, 0.0), {}};
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t s = 0; s < T; ++s)
      for (std::int64_t h = 0; h < H; ++h)
        for (std::int64_t e = 0; e < Dv; ++e) {
          view.v(b, s, h, e) = v(b, s, h * Dv + e);
          if (s < M) view.v(b, s, H + h, e) = ve(b, s, h * Dv + e);
        }
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < H; ++h)
      for (std::int64_t t = 0; t < T; ++t) {
        double den = 0;
        for (std::int64_t s = 0; s < M; ++s) den += view.M(b, H + h, t, s) = ref::taylor(q, ke, b, t, s, h, F);
        for (std::int64_t s = 0; s <= t; ++s) den += view.M(b, h, t, s) = ref::taylor(q, k, b, t, s, h, F);
        for (std::int64_t s = 0; s < T; ++s) {
          view.M(b, h, t, s) /= den + p.eps;
          view.M(b, H + h, t, s) /= den + p.eps;
        }
      }
  const Tensor<double> Wo = get(in, "out_proj.weight", {d, d});
  view.finish = [Wo, B = p.B, T, H, Dv](const Tensor<double>& m) {
    Tensor<double> o({B, T, H * Dv});
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t h = 0; h < H; ++h)
          for (std::int64_t e = 0; e < Dv; ++e) o(b, t, h * Dv + e) = m(b, t, h, e) + m(b, t, H + h, e);
    return ref::linear(o, Wo);
  };
  return view;
}

}  // namespace menagerie::mixers::jrt
