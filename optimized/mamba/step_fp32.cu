// step_fp32: the Mamba mixer's recurrent form (core/mixers/mamba.hpp; the reference's reference_step) on the GPU, one
// token of B sequences per call. E = d_inner, R = dt_rank, N = d_state, K = d_conv, W = R + 2N. Per token:
//   x = u_t Win[:E]^T,  z = u_t Win[E:]^T                                         (GEMMs over the B rows)
//   conv_step_kernel, per (b, c):  xc = cb + cw[K−1] x + Σ_{j<K−1} cw[j] window[j];  window <- (window[1:], x);
//                                  xs = SiLU(xc)
//   [dt B C] = xs Wx^T;  delta = dt Wdt^T                                            (GEMMs)
//   scan_step_kernel, per (b, c):  delta = softplus(delta + bdt);  h[n] = exp(delta A[c,n]) h[n] + delta B[n] xs
//                                  (A = −exp(A_log));  ys = Σ_n C[n] h[n] + D xs;  g = ys SiLU(z)
//   y_t = g Wout^T                                                                   (GEMM, row stride ld_y)
// The state of a sequence is [E, K − 1 + N] floats: the conv window, oldest first, then h; the empty state is zeros.
#include <cstdint>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/common/pointwise.hpp"
#include "optimized/common/step_form.hpp"
#include "optimized/mamba/variants.hpp"

namespace menagerie::opt::mamba::step_fp32 {
namespace {

using cuda::Op;
constexpr int kThreads = kPointwiseThreads;

// One token's scratch sections (floats): x, z, xs, delta, g [B, E]; dbc [B, W].
struct Layout {
  std::size_t x, z, xs, delta, g, dbc, total;
  explicit Layout(const Problem& p) {
    const auto BE = static_cast<std::size_t>(p.B * p.d_inner());
    Carve c;
    for (std::size_t* s : {&x, &z, &xs, &delta, &g}) *s = c.take(BE);
    dbc = c.take(static_cast<std::size_t>(p.B * (p.rank() + 2 * p.d_state)));
    total = c.total();
  }
};

__device__ __forceinline__ float sigmoid(float a) { return 1.f / (1.f + expf(-a)); }

__global__ void conv_step_kernel(const float* __restrict__ x, const float* __restrict__ cw,
                                 const float* __restrict__ cb, float* __restrict__ state, float* __restrict__ xs,
                                 std::int64_t E, std::int64_t K, std::int64_t S, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const std::int64_t c = i % E;
  float* win = state + i * S;
  const float xi = x[i], *w = cw + c * K;
  float acc = fmaf(w[K - 1], xi, cb[c]);
  for (std::int64_t j = 0; j + 1 < K; ++j) acc = fmaf(w[j], win[j], acc);
  for (std::int64_t j = 0; j + 2 < K; ++j) win[j] = win[j + 1];
  if (K > 1) win[K - 2] = xi;
  xs[i] = acc * sigmoid(acc);
}

__global__ void scan_step_kernel(const float* __restrict__ xs, const float* __restrict__ z,
                                 const float* __restrict__ dpre, const float* __restrict__ bdt,
                                 const float* __restrict__ A_log, const float* __restrict__ Dskip,
                                 const float* __restrict__ dbc, float* __restrict__ state, float* __restrict__ g,
                                 std::int64_t E, std::int64_t R, std::int64_t N, std::int64_t K, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const std::int64_t b = i / E, c = i % E;
  const float a = dpre[i] + bdt[c], delta = fmaxf(a, 0.f) + log1pf(expf(-fabsf(a))), x = xs[i];
  const float* Bt = dbc + b * (R + 2 * N) + R;
  const float* Ct = Bt + N;
  float* h = state + i * (K - 1 + N) + (K - 1);
  float y = 0.f;
  for (std::int64_t s = 0; s < N; ++s) {
    const float hs = fmaf(expf(delta * -expf(A_log[c * N + s])), h[s], delta * Bt[s] * x);
    h[s] = hs;
    y = fmaf(Ct[s], hs, y);
  }
  y = fmaf(Dskip[c], x, y);
  const float zi = z[i];
  g[i] = y * zi * sigmoid(zi);
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.B < 1 || p.T < 1 || p.d < 1 || p.d_state < 1 || p.d_conv < 1 || p.expand < 1 || p.dt_rank < 0)
    return cat("mamba step_fp32: B, T, d, d_state, d_conv, expand, dt_rank = ", p.B, ", ", p.T, ", ", p.d, ", ",
               p.d_state, ", ", p.d_conv, ", ", p.expand, ", ", p.dt_rank, " unsupported");
  if (p.B * (p.d_inner() + p.rank() + 2 * p.d_state) > (std::int64_t{1} << 31) - 1 ||
      p.B * p.T * p.d > (std::int64_t{1} << 31) - 1)
    return cat("mamba step_fp32: B = ", p.B, ", T = ", p.T, " exceed cuBLAS's 32-bit sizes (2^31 - 1)");
  return {};
}

std::size_t state_bytes(const Problem& p) {
  return static_cast<std::size_t>(p.B * p.d_inner() * (p.d_conv - 1 + p.d_state)) * sizeof(float);
}

std::size_t workspace_bytes(const Problem& p) { return Layout(p).total * sizeof(float); }

void reset(const Problem& p, float* state, cudaStream_t s) {
  MENAGERIE_CUDA_CHECK(cudaMemsetAsync(state, 0, state_bytes(p), s));
}

void step(const Problem& p, const DeviceArgs& a, float* state, const float* u_t, std::int64_t ld_u, float* y_t,
          std::int64_t ld_y, float* ws, cudaStream_t s) {
  require_supported(unsupported, p);
  const std::int64_t B = p.B, d = p.d, E = p.d_inner(), R = p.rank(), N = p.d_state, K = p.d_conv, W = R + 2 * N;
  const Layout l(p);
  float *x = ws + l.x, *z = ws + l.z, *xs = ws + l.xs, *delta = ws + l.delta, *g = ws + l.g, *dbc = ws + l.dbc;
  const float* Win = a.as<float>("in_proj.weight");
  cuda::gemm_rm(s, Op::N, Op::T, B, E, d, 1.f, u_t, ld_u, Win, d, 0.f, x);
  cuda::gemm_rm(s, Op::N, Op::T, B, E, d, 1.f, u_t, ld_u, Win + E * d, d, 0.f, z);
  conv_step_kernel<<<pointwise_blocks(B * E), kThreads, 0, s>>>(x, a.as<float>("conv1d.weight"),
                                                                a.as<float>("conv1d.bias"), state, xs, E, K,
                                                                K - 1 + N, B * E);
  MENAGERIE_LAUNCH_CHECK();
  cuda::gemm_rm(s, Op::N, Op::T, B, W, E, 1.f, xs, E, a.as<float>("x_proj.weight"), E, 0.f, dbc);
  cuda::gemm_rm(s, Op::N, Op::T, B, E, R, 1.f, dbc, W, a.as<float>("dt_proj.weight"), R, 0.f, delta);
  scan_step_kernel<<<pointwise_blocks(B * E), kThreads, 0, s>>>(xs, z, delta, a.as<float>("dt_proj.bias"),
                                                                a.as<float>("A_log"), a.as<float>("D"), dbc, state, g,
                                                                E, R, N, K, B * E);
  MENAGERIE_LAUNCH_CHECK();
  cuda::gemm_rm(s, Op::N, Op::T, B, d, E, 1.f, g, E, a.as<float>("out_proj.weight"), E, 0.f, y_t, ld_y);
}

std::vector<BufferSpec> buffers(const Problem& p) {
  return step_buffers(StepForm<Problem>{state_bytes, workspace_bytes, reset, step}, p);
}

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  run_steps(StepForm<Problem>{state_bytes, workspace_bytes, reset, step}, p, p.T, p.d, a, s);
}

}  // namespace menagerie::opt::mamba::step_fp32
