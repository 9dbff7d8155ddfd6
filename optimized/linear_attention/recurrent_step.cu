// recurrent_step: one token of causal linear attention for every (b, h), against a state in global memory
// (decoding). One CTA per (b, h):
//   S[f, :] += phi(k_t)_f v_t,  z[f] += phi(k_t)_f        (every (f, e) by one thread; no atomics)
//   o_t[e] = sum_f phi(q_t)_f S[f, e] / (sum_f phi(q_t)_f z[f] + eps)   (sequential sums over f: deterministic)
// phi is the contract's map (taylor_exp: [1, x / F^{1/4}, x_i x_j / (sqrt 2 sqrt F)]; identity: x). Any F with
// F' <= 4096 and Dv <= 255; fp32.
#include <cmath>
#include <cstdint>
#include <string>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/linear_attention/variants.hpp"

namespace menagerie::opt::linear_attention::recurrent_step {
namespace {

constexpr int kThreads = 256;

__device__ float phi(const float* x, int f, int F, bool taylor, float c1, float c2) {
  if (!taylor) return x[f];
  if (f == 0) return 1.f;
  if (f <= F) return x[f - 1] * c1;
  const int i = (f - 1 - F) / F, j = (f - 1 - F) % F;
  return x[i] * x[j] * c2;
}

__global__ void __launch_bounds__(kThreads)
    step_kernel(const float* __restrict__ q_t, const float* __restrict__ k_t, const float* __restrict__ v_t,
                float* __restrict__ S, float* __restrict__ z, float* __restrict__ o_t, int F, int Fp, int Dv,
                bool taylor, bool normalize, float eps, float c1, float c2) {
  extern __shared__ float sm[];
  float* sPk = sm;        // [Fp]
  float* sPq = sPk + Fp;  // [Fp]
  float* sV = sPq + Fp;   // [Dv]
  float* sX = sV + Dv;    // [2F] raw q_t, k_t
  const std::int64_t bh = blockIdx.x;
  for (int i = threadIdx.x; i < F; i += kThreads) {
    sX[i] = q_t[bh * F + i];
    sX[F + i] = k_t[bh * F + i];
  }
  for (int e = threadIdx.x; e < Dv; e += kThreads) sV[e] = v_t[bh * Dv + e];
  __syncthreads();
  for (int f = threadIdx.x; f < Fp; f += kThreads) {
    sPq[f] = phi(sX, f, F, taylor, c1, c2);
    sPk[f] = phi(sX + F, f, F, taylor, c1, c2);
  }
  __syncthreads();
  float* Sbh = S + bh * Fp * Dv;
  float* zbh = z + bh * Fp;
  for (int i = threadIdx.x; i < Fp * Dv; i += kThreads) Sbh[i] = fmaf(sPk[i / Dv], sV[i % Dv], Sbh[i]);
  for (int f = threadIdx.x; f < Fp; f += kThreads) zbh[f] += sPk[f];
  __syncthreads();
  __shared__ float den;
  if (threadIdx.x == Dv) {
    float acc = 0.f;
    for (int f = 0; f < Fp; ++f) acc = fmaf(sPq[f], zbh[f], acc);
    den = acc + eps;
  }
  float acc = 0.f;
  if (threadIdx.x < Dv)
    for (int f = 0; f < Fp; ++f) acc = fmaf(sPq[f], Sbh[f * Dv + threadIdx.x], acc);
  __syncthreads();
  if (threadIdx.x < Dv) o_t[bh * Dv + threadIdx.x] = normalize ? acc / den : acc;
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.expanded_dim() > 4096)
    return cat("linear_attention recurrent_step: F' = ", p.expanded_dim(), " (F = ", p.F, ") exceeds 4096");
  if (p.Dv > kThreads - 1) return cat("linear_attention recurrent_step: Dv = ", p.Dv, " unsupported (needs Dv <= 255)");
  if (p.B * p.H > 2147483647) return cat("linear_attention recurrent_step: B * H = ", p.B * p.H, " too large");
  return {};
}

void step(const Problem& p, const StepArgs& a, cudaStream_t stream) {
  p.validate();
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  const int Fp = static_cast<int>(p.expanded_dim());
  const float F = static_cast<float>(p.F);
  const std::size_t smem = sizeof(float) * static_cast<std::size_t>(2 * Fp + p.Dv + 2 * p.F);
  step_kernel<<<static_cast<unsigned>(p.B * p.H), kThreads, smem, stream>>>(
      a.q_t, a.k_t, a.v_t, a.S, a.z, a.o_t, static_cast<int>(p.F), Fp, static_cast<int>(p.Dv),
      p.feature_map == ops::linear_attention::FeatureMap::taylor_exp, p.normalize, static_cast<float>(p.eps),
      1.f / std::sqrt(std::sqrt(F)), 1.f / (std::sqrt(2.f) * std::sqrt(F)));
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace menagerie::opt::linear_attention::recurrent_step
