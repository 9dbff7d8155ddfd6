// composed_fp32: the RWKV-4 time mixer (core/mixers/rwkv.hpp) in fp32 on the GPU: cuBLAS GEMMs, the wkv operator's
// split_fp32 kernels and pointwise kernels. M = B T rows of width d, row-major.
// Forward:
//   mix:   x'_t = u_{t-1} (0 at t = 0);  xk = mu_k u + (1 - mu_k) x', xv, xr likewise          (workspace)
//   k, v, r = xk Wk^T, xv Wv^T, xr Wr^T                                                  (GEMMs; saved)
//   wkv = WKV(k, v; time_decay, time_first)            (wkv split_fp32; saved, with its checkpoints)
//   g = sigmoid(r) ⊙ wkv (workspace);  y = g Wo^T                                              (GEMM)
// Backward (dy), with s = sigmoid(r):
//   g recomputed;  dWo = dy^T g;  dg = dy Wo                                                   (GEMMs)
//   dwkv = dg ⊙ s;  dr = dg ⊙ wkv ⊙ s (1 - s)                                                (pointwise)
//   dk, dv, dtime_decay, dtime_first = WKV's backward of dwkv                  (wkv split_fp32)
//   xk, xv, xr recomputed;  dWk = dk^T xk, dxk = dk Wk (v, r likewise)                         (GEMMs)
//   du_t = sum_x (mu_x dx_t + (1 - mu_x) dx_{t+1})  (the shift's adjoint; dx_T = 0)           (pointwise)
//   dmu_x = column sums of dx ⊙ (u - x')                                         (pointwise, then GEMV)
// cuBLAS's FP32 SGEMM (no TF32), fixed-order GEMVs and WKV's fixed-order reductions: bitwise deterministic.
#include <cstdint>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/common/pointwise.hpp"
#include "optimized/rwkv/variants.hpp"
#include "optimized/wkv/variants.hpp"

namespace menagerie::opt::rwkv::composed_fp32 {
namespace {

using cuda::Op;
namespace wkv = opt::wkv;
constexpr int kThreads = kPointwiseThreads;

// Workspace sections in floats (64-aligned): xk, xv, xr, g (dg in the backward), dwkv, dk, dv, dr [M d]; ones [M];
// WKV's parameter-gradient partials.
struct Layout {
  std::size_t x[3] = {}, g = 0, dwkv = 0, dk = 0, dv = 0, dr = 0, ones = 0, wkv = 0, total = 0;
  explicit Layout(const Problem& p) {
    const auto md = static_cast<std::size_t>(p.B * p.T * p.d);
    Carve c;
    for (auto& s : x) s = c.take(md);
    g = c.take(md);
    dwkv = c.take(md);
    dk = c.take(md);
    dv = c.take(md);
    dr = c.take(md);
    ones = c.take(static_cast<std::size_t>(p.B * p.T));
    wkv = c.take((wkv::scan_fp32::workspace_bytes(mixers::rwkv::wkv_problem(p)) + sizeof(float) - 1) / sizeof(float));
    total = c.total();
  }
};

// xk, xv, xr from u and the three mixes; t = (i / d) mod T.
__global__ void mix_kernel(const float* __restrict__ u, const float* __restrict__ mk, const float* __restrict__ mv,
                           const float* __restrict__ mr, float* __restrict__ xk, float* __restrict__ xv,
                           float* __restrict__ xr, std::int64_t T, std::int64_t d, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const std::int64_t c = i % d, t = (i / d) % T;
  const float ui = u[i], prev = t > 0 ? u[i - d] : 0.f;
  xk[i] = mk[c] * ui + (1.f - mk[c]) * prev;
  xv[i] = mv[c] * ui + (1.f - mv[c]) * prev;
  xr[i] = mr[c] * ui + (1.f - mr[c]) * prev;
}

__device__ __forceinline__ float sigmoid(float x) { return 1.f / (1.f + expf(-x)); }

__global__ void gate_kernel(const float* __restrict__ r, const float* __restrict__ wkv, float* __restrict__ g,
                            std::int64_t n) {
  const std::int64_t i = element_index();
  if (i < n) g[i] = sigmoid(r[i]) * wkv[i];
}

__global__ void gate_backward_kernel(const float* __restrict__ dg, const float* __restrict__ r,
                                     const float* __restrict__ wkv, float* __restrict__ dwkv, float* __restrict__ dr,
                                     std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const float s = sigmoid(r[i]), gi = dg[i];
  dwkv[i] = gi * s;
  dr[i] = gi * wkv[i] * s * (1.f - s);
}

// du from dxk, dxv, dxr (the shift's adjoint).
__global__ void shift_backward_kernel(const float* __restrict__ dxk, const float* __restrict__ dxv,
                                      const float* __restrict__ dxr, const float* __restrict__ mk,
                                      const float* __restrict__ mv, const float* __restrict__ mr,
                                      float* __restrict__ du, std::int64_t T, std::int64_t d, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const std::int64_t c = i % d, t = (i / d) % T;
  float acc = mk[c] * dxk[i] + mv[c] * dxv[i] + mr[c] * dxr[i];
  if (t + 1 < T) acc += (1.f - mk[c]) * dxk[i + d] + (1.f - mv[c]) * dxv[i + d] + (1.f - mr[c]) * dxr[i + d];
  du[i] = acc;
}

// dx <- dx ⊙ (u - x'), in place (after shift_backward_kernel has read every dx).
__global__ void mix_grad_terms_kernel(const float* __restrict__ u, float* __restrict__ dxk, float* __restrict__ dxv,
                                      float* __restrict__ dxr, std::int64_t T, std::int64_t d, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const std::int64_t t = (i / d) % T;
  const float diff = u[i] - (t > 0 ? u[i - d] : 0.f);
  dxk[i] *= diff;
  dxv[i] *= diff;
  dxr[i] *= diff;
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.B < 1 || p.T < 1 || p.d < 1)
    return cat("rwkv composed_fp32: B, T, d = ", p.B, ", ", p.T, ", ", p.d, " unsupported (each must be >= 1)");
  if (p.B * p.T * p.d > (std::int64_t{1} << 31) - 1)
    return cat("rwkv composed_fp32: B T d = ", p.B * p.T * p.d, " exceeds cuBLAS's 32-bit sizes (2^31 - 1)");
  return wkv::split_fp32::unsupported(mixers::rwkv::wkv_problem(p));
}

std::vector<BufferSpec> buffers(const Problem& p) {
  const auto md = static_cast<std::size_t>(p.B * p.T * p.d) * sizeof(float);
  return {{"k", md, true},
          {"v", md, true},
          {"r", md, true},
          {"wkv", md, true},
          {"wkv_state", wkv::split_fp32::state_bytes(mixers::rwkv::wkv_problem(p)), true},
          {"workspace", Layout(p).total * sizeof(float), false}};
}

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  const std::int64_t M = p.B * p.T, d = p.d, n = M * d;
  const Layout l(p);
  float* ws = a.as<float>("workspace");
  const float* u = a.as<float>("u");
  float *xk = ws + l.x[0], *xv = ws + l.x[1], *xr = ws + l.x[2], *g = ws + l.g;
  float *k = a.as<float>("k"), *v = a.as<float>("v"), *r = a.as<float>("r"), *out = a.as<float>("wkv");
  mix_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(u, a.as<float>("time_mix_k"), a.as<float>("time_mix_v"),
                                            a.as<float>("time_mix_r"), xk, xv, xr, p.T, d, n);
  MENAGERIE_LAUNCH_CHECK();
  cuda::gemm_rm(s, Op::N, Op::T, M, d, d, 1.f, xk, d, a.as<float>("key.weight"), d, 0.f, k);
  cuda::gemm_rm(s, Op::N, Op::T, M, d, d, 1.f, xv, d, a.as<float>("value.weight"), d, 0.f, v);
  cuda::gemm_rm(s, Op::N, Op::T, M, d, d, 1.f, xr, d, a.as<float>("receptance.weight"), d, 0.f, r);
  wkv::split_fp32::forward(mixers::rwkv::wkv_problem(p),
                           {k, v, a.as<float>("time_decay"), a.as<float>("time_first")}, out,
                           a.as<float>("wkv_state"), s);
  gate_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(r, out, g, n);
  MENAGERIE_LAUNCH_CHECK();
  cuda::gemm_rm(s, Op::N, Op::T, M, d, d, 1.f, g, d, a.as<float>("output.weight"), d, 0.f, a.as<float>("y"));
}

void backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  const std::int64_t M = p.B * p.T, d = p.d, n = M * d;
  const Layout l(p);
  float* ws = a.as<float>("workspace");
  const float *u = a.as<float>("u"), *dy = a.as<float>("dy"), *r = a.as<float>("r"), *out = a.as<float>("wkv");
  const float *mk = a.as<float>("time_mix_k"), *mv = a.as<float>("time_mix_v"), *mr = a.as<float>("time_mix_r");
  float *xk = ws + l.x[0], *xv = ws + l.x[1], *xr = ws + l.x[2], *g = ws + l.g, *dwkv = ws + l.dwkv;
  float *dk = ws + l.dk, *dv = ws + l.dv, *dr = ws + l.dr, *ones = ws + l.ones;
  fill(s, ones, M, 1.f);
  gate_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(r, out, g, n);
  MENAGERIE_LAUNCH_CHECK();
  cuda::gemm_rm(s, Op::T, Op::N, d, d, M, 1.f, dy, d, g, d, 0.f, a.as<float>("doutput.weight"));
  cuda::gemm_rm(s, Op::N, Op::N, M, d, d, 1.f, dy, d, a.as<float>("output.weight"), d, 0.f, g);  // g <- dg
  gate_backward_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(g, r, out, dwkv, dr, n);
  MENAGERIE_LAUNCH_CHECK();
  wkv::split_fp32::backward(mixers::rwkv::wkv_problem(p),
                            {a.as<float>("k"), a.as<float>("v"), a.as<float>("time_decay"), a.as<float>("time_first")},
                            a.as<float>("wkv_state"), dwkv,
                            {dk, dv, a.as<float>("dtime_decay"), a.as<float>("dtime_first")}, ws + l.wkv, s);
  mix_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(u, mk, mv, mr, xk, xv, xr, p.T, d, n);
  MENAGERIE_LAUNCH_CHECK();
  const struct {
    float *dproj, *x;
    const char *weight, *dweight;
  } proj[3] = {{dk, xk, "key.weight", "dkey.weight"},
               {dv, xv, "value.weight", "dvalue.weight"},
               {dr, xr, "receptance.weight", "dreceptance.weight"}};
  for (const auto& j : proj) {
    const float* W = a.as<float>(j.weight);
    cuda::gemm_rm(s, Op::T, Op::N, d, d, M, 1.f, j.dproj, d, j.x, d, 0.f, a.as<float>(j.dweight));
    cuda::gemm_rm(s, Op::N, Op::N, M, d, d, 1.f, j.dproj, d, W, d, 0.f, j.x);  // x <- dx
  }
  shift_backward_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(xk, xv, xr, mk, mv, mr, a.as<float>("du"), p.T, d, n);
  mix_grad_terms_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(u, xk, xv, xr, p.T, d, n);
  MENAGERIE_LAUNCH_CHECK();
  cuda::column_sums(s, M, d, xk, ones, a.as<float>("dtime_mix_k"));
  cuda::column_sums(s, M, d, xv, ones, a.as<float>("dtime_mix_v"));
  cuda::column_sums(s, M, d, xr, ones, a.as<float>("dtime_mix_r"));
}

}  // namespace menagerie::opt::rwkv::composed_fp32
