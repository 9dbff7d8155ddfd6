// Matrix view of Zoology's H3 (core/mixers/h3.hpp): per head h (C = H = D/P heads, E = P) the q/k-gated Toeplitz
// matrix of the S4D kernel, summed over the head's P key channels i:
//   q, k, v = u W^T + b;  k~ = hs ∗ k + Dk ⊙ k   (hs from shift_ssm_kernel::kernel)
//   out[j H + h](t) = sum_i q_i(t) sum_{s<=t} (K_h[t - s] + Dd_h [t = s]) k~_i(s) v_j(s)     (i, j index hP + ·)
//   so M[b, h, t, s] = sum_{i<P} q[b, t, hP+i] (K_h[t - s] + Dd_h [t = s]) k~[b, s, hP+i]   for s <= t, else 0
//   (sum_i diag(q_i) Toeplitz(K_h) diag(k~_i), K from s4d_kernel::kernel); v[b, t, h, j] = v[b, t, hP+j];
//   finish(m): out[b, t, j H + h] = m[b, t, h, j], y = out Wo^T + bo.
#include <string>

#include "reference/linear.hpp"
#include "reference/matrix_view.hpp"
#include "reference/s4d_kernel.hpp"
#include "reference/shift_ssm_kernel.hpp"

namespace menagerie::mixers::h3 {

ref::MatrixView matrix_view(const Problem& p, const Named<double>& in) {
  p.validate();
  const std::int64_t D = p.D, T = p.T, P = p.head_dim, H = p.heads(), N = p.d_state, Nh = N / 2;
  const auto& u = get(in, "u", {p.B, T, D});
  const auto proj = [&](const std::string& x) {
    return ref::linear(u, get(in, x + ".weight", {D, D}), &get(in, x + ".bias", {D}));
  };
  const Tensor<double> q = proj("q_proj"), k = proj("k_proj"), v = proj("v_proj");
  const Tensor<double> hs = ops::shift_ssm_kernel::kernel(get(in, "ssm_k_kernel.kernel.B", {D, N}),
                                                          get(in, "ssm_k_kernel.kernel.C", {1, D, N}), T);
  const Tensor<double> K = ops::s4d_kernel::kernel(
      get(in, "kernel.kernel.log_dt", {H}), get(in, "kernel.kernel.inv_A_real", {H, Nh}),
      get(in, "kernel.kernel.A_imag", {H, Nh}), get(in, "kernel.kernel.B", {H, Nh, 2}),
      get(in, "kernel.kernel.C", {1, H, Nh, 2}), T);
  const auto& Dk = get(in, "ssm_k_D", {D});
  const auto& Dd = get(in, "D", {H});
  Tensor<double> kt({p.B, T, D});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t c = 0; c < D; ++c) {
        double a = Dk(c) * k(b, t, c);
        for (std::int64_t s = 0; s <= t; ++s) a += hs(c, t - s) * k(b, s, c);
        kt(b, t, c) = a;
      }
  ref::MatrixView view{"head", Tensor<double>({p.B, H, T, T}, 0.0), v.reshaped({p.B, T, H, P}), {}};
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < H; ++h)
      for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t s = 0; s <= t; ++s) {
          double qk = 0;
          for (std::int64_t i = 0; i < P; ++i) qk += q(b, t, h * P + i) * kt(b, s, h * P + i);
          view.M(b, h, t, s) = qk * (K(h, t - s) + (s == t ? Dd(h) : 0.0));
        }
  const Tensor<double> Wo = get(in, "output_linear.weight", {D, D}), bo = get(in, "output_linear.bias", {D});
  view.finish = [Wo, bo, B = p.B, T, H, P](const Tensor<double>& m) {
    Tensor<double> out({B, T, H * P});
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t h = 0; h < H; ++h)
          for (std::int64_t j = 0; j < P; ++j) out(b, t, j * H + h) = m(b, t, h, j);
    return ref::linear(out, Wo, &bo);
  };
  return view;
}

}  // namespace menagerie::mixers::h3
