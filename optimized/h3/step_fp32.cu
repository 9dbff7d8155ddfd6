// step_fp32: Zoology's H3 mixer in its recurrent form (core/mixers/h3.hpp; the reference's reference_step, Zoology's
// H3.step) on the GPU, one token of B sequences per call. P = head_dim, H = D/P, N = d_state, M = N/2 modes. Per token:
//   q, k, v = u_t W^T + b                                                      (GEMMs over the B rows, then biases)
//   shift_step_kernel, per (b, c):  S[n] <- S[n−1] + Bs[c,n] k (S[−1] = 0), from n = N−1 down;
//                                   kt = Σ_n Cs[c,n] S[n] + Dk[c] k
//   diag_step_kernel, per (b, j, h):  for i < P:  kv = kt[hP+i] v[hP+j];
//                                     X[i,j,h,n] <- Ā_n X + B̄_n kv  (complex; Δ = exp(log_dt[h]),
//                                     A_n = −exp(inv_A_real) + i A_imag, Ā = (1 + ΔA/2)/(1 − ΔA/2), B̄ = B Δ/(1 − ΔA/2),
//                                     formed in fp64);  Y_i = 2 Re Σ_n C_n X_n + Dd[h] kv;
//                                     out[jH+h] = Σ_i q[hP+i] Y_i
//   y_t = out Wo^T + bo                                  (the bias written into y_t's rows first, then the GEMM on it)
// State: the shift states [B, D, N], then the diagonal states [B, P, P, H, M, 2]; the empty state is zeros.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/common/pointwise.hpp"
#include "optimized/common/step_form.hpp"
#include "optimized/h3/variants.hpp"

namespace menagerie::opt::h3::step_fp32 {
namespace {

using cuda::Op;
constexpr int kThreads = kPointwiseThreads;

__global__ void shift_step_kernel(const float* __restrict__ k, const float* __restrict__ Bs,
                                  const float* __restrict__ Cs, const float* __restrict__ Dk, float* __restrict__ S,
                                  float* __restrict__ kt, std::int64_t D, std::int64_t N, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const std::int64_t c = i % D;
  const float ki = k[i];
  float* s = S + i * N;
  float acc = Dk[c] * ki;
  for (std::int64_t m = N - 1; m >= 0; --m) {
    const float v = fmaf(Bs[c * N + m], ki, m > 0 ? s[m - 1] : 0.f);
    s[m] = v;
    acc = fmaf(Cs[c * N + m], v, acc);
  }
  kt[i] = acc;
}

struct DiagParams {
  const float *log_dt, *inv_A_real, *A_imag, *B, *C, *Dd;
};

__global__ void diag_step_kernel(const float* __restrict__ q, const float* __restrict__ kt,
                                 const float* __restrict__ v, DiagParams w, float* __restrict__ X,
                                 float* __restrict__ out, std::int64_t P, std::int64_t H, std::int64_t M,
                                 std::int64_t n) {
  const std::int64_t e = element_index();
  if (e >= n) return;
  const std::int64_t D = P * H, b = e / D, jh = e % D, j = jh / H, h = jh % H;
  const double dt = exp(static_cast<double>(w.log_dt[h]));
  const float vj = v[b * D + h * P + j];
  float acc = 0.f;
  for (std::int64_t i = 0; i < P; ++i) {
    const float kv = kt[b * D + h * P + i] * vj;
    float* x = X + (((b * P + i) * P + j) * H + h) * M * 2;
    float y = w.Dd[h] * kv;
    for (std::int64_t m = 0; m < M; ++m) {
      const double ar = -exp(static_cast<double>(w.inv_A_real[h * M + m])) * dt / 2,
                   ai = static_cast<double>(w.A_imag[h * M + m]) * dt / 2;
      // qn = 1 / (1 − half), half = (ar, ai);  Ā = (1 + half) qn;  B̄ = B qn Δ
      const double den = (1 - ar) * (1 - ar) + ai * ai, qr = (1 - ar) / den, qi = ai / den;
      const double abr = (1 + ar) * qr - ai * qi, abi = (1 + ar) * qi + ai * qr;
      const double br = w.B[(h * M + m) * 2], bi = w.B[(h * M + m) * 2 + 1];
      const double bbr = (br * qr - bi * qi) * dt, bbi = (br * qi + bi * qr) * dt;
      const float xr = x[2 * m], xi = x[2 * m + 1];
      const float nr = static_cast<float>(abr * xr - abi * xi + bbr * kv),
                  ni = static_cast<float>(abr * xi + abi * xr + bbi * kv);
      x[2 * m] = nr;
      x[2 * m + 1] = ni;
      y += 2.f * (w.C[(h * M + m) * 2] * nr - w.C[(h * M + m) * 2 + 1] * ni);
    }
    acc = fmaf(q[b * D + h * P + i], y, acc);
  }
  out[e] = acc;
}

// y_t[b, c] = bias[c] for the B rows of stride ld.
__global__ void bias_rows_kernel(const float* __restrict__ bias, float* __restrict__ y, std::int64_t ld,
                                 std::int64_t D, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i < n) y[i / D * ld + i % D] = bias[i % D];
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.B < 1 || p.T < 1 || p.D < 1 || p.head_dim < 1 || p.D % p.head_dim != 0 || p.d_state < 2 || p.d_state % 2)
    return cat("h3 step_fp32: B, T, D, head_dim, d_state = ", p.B, ", ", p.T, ", ", p.D, ", ", p.head_dim, ", ",
               p.d_state, " unsupported (each >= 1, head_dim divides D, d_state even)");
  if (p.B * p.T * p.D > (std::int64_t{1} << 31) - 1)
    return cat("h3 step_fp32: B T D = ", p.B * p.T * p.D, " exceeds cuBLAS's 32-bit sizes (2^31 - 1)");
  return {};
}

std::size_t state_bytes(const Problem& p) {
  return static_cast<std::size_t>(p.B * (p.D * p.d_state + p.head_dim * p.D * p.d_state)) * sizeof(float);
}

std::size_t workspace_bytes(const Problem& p) { return static_cast<std::size_t>(5 * p.B * p.D) * sizeof(float); }

void reset(const Problem& p, float* state, cudaStream_t s) {
  MENAGERIE_CUDA_CHECK(cudaMemsetAsync(state, 0, state_bytes(p), s));
}

void step(const Problem& p, const DeviceArgs& a, float* state, const float* u_t, std::int64_t ld_u, float* y_t,
          std::int64_t ld_y, float* ws, cudaStream_t s) {
  require_supported(unsupported, p);
  const std::int64_t B = p.B, D = p.D, N = p.d_state, P = p.head_dim, H = p.heads(), n = B * D;
  float *q = ws, *k = ws + n, *v = ws + 2 * n, *kt = ws + 3 * n, *out = ws + 4 * n;
  const std::pair<float*, const char*> projections[] = {{q, "q_proj"}, {k, "k_proj"}, {v, "v_proj"}};
  for (const auto& [x, name] : projections) {
    const std::string w = name;
    cuda::gemm_rm(s, Op::N, Op::T, B, D, D, 1.f, u_t, ld_u, a.as<float>(w + ".weight"), D, 0.f, x);
    add_bias(s, x, a.as<float>(w + ".bias"), B, D);
  }
  shift_step_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(k, a.as<float>("ssm_k_kernel.kernel.B"),
                                                             a.as<float>("ssm_k_kernel.kernel.C"),
                                                             a.as<float>("ssm_k_D"), state, kt, D, N, n);
  MENAGERIE_LAUNCH_CHECK();
  const DiagParams w = {a.as<float>("kernel.kernel.log_dt"), a.as<float>("kernel.kernel.inv_A_real"),
                        a.as<float>("kernel.kernel.A_imag"), a.as<float>("kernel.kernel.B"),
                        a.as<float>("kernel.kernel.C"), a.as<float>("D")};
  diag_step_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(q, kt, v, w, state + B * D * N, out, P, H, N / 2, n);
  bias_rows_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(a.as<float>("output_linear.bias"), y_t, ld_y, D, n);
  MENAGERIE_LAUNCH_CHECK();
  cuda::gemm_rm(s, Op::N, Op::T, B, D, D, 1.f, out, D, a.as<float>("output_linear.weight"), D, 1.f, y_t, ld_y);
}

std::vector<BufferSpec> buffers(const Problem& p) {
  return step_buffers(StepForm<Problem>{state_bytes, workspace_bytes, reset, step}, p);
}

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  run_steps(StepForm<Problem>{state_bytes, workspace_bytes, reset, step}, p, p.T, p.D, a, s);
}

}  // namespace menagerie::opt::h3::step_fp32
