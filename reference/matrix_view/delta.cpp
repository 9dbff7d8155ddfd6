// Matrix views of the delta-rule mixers deltanet (DeltaProduct included) and gated_deltanet (core/mixers/
// deltanet.hpp, gated_deltanet.hpp). Their state S_t [Dv, Dk] runs over sub-steps σ (n Householder steps per token,
// n = 1 for plain DeltaNet and Gated DeltaNet):
//   S_σ = S_{σ-1} A_σ + β_σ v_σ k_σ^T,   A_σ = exp(g_σ) (I - β_σ k_σ k_σ^T)   (g = 0 without a gate),
// so S_σ = sum_{ρ<=σ} β_ρ v_ρ k_ρ^T A_{ρ+1} ... A_σ and o_t = scale S_{σ(t)} q_t (σ(t) = the last sub-step of t):
//   M[b, (h, j), t, s] = scale β_{s,j} k_{s,j} . (A_{(s,j)+1} ... A_{σ(t)} q_t)     for s <= t, else 0
// per head h and Householder step j (C = H n channels, c = h n + j; E = Dv), computed for each row t by applying
// the A's to q_t from the last sub-step backwards (no state matrix is formed). q, k, v are the SiLU'd short-conv
// branches (reference/delta_layer.hpp), q and k L2-normalised per head, channels '(n h d)'; β = sigmoid(u Wb^T)
// (x 2 with allow_neg_eigval); gated_deltanet: g = -exp(A_log) softplus(u Wa^T + dt_bias).
//   v[b, s, (h, j), e] = v_{s,j}[h Dv + e];  finish(m): o = sum_j m[.., (h, j), ..], y = RMSNorm(o) [SiLU(gt)] Wo^T.
#include <cmath>
#include <optional>
#include <vector>

#include "reference/delta_layer.hpp"
#include "reference/matrix_view.hpp"

namespace menagerie::ref {
namespace {

struct DeltaInputs {
  std::int64_t B, T, H, Dk, Dv, n;
  Tensor<double> q, k, v, beta, g;  // q [B, T, H Dk]; k [B, T, n H Dk]; v [B, T, n H Dv]; beta [B, T, n H]; g [B, T, H]
  const Tensor<double>* gate;       // gt = u Wg^T [B, T, H Dv] or null
};

MatrixView delta_view(const DeltaInputs& x, const Tensor<double>& w, const Tensor<double>& Wo, double eps) {
  const std::int64_t B = x.B, T = x.T, H = x.H, Dk = x.Dk, Dv = x.Dv, n = x.n;
  const double scale = 1.0 / std::sqrt(static_cast<double>(Dk));
  MatrixView view{"head x step", Tensor<double>({B, H * n, T, T}, 0.0), Tensor<double>({B, T, H * n, Dv}), {}};
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t s = 0; s < T; ++s)
      for (std::int64_t h = 0; h < H; ++h)
        for (std::int64_t j = 0; j < n; ++j)
          for (std::int64_t e = 0; e < Dv; ++e) view.v(b, s, h * n + j, e) = x.v(b, s, (j * H + h) * Dv + e);
  std::vector<double> r(static_cast<std::size_t>(Dk));
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t h = 0; h < H; ++h)
      for (std::int64_t t = 0; t < T; ++t) {
        for (std::int64_t i = 0; i < Dk; ++i) r[i] = x.q(b, t, h * Dk + i);
        for (std::int64_t s = t; s >= 0; --s)
          for (std::int64_t j = n - 1; j >= 0; --j) {
            const std::int64_t kc = (j * H + h) * Dk;
            const double beta = x.beta(b, s, j * H + h);
            double kr = 0;
            for (std::int64_t i = 0; i < Dk; ++i) kr += x.k(b, s, kc + i) * r[i];
            view.M(b, h * n + j, t, s) = scale * beta * kr;
            const double decay = j == 0 ? std::exp(x.g(b, s, h)) : 1.0;  // the gate acts once per token
            for (std::int64_t i = 0; i < Dk; ++i) r[i] = decay * (r[i] - beta * x.k(b, s, kc + i) * kr);
          }
      }
  std::optional<Tensor<double>> gate;
  if (x.gate) gate = *x.gate;
  view.finish = [w, Wo, eps, B, T, H, n, Dv, gate](const Tensor<double>& m) {
    Tensor<double> o({B, T, H * Dv}, 0.0);
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t h = 0; h < H; ++h)
          for (std::int64_t j = 0; j < n; ++j)
            for (std::int64_t e = 0; e < Dv; ++e) o(b, t, h * Dv + e) += m(b, t, h * n + j, e);
    return linear(delta_layer::rmsnorm(o, w, gate ? &*gate : nullptr, eps), Wo);
  };
  return view;
}

// q, k L2-normalised per head of Dk.
void branches(DeltaInputs& x, const Named<double>& in, const Tensor<double>& u, std::int64_t d, std::int64_t Kd,
              std::int64_t Vd, std::int64_t K) {
  const auto branch = [&](const char* W, const char* cw, std::int64_t rows) {
    return delta_layer::branch(u, get(in, W, {rows, d}), get(in, cw, {rows, 1, K})).a;
  };
  x.q = delta_layer::l2norm(branch("q_proj.weight", "q_conv1d.weight", Kd), x.Dk);
  x.k = delta_layer::l2norm(branch("k_proj.weight", "k_conv1d.weight", x.n * Kd), x.Dk);
  x.v = branch("v_proj.weight", "v_conv1d.weight", x.n * Vd);
  x.beta = linear(u, get(in, "b_proj.weight", {x.n * x.H, d}));
  for (std::int64_t i = 0; i < x.beta.numel(); ++i) x.beta.data()[i] = sigmoid(x.beta.data()[i]);
}

}  // namespace
}  // namespace menagerie::ref

namespace menagerie::mixers::deltanet {
ref::MatrixView matrix_view(const Problem& p, const Named<double>& in) {
  p.validate();
  const std::int64_t Kd = p.key_dim(), Vd = p.value_dim();
  const auto& u = get(in, "u", {p.B, p.T, p.d});
  ref::DeltaInputs x{p.B, p.T, p.heads, p.head_k_dim(), p.head_v_dim(), p.householder, {}, {}, {}, {},
                     Tensor<double>({p.B, p.T, p.heads}, 0.0), nullptr};
  ref::branches(x, in, u, p.d, Kd, Vd, p.conv_size);
  if (p.allow_neg_eigval)
    for (std::int64_t i = 0; i < x.beta.numel(); ++i) x.beta.data()[i] *= 2.0;
  Tensor<double> gt;
  if (p.use_gate) gt = ref::linear(u, get(in, "g_proj.weight", {Vd, p.d})), x.gate = &gt;
  return ref::delta_view(x, get(in, "o_norm.weight", {p.head_v_dim()}), get(in, "o_proj.weight", {p.d, Vd}),
                         p.norm_eps);
}
}  // namespace menagerie::mixers::deltanet

namespace menagerie::mixers::gated_deltanet {
ref::MatrixView matrix_view(const Problem& p, const Named<double>& in) {
  p.validate();
  const std::int64_t Kd = p.key_dim(), Vd = p.value_dim(), H = p.heads;
  const auto& u = get(in, "u", {p.B, p.T, p.d});
  ref::DeltaInputs x{p.B, p.T, H, p.head_k_dim(), p.head_v_dim(), 1, {}, {}, {}, {},
                     ref::linear(u, get(in, "a_proj.weight", {H, p.d})), nullptr};
  ref::branches(x, in, u, p.d, Kd, Vd, p.conv_size);
  const auto& A_log = get(in, "A_log", {H});
  const auto& dt_bias = get(in, "dt_bias", {H});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t h = 0; h < H; ++h)
        x.g(b, t, h) = -std::exp(A_log(h)) * ref::softplus(x.g(b, t, h) + dt_bias(h));
  Tensor<double> gt;
  if (p.use_gate) gt = ref::linear(u, get(in, "g_proj.weight", {Vd, p.d})), x.gate = &gt;
  return ref::delta_view(x, get(in, "o_norm.weight", {p.head_v_dim()}), get(in, "o_proj.weight", {p.d, Vd}),
                         p.norm_eps);
}
}  // namespace menagerie::mixers::gated_deltanet
