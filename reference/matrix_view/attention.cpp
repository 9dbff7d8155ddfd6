// Matrix views of the softmax-attention mixers mha, sliding_attn and sigmoid_lookups (core/mixers/mha.hpp,
// sliding_attn.hpp, sigmoid_lookups.hpp):
//   qkv = u Wqkv^T + b;  q, k, v split "(three h D)" (sliding_attn: one head, D = d)
//   M[b, h, t, s] = exp(S_ts - max_s' S_ts') / sum_{s' in W(t)} exp(S_ts' - max)  for s in W(t), else 0,
//       S_ts = q_t . k_s / sqrt(D),  W(t) = [0, t] (mha) or [max(0, t - w), t] (sliding_attn)
//   v = the values per head [B, T, H, D];  finish(o) = o.reshape(B, T, d) Wo^T + b_o.
// sigmoid_lookups (training mode), y = u + g ⊙ (o Wo^T + b_o) with g_t = sigmoid(w . u_t): the selection gate is
// diagonal, so M = diag(g) P per head and finish(m) = u + m.reshape(B, T, d) Wo^T + g b_o. Its inference mode (top-k
// selection, not causal) has no view here: NotAvailableError.
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
  ref::MatrixView view = ref::attention_view(in, p.B, p.T, p.d, p.heads, -1);
  const auto& u = get(in, "u", {p.B, p.T, p.d});
  const Tensor<double> g = ref::linear(u, get(in, "selecting.weight", {1, p.d}));  // [B, T, 1], before the sigmoid
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.heads; ++h)
      for (std::int64_t t = 0; t < p.T; ++t)
        for (std::int64_t s = 0; s <= t; ++s) view.M(b, h, t, s) *= ref::sigmoid(g(b, t, 0));
  const Tensor<double> Wo = get(in, "out_proj.weight", {p.d, p.d}), bo = get(in, "out_proj.bias", {p.d});
  view.finish = [u, g, Wo, bo, B = p.B, T = p.T, d = p.d](const Tensor<double>& m) {
    Tensor<double> y = ref::linear(m.reshaped({B, T, d}), Wo);
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t c = 0; c < d; ++c) y(b, t, c) += u(b, t, c) + ref::sigmoid(g(b, t, 0)) * bo(c);
    return y;
  };
  return view;
}
}  // namespace menagerie::mixers::sigmoid_lookups
