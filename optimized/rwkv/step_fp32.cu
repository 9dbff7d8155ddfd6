// step_fp32: the RWKV-4 time mixer's recurrent form (core/mixers/rwkv.hpp; the reference's reference_step) on the GPU,
// one token of B sequences per call. Per token:
//   mix_step_kernel, per (b, c):  xk = mu_k u_t + (1 − mu_k) prev (xv, xr likewise);  prev <- u_t
//   k, v, r = xk Wk^T, xv Wv^T, xr Wr^T                                              (GEMMs over the B rows)
//   wkv_step_kernel, per (b, c):  y = WKV's stable step from (p, q, o) with w = exp(time_decay), u = time_first
//                                 (optimized/wkv/stable_step.cuh, o carried as two floats: fp64 bookkeeping);
//                                 g = sigmoid(r) y
//   y_t = g Wo^T                                                                     (GEMM, row stride ld_y)
// State [5, B, d] floats: prev, then p, q, o_hi, o_lo; the empty state is prev = p = q = 0, o = −inf.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/common/pointwise.hpp"
#include "optimized/common/step_form.hpp"
#include "optimized/rwkv/variants.hpp"
#include "optimized/wkv/stable_step.cuh"

namespace menagerie::opt::rwkv::step_fp32 {
namespace {

using cuda::Op;
constexpr int kThreads = kPointwiseThreads;

__global__ void mix_step_kernel(const float* __restrict__ u, std::int64_t ld_u, const float* __restrict__ mk,
                                const float* __restrict__ mv, const float* __restrict__ mr, float* __restrict__ prev,
                                float* __restrict__ xk, float* __restrict__ xv, float* __restrict__ xr, std::int64_t d,
                                std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const std::int64_t c = i % d;
  const float ui = u[i / d * ld_u + c], pi = prev[i];
  xk[i] = mk[c] * ui + (1.f - mk[c]) * pi;
  xv[i] = mv[c] * ui + (1.f - mv[c]) * pi;
  xr[i] = mr[c] * ui + (1.f - mr[c]) * pi;
  prev[i] = ui;
}

// r <- sigmoid(r) WKV(k, v) (the gate's input g), advancing the (p, q, o) checkpoint of [4, n] floats at st.
__global__ void wkv_step_kernel(const float* __restrict__ k, const float* __restrict__ v, float* __restrict__ r,
                                const float* __restrict__ time_decay, const float* __restrict__ time_first,
                                float* __restrict__ st, std::int64_t d, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const std::int64_t c = i % d;
  wkv::StableState s = wkv::load_state(st + i, n);
  double m = 0.0;
  float den = 0.f;
  const float y = wkv::stable_step(k[i], v[i], expf(time_decay[c]), time_first[c], s, m, den);
  wkv::save_state(st + i, n, s);
  r[i] = y / (1.f + expf(-r[i]));
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.B < 1 || p.T < 1 || p.d < 1)
    return cat("rwkv step_fp32: B, T, d = ", p.B, ", ", p.T, ", ", p.d, " unsupported (each must be >= 1)");
  if (p.B * p.T * p.d > (std::int64_t{1} << 31) - 1)
    return cat("rwkv step_fp32: B T d = ", p.B * p.T * p.d, " exceeds cuBLAS's 32-bit sizes (2^31 - 1)");
  return {};
}

std::size_t state_bytes(const Problem& p) { return static_cast<std::size_t>(5 * p.B * p.d) * sizeof(float); }

std::size_t workspace_bytes(const Problem& p) { return static_cast<std::size_t>(6 * p.B * p.d) * sizeof(float); }

void reset(const Problem& p, float* state, cudaStream_t s) {
  const std::int64_t n = p.B * p.d;
  MENAGERIE_CUDA_CHECK(cudaMemsetAsync(state, 0, static_cast<std::size_t>(3 * n) * sizeof(float), s));
  fill(s, state + 3 * n, n, -INFINITY);
  MENAGERIE_CUDA_CHECK(cudaMemsetAsync(state + 4 * n, 0, static_cast<std::size_t>(n) * sizeof(float), s));
}

void step(const Problem& p, const DeviceArgs& a, float* state, const float* u_t, std::int64_t ld_u, float* y_t,
          std::int64_t ld_y, float* ws, cudaStream_t s) {
  require_supported(unsupported, p);
  const std::int64_t B = p.B, d = p.d, n = B * d;
  float *xk = ws, *xv = ws + n, *xr = ws + 2 * n, *k = ws + 3 * n, *v = ws + 4 * n, *r = ws + 5 * n;
  mix_step_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(u_t, ld_u, a.as<float>("time_mix_k"),
                                                           a.as<float>("time_mix_v"), a.as<float>("time_mix_r"),
                                                           state, xk, xv, xr, d, n);
  MENAGERIE_LAUNCH_CHECK();
  cuda::gemm_rm(s, Op::N, Op::T, B, d, d, 1.f, xk, d, a.as<float>("key.weight"), d, 0.f, k);
  cuda::gemm_rm(s, Op::N, Op::T, B, d, d, 1.f, xv, d, a.as<float>("value.weight"), d, 0.f, v);
  cuda::gemm_rm(s, Op::N, Op::T, B, d, d, 1.f, xr, d, a.as<float>("receptance.weight"), d, 0.f, r);
  wkv_step_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(k, v, r, a.as<float>("time_decay"),
                                                           a.as<float>("time_first"), state + n, d, n);
  MENAGERIE_LAUNCH_CHECK();
  cuda::gemm_rm(s, Op::N, Op::T, B, d, d, 1.f, r, d, a.as<float>("output.weight"), d, 0.f, y_t, ld_y);
}

std::vector<BufferSpec> buffers(const Problem& p) {
  return step_buffers(StepForm<Problem>{state_bytes, workspace_bytes, reset, step}, p);
}

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  run_steps(StepForm<Problem>{state_bytes, workspace_bytes, reset, step}, p, p.T, p.d, a, s);
}

}  // namespace menagerie::opt::rwkv::step_fp32
