// Matrix views of the softmax-attention mixers mha, sliding_attn, sigmoid_lookups and repeat_lookups
// (core/mixers/mha.hpp, sliding_attn.hpp, sigmoid_lookups.hpp, repeat_lookups.hpp):
//   qkv = u Wqkv^T + b;  q, k, v split "(three h D)" (sliding_attn: one head, D = d)
//   M[b, h, t, s] = exp(S_ts - max_s' S_ts') / sum_{s' in W(t)} exp(S_ts' - max)  for s in W(t), else 0,
//       S_ts = q_t . k_s / sqrt(D),  W(t) = [0, t] (mha) or [max(0, t - w), t] (sliding_attn)
//   v = the values per head [B, T, H, D];  finish(o) = o.reshape(B, T, d) Wo^T + b_o.
// sigmoid_lookups (training mode), y = u + g ⊙ (o Wo^T + b_o) with g_t = sigmoid(w . u_t): the selection gate is
// diagonal, so M = diag(g) P per head and finish(m) = u + m.reshape(B, T, d) Wo^T + g b_o. Its inference mode (top-k
// selection, not causal) has no view here: NotAvailableError.
// repeat_lookups, y = u + m ⊙ (o Wo^T + b_o) with m_t in {0, 1} the repeat selection of the Problem's ids: the same
// form with the gate m, so M = diag(m) P per head (the rows of unselected positions are zero: they look nowhere)
// and finish(o) = u + o.reshape(B, T, d) Wo^T + m b_o.
// The probabilities are computed here from q and k (the operator reference is not called), so the view and the
// mixer's forward share only the projections.
#include <algorithm>
#include <cmath>
#include <vector>

#include "reference/activations.hpp"
#include "reference/linear.hpp"
#include "reference/matrix_view.hpp"

namespace menagerie::ref {
namespace {

MatrixView attention_view(const Named<double>& in, std::int64_t B, std::int64_t T, std::int64_t d,
                          std::int64_t H, std::int64_t window) {
  const std::int64_t D = d / H;
  const auto& u = get(in, "u", {B, T, d});
  const auto& W = get(in, "Wqkv.weight", {3 * d, d});
  const auto& bias = get(in, "Wqkv.bias", {3 * d});
  const Tensor<double> qkv = linear(u, W, &bias);  // [B, T, 3d]
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  MatrixView view{"head", Tensor<double>({B, H, T, T}, 0.0), Tensor<double>({B, T, H, D}), {}};
  std::vector<double> s(static_cast<std::size_t>(T));
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t h = 0; h < H; ++h)
      for (std::int64_t t = 0; t < T; ++t) {
        for (std::int64_t e = 0; e < D; ++e) view.v(b, t, h, e) = qkv(b, t, 2 * d + h * D + e);
        const std::int64_t first = window < 0 ? 0 : std::max<std::int64_t>(0, t - window);
        double top = -INFINITY, sum = 0;
        for (std::int64_t j = first; j <= t; ++j) {
          double acc = 0;
          for (std::int64_t e = 0; e < D; ++e) acc += qkv(b, t, h * D + e) * qkv(b, j, d + h * D + e);
          s[j] = scale * acc;
          top = std::max(top, s[j]);
        }
        for (std::int64_t j = first; j <= t; ++j) sum += std::exp(s[j] - top);
        for (std::int64_t j = first; j <= t; ++j) view.M(b, h, t, j) = std::exp(s[j] - top) / sum;
      }
  const Tensor<double> Wo = get(in, "out_proj.weight", {d, d}), bo = get(in, "out_proj.bias", {d});
  view.finish = [=](const Tensor<double>& o) { return linear(o.reshaped({B, T, d}), Wo, &bo); };
  return view;
}

// The gated form y = u + g ⊙ (o Wo^T + b_o) with a per-token gate g [B, T]: M = diag(g) P per head.
MatrixView gated_attention_view(const Named<double>& in, std::int64_t B, std::int64_t T, std::int64_t d,
                                std::int64_t H, const Tensor<double>& g) {
  MatrixView view = attention_view(in, B, T, d, H, -1);
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t h = 0; h < H; ++h)
      for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t s = 0; s <= t; ++s) view.M(b, h, t, s) *= g(b, t);
  const auto& u = get(in, "u", {B, T, d});
  const Tensor<double> Wo = get(in, "out_proj.weight", {d, d}), bo = get(in, "out_proj.bias", {d});
  view.finish = [u, g, Wo, bo, B, T, d](const Tensor<double>& m) {
    Tensor<double> y = linear(m.reshaped({B, T, d}), Wo);
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t c = 0; c < d; ++c) y(b, t, c) += u(b, t, c) + g(b, t) * bo(c);
    return y;
  };
  return view;
}

}  // namespace
}  // namespace menagerie::ref

namespace menagerie::mixers::mha {
ref::MatrixView matrix_view(const Problem& p, const Named<double>& in) {
  p.validate();
  return ref::attention_view(in, p.B, p.T, p.d, p.heads, -1);
}
}  // namespace menagerie::mixers::mha

namespace menagerie::mixers::sliding_attn {
ref::MatrixView matrix_view(const Problem& p, const Named<double>& in) {
  p.validate();
  return ref::attention_view(in, p.B, p.T, p.d, 1, p.window);
}
}  // namespace menagerie::mixers::sliding_attn

namespace menagerie::mixers::sigmoid_lookups {
ref::MatrixView matrix_view(const Problem& p, const Named<double>& in) {
  p.validate();
  require<NotAvailableError>(!p.inference, "sigmoid_lookups: the matrix view covers training mode only (inference "
                                           "selects the top-k positions of the whole sequence)");
  const auto& u = get(in, "u", {p.B, p.T, p.d});
  const Tensor<double> logit = ref::linear(u, get(in, "selecting.weight", {1, p.d}));  // [B, T, 1]
  Tensor<double> g({p.B, p.T});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t) g(b, t) = ref::sigmoid(logit(b, t, 0));
  return ref::gated_attention_view(in, p.B, p.T, p.d, p.heads, g);
}
}  // namespace menagerie::mixers::sigmoid_lookups

namespace menagerie::mixers::repeat_lookups {
ref::MatrixView matrix_view(const Problem& p, const Named<double>& in) {
  const std::vector<std::uint8_t> m = selection(p);  // validates, ids included
  Tensor<double> g({p.B, p.T});
  for (std::int64_t i = 0; i < p.B * p.T; ++i) g.data()[i] = m[static_cast<std::size_t>(i)];
  return ref::gated_attention_view(in, p.B, p.T, p.d, p.heads, g);
}
}  // namespace menagerie::mixers::repeat_lookups
