// chunked_smem: causal linear attention (Based's taylor_exp feature map, or identity), forward and backward, fp32
// FFMA, one CTA per (b, h) walking the sequence in chunks of C = 32 tokens with the state in shared memory.
//
// Notation per (b, h): a_t = phi(q_t), b_s = phi(k_s) in R^F'; A[t, s] = a_t . b_s = f(q_t . k_s) for s <= t, where
// the Taylor map gives f(y) = 1 + y / sqrt(F) + y^2 / (2F) (identity: f(y) = y). Values carry an extra column of
// ones, v' = [v | 1], so one product yields numerator and denominator together: the state S' = sum_s b_s v'_s^T
// [F', Dv + 1] holds S and z side by side.
// Forward, per chunk:  out_t = sum_{s <= t in chunk} A[t, s] v'_s + a_t^T S'   (masked intra-chunk product plus the
//   carried state), o_t = out_t[:Dv] / (out_t[Dv] + eps), den_t = out_t[Dv] + eps (kept for the backward);
//   then S' += sum_{s in chunk} b_s v'_s^T.
// Backward, with g'_t = [dO_t / den_t | -(dO_t . o_t) / den_t] (so dA[t, s] = g'_t . v'_s), in two independent
// sweeps (blockIdx.y):
//   forward in time:   dq_t = sum_{s <= t, chunk} dA[t, s] f'(q_t . k_s) k_s + J_phi(q_t)^T (S'_prev g'_t)
//   backward in time:  with R' = sum_{t in later chunks} a_t g'_t^T  [F', Dv + 1],
//                      dv_s = sum_{t >= s, chunk} A[t, s] g_t + R'^T b_s,
//                      dk_s = sum_{t >= s, chunk} dA[t, s] f'(q_t . k_s) q_t + J_phi(k_s)^T (R' v'_s)
// where J_phi^T d = d_1 / F^{1/4} + sum_j (d_{2,mj} + d_{2,jm}) x_j / (sqrt 2 sqrt F) (identity: d). Every product
// is a shared-memory GEMM on a 16 x 16 thread grid (rows ty + 16 i, columns tx + 16 j). No atomics: deterministic.
#include <cmath>
#include <cstdint>
#include <string>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/linear_attention/tile_mm.cuh"
#include "optimized/linear_attention/variants.hpp"

namespace menagerie::opt::linear_attention::chunked_smem {
namespace {

constexpr int C = 32, NCOL = 80, FX = 16, kThreads = 256;  // NCOL >= Dv + 1 (Dv <= 64); FX: raw q/k row pitch

template <int F, bool TAYLOR>
struct Map {
  static constexpr int kFp = TAYLOR ? 1 + F + F * F : F;
  static constexpr int kPad = (kFp + 15) / 16 * 16;
  // phi_f(x) for one row x (pitch FX, zero beyond nf).
  __device__ static float phi(const float* x, int f, float c1, float c2) {
    if constexpr (TAYLOR) {
      if (f == 0) return 1.f;
      if (f <= F) return x[f - 1] * c1;
      if (f < kFp) {
        const int i = (f - 1 - F) / F, j = (f - 1 - F) % F;
        return x[i] * x[j] * c2;
      }
      return 0.f;
    } else {
      return f < FX ? x[f] : 0.f;
    }
  }
  __device__ static float kern(float y, float c1, float c2) {
    if constexpr (TAYLOR) return fmaf(y * c2 * c2, y, fmaf(y, c1 * c1, 1.f));
    else return y;
  }
  __device__ static float kern_d(float y, float c1, float c2) {
    if constexpr (TAYLOR) return fmaf(2.f * c2 * c2, y, c1 * c1);
    else return 1.f;
  }
  // (J_phi(x)^T d)_m where d(f) = D[f * ld] (a column of a [F'][...] tile).
  __device__ static float jt(const float* D, int ld, const float* x, int m, float c1, float c2) {
    if constexpr (TAYLOR) {
      float acc = 0.f;
#pragma unroll 4
      for (int j = 0; j < F; ++j) acc = fmaf(D[(1 + F + m * F + j) * ld] + D[(1 + F + j * F + m) * ld], x[j], acc);
      return fmaf(c1, D[(1 + m) * ld], c2 * acc);
    } else {
      return D[m * ld];
    }
  }
};

struct Dims {
  int T, H, F, Dv;
  bool normalize;
  float eps, c1, c2;
};

// Chunk rows [t0, t0 + n) of q and k into [C][FX] tiles (zero-padded).
__device__ __forceinline__ void load_qk(float* sQ, float* sK, const float* q, const float* k, std::int64_t base,
                                        int t0, int n, const Dims& d) {
  for (int i = threadIdx.x; i < C * FX; i += kThreads) {
    const int t = i / FX, m = i % FX;
    const bool ok = t < n && m < d.F;
    const std::int64_t at = base + static_cast<std::int64_t>(t0 + t) * d.H * d.F + m;
    sQ[i] = ok ? q[at] : 0.f;
    sK[i] = ok ? k[at] : 0.f;
  }
}

// v' = [v | 1 | 0] of the chunk, as rows sV[t][e] and/or columns sVT[e][t].
__device__ __forceinline__ void load_v(float* sV, float* sVT, const float* v, std::int64_t vbase, int t0, int n,
                                       const Dims& d) {
  for (int i = threadIdx.x; i < C * NCOL; i += kThreads) {
    const int t = i / NCOL, e = i % NCOL;
    float x = 0.f;
    if (t < n) x = e < d.Dv ? v[vbase + static_cast<std::int64_t>(t0 + t) * d.H * d.Dv + e] : (e == d.Dv ? 1.f : 0.f);
    if (sV) sV[i] = x;
    if (sVT) sVT[e * C + t] = x;
  }
}

// g' rows of the chunk into sG [C][NCOL] (and sGT [NCOL][C] if given); sDen gets den. Two barriers inside.
__device__ __forceinline__ void load_g(float* sG, float* sGT, float* sDen, float* sCo, const float* o,
                                       const float* dO, const float* den, std::int64_t vbase, int bh, int t0, int n,
                                       const Dims& d) {
  for (int t = threadIdx.x; t < C; t += kThreads) {
    float dot = 0.f, dn = 1.f;
    if (t < n) {
      const std::int64_t r = vbase + static_cast<std::int64_t>(t0 + t) * d.H * d.Dv;
      for (int e = 0; e < d.Dv; ++e) dot = fmaf(dO[r + e], o[r + e], dot);
      dn = den[static_cast<std::int64_t>(bh) * d.T + t0 + t];
    }
    sDen[t] = dn;
    sCo[t] = d.normalize ? -dot / dn : 0.f;
  }
  __syncthreads();
  for (int i = threadIdx.x; i < C * NCOL; i += kThreads) {
    const int t = i / NCOL, e = i % NCOL;
    float x = 0.f;
    if (t < n) x = e < d.Dv ? dO[vbase + static_cast<std::int64_t>(t0 + t) * d.H * d.Dv + e] / sDen[t] : (e == d.Dv ? sCo[t] : 0.f);
    sG[i] = x;
    if (sGT) sGT[e * C + t] = x;
  }
  __syncthreads();
}

template <int F, bool TAYLOR>
constexpr int smem_floats() {
  constexpr int FP = Map<F, TAYLOR>::kPad;
  return FP * NCOL + 2 * C * FX + 3 * C * NCOL + 2 * FP * C + 2 * C * C + 2 * C;
}

template <int F, bool TAYLOR>
__global__ void __launch_bounds__(kThreads)
    forward_kernel(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
                   float* __restrict__ o, float* __restrict__ den, Dims d) {
  using M = Map<F, TAYLOR>;
  constexpr int FP = M::kPad;
  extern __shared__ __align__(16) float sm[];
  float* sS = sm;                  // [FP][NCOL]  S' = [S | z]
  float* sQ = sS + FP * NCOL;      // [C][FX]
  float* sK = sQ + C * FX;         // [C][FX]
  float* sV = sK + C * FX;         // [C][NCOL]  v'
  float* sOut = sV + C * NCOL;     // [C][NCOL]
  float* sPhiQT = sOut + C * NCOL; // [FP][C]
  float* sPhiK = sPhiQT + FP * C;  // [C][FP]
  float* sAT = sPhiK + C * FP;     // [C][C]  A^T[s][t]

  const int bh = blockIdx.x, b = bh / d.H, h = bh % d.H;
  const std::int64_t base = static_cast<std::int64_t>(b) * d.T * d.H * d.F + static_cast<std::int64_t>(h) * d.F;
  const std::int64_t vbase = static_cast<std::int64_t>(b) * d.T * d.H * d.Dv + static_cast<std::int64_t>(h) * d.Dv;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  for (int i = threadIdx.x; i < FP * NCOL; i += kThreads) sS[i] = 0.f;

  for (int t0 = 0; t0 < d.T; t0 += C) {
    const int n = min(C, d.T - t0);
    __syncthreads();
    load_qk(sQ, sK, q, k, base, t0, n, d);
    load_v(sV, nullptr, v, vbase, t0, n, d);
    __syncthreads();
    for (int i = threadIdx.x; i < C * FP; i += kThreads) {
      const int t = i / FP, f = i % FP;
      sPhiQT[f * C + t] = t < n ? M::phi(sQ + t * FX, f, d.c1, d.c2) : 0.f;
      sPhiK[i] = t < n ? M::phi(sK + t * FX, f, d.c1, d.c2) : 0.f;
    }
    for (int i = threadIdx.x; i < C * C; i += kThreads) {
      const int s = i / C, t = i % C;
      float y = 0.f;
#pragma unroll
      for (int m = 0; m < FX; ++m) y = fmaf(sQ[t * FX + m], sK[s * FX + m], y);
      sAT[i] = s <= t && t < n ? M::kern(y, d.c1, d.c2) : 0.f;
    }
    __syncthreads();
    {
      float acc[C / 16][NCOL / 16];
      zero(acc);
      mm(acc, sAT, C, 1, sV, NCOL, C);
      mm(acc, sPhiQT, C, 1, sS, NCOL, FP);
#pragma unroll
      for (int i = 0; i < C / 16; ++i)
#pragma unroll
        for (int j = 0; j < NCOL / 16; ++j) sOut[(ty + 16 * i) * NCOL + tx + 16 * j] = acc[i][j];
    }
    __syncthreads();
    for (int i = threadIdx.x; i < n * d.Dv; i += kThreads) {
      const int t = i / d.Dv, e = i % d.Dv;
      const float dn = d.normalize ? sOut[t * NCOL + d.Dv] + d.eps : 1.f;
      o[vbase + static_cast<std::int64_t>(t0 + t) * d.H * d.Dv + e] = sOut[t * NCOL + e] / dn;
      if (e == 0) den[static_cast<std::int64_t>(bh) * d.T + t0 + t] = dn;
    }
    {
      float acc[FP / 16][NCOL / 16];
#pragma unroll
      for (int i = 0; i < FP / 16; ++i)
#pragma unroll
        for (int j = 0; j < NCOL / 16; ++j) acc[i][j] = sS[(ty + 16 * i) * NCOL + tx + 16 * j];
      mm(acc, sPhiK, FP, 1, sV, NCOL, C);
#pragma unroll
      for (int i = 0; i < FP / 16; ++i)
#pragma unroll
        for (int j = 0; j < NCOL / 16; ++j) sS[(ty + 16 * i) * NCOL + tx + 16 * j] = acc[i][j];
    }
  }
}

template <int F, bool TAYLOR>
__global__ void __launch_bounds__(kThreads)
    backward_kernel(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
                    const float* __restrict__ o, const float* __restrict__ dO, const float* __restrict__ den,
                    float* __restrict__ dq, float* __restrict__ dk, float* __restrict__ dv, Dims d) {
  using M = Map<F, TAYLOR>;
  constexpr int FP = M::kPad;
  extern __shared__ __align__(16) float sm[];
  float* sS = sm;                   // [FP][NCOL]  S' (sweep 0) or R' (sweep 1)
  float* sQ = sS + FP * NCOL;       // [C][FX]
  float* sK = sQ + C * FX;          // [C][FX]
  float* sV = sK + C * FX;          // [C][NCOL]  v' (sweep 0) | v'^T [NCOL][C] (sweep 1)
  float* sG = sV + C * NCOL;        // [C][NCOL]  g'
  float* sGT = sG + C * NCOL;       // [NCOL][C]  g'^T (sweep 0)
  float* sP1 = sGT + C * NCOL;      // [FP][C]    da^T (sweep 0) | phi(k)^T (sweep 1)
  float* sP2 = sP1 + FP * C;        // [C][FP]    phi(k) (sweep 0) | db^T [FP][C], then phi(q) [C][FP] (sweep 1)
  float* sW = sP2 + C * FP;         // [C][C]     W^T[s][t] (sweep 0) | A[t][s] (sweep 1)
  float* sW2 = sW + C * C;          // [C][C]     dA f' as [t][s] (sweep 1)
  float* sDen = sW2 + C * C;        // [C]
  float* sCo = sDen + C;            // [C]

  const int bh = blockIdx.x, b = bh / d.H, h = bh % d.H;
  const bool reverse = blockIdx.y == 1;
  const std::int64_t base = static_cast<std::int64_t>(b) * d.T * d.H * d.F + static_cast<std::int64_t>(h) * d.F;
  const std::int64_t vbase = static_cast<std::int64_t>(b) * d.T * d.H * d.Dv + static_cast<std::int64_t>(h) * d.Dv;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  for (int i = threadIdx.x; i < FP * NCOL; i += kThreads) sS[i] = 0.f;
  const int chunks = (d.T + C - 1) / C;

  for (int ci = 0; ci < chunks; ++ci) {
    const int t0 = (reverse ? chunks - 1 - ci : ci) * C, n = min(C, d.T - t0);
    __syncthreads();
    load_qk(sQ, sK, q, k, base, t0, n, d);
    load_v(reverse ? nullptr : sV, reverse ? sV : nullptr, v, vbase, t0, n, d);
    load_g(sG, reverse ? nullptr : sGT, sDen, sCo, o, dO, den, vbase, bh, t0, n, d);
    if (!reverse) {
      for (int i = threadIdx.x; i < C * FP; i += kThreads) {
        const int t = i / FP, f = i % FP;
        sP2[i] = t < n ? M::phi(sK + t * FX, f, d.c1, d.c2) : 0.f;
      }
      for (int i = threadIdx.x; i < C * C; i += kThreads) {
        const int s = i / C, t = i % C;
        float y = 0.f, ga = 0.f;
#pragma unroll
        for (int m = 0; m < FX; ++m) y = fmaf(sQ[t * FX + m], sK[s * FX + m], y);
        for (int e = 0; e <= d.Dv; ++e) ga = fmaf(sG[t * NCOL + e], sV[s * NCOL + e], ga);
        sW[i] = s <= t && t < n ? ga * M::kern_d(y, d.c1, d.c2) : 0.f;
      }
      __syncthreads();
      {
        float acc[FP / 16][C / 16];
        zero(acc);
        mm(acc, sS, 1, NCOL, sGT, C, NCOL);
#pragma unroll
        for (int i = 0; i < FP / 16; ++i)
#pragma unroll
          for (int j = 0; j < C / 16; ++j) sP1[(ty + 16 * i) * C + tx + 16 * j] = acc[i][j];
      }
      float dqa[C / 16][1];
      zero(dqa);
      mm(dqa, sW, C, 1, sK, FX, C);
      __syncthreads();
#pragma unroll
      for (int i = 0; i < C / 16; ++i) {
        const int t = ty + 16 * i, m = tx;
        if (t < n && m < d.F)
          dq[base + static_cast<std::int64_t>(t0 + t) * d.H * d.F + m] =
              dqa[i][0] + M::jt(sP1 + t, C, sQ + t * FX, m, d.c1, d.c2);
      }
      {  // S' += phi(k)^T v'
        float acc[FP / 16][NCOL / 16];
#pragma unroll
        for (int i = 0; i < FP / 16; ++i)
#pragma unroll
          for (int j = 0; j < NCOL / 16; ++j) acc[i][j] = sS[(ty + 16 * i) * NCOL + tx + 16 * j];
        mm(acc, sP2, FP, 1, sV, NCOL, C);
#pragma unroll
        for (int i = 0; i < FP / 16; ++i)
#pragma unroll
          for (int j = 0; j < NCOL / 16; ++j) sS[(ty + 16 * i) * NCOL + tx + 16 * j] = acc[i][j];
      }
    } else {
      for (int i = threadIdx.x; i < C * FP; i += kThreads) {
        const int s = i / FP, f = i % FP;
        sP1[f * C + s] = s < n ? M::phi(sK + s * FX, f, d.c1, d.c2) : 0.f;
      }
      for (int i = threadIdx.x; i < C * C; i += kThreads) {
        const int t = i / C, s = i % C;
        float y = 0.f, ga = 0.f;
#pragma unroll
        for (int m = 0; m < FX; ++m) y = fmaf(sQ[t * FX + m], sK[s * FX + m], y);
        for (int e = 0; e <= d.Dv; ++e) ga = fmaf(sG[t * NCOL + e], sV[e * C + s], ga);
        const bool ok = s <= t && t < n;
        sW[i] = ok ? M::kern(y, d.c1, d.c2) : 0.f;
        sW2[i] = ok ? ga * M::kern_d(y, d.c1, d.c2) : 0.f;
      }
      __syncthreads();
      {  // dv_s = sum_t A[t, s] g_t + phi(k_s)^T R'
        float acc[C / 16][NCOL / 16];
        zero(acc);
        mm(acc, sW, C, 1, sG, NCOL, C);
        mm(acc, sP1, C, 1, sS, NCOL, FP);
#pragma unroll
        for (int i = 0; i < C / 16; ++i)
#pragma unroll
          for (int j = 0; j < NCOL / 16; ++j) {
            const int s = ty + 16 * i, e = tx + 16 * j;
            if (s < n && e < d.Dv) dv[vbase + static_cast<std::int64_t>(t0 + s) * d.H * d.Dv + e] = acc[i][j];
          }
      }
      {  // db^T = R' v'^T
        float acc[FP / 16][C / 16];
        zero(acc);
        mm(acc, sS, 1, NCOL, sV, C, NCOL);
#pragma unroll
        for (int i = 0; i < FP / 16; ++i)
#pragma unroll
          for (int j = 0; j < C / 16; ++j) sP2[(ty + 16 * i) * C + tx + 16 * j] = acc[i][j];
      }
      float dka[C / 16][1];
      zero(dka);
      mm(dka, sW2, C, 1, sQ, FX, C);
      __syncthreads();
#pragma unroll
      for (int i = 0; i < C / 16; ++i) {
        const int s = ty + 16 * i, m = tx;
        if (s < n && m < d.F)
          dk[base + static_cast<std::int64_t>(t0 + s) * d.H * d.F + m] =
              dka[i][0] + M::jt(sP2 + s, C, sK + s * FX, m, d.c1, d.c2);
      }
      __syncthreads();
      for (int i = threadIdx.x; i < C * FP; i += kThreads) {
        const int t = i / FP, f = i % FP;
        sP2[i] = t < n ? M::phi(sQ + t * FX, f, d.c1, d.c2) : 0.f;
      }
      __syncthreads();
      {  // R' += phi(q)^T g'
        float acc[FP / 16][NCOL / 16];
#pragma unroll
        for (int i = 0; i < FP / 16; ++i)
#pragma unroll
          for (int j = 0; j < NCOL / 16; ++j) acc[i][j] = sS[(ty + 16 * i) * NCOL + tx + 16 * j];
        mm(acc, sP2, FP, 1, sG, NCOL, C);
#pragma unroll
        for (int i = 0; i < FP / 16; ++i)
#pragma unroll
          for (int j = 0; j < NCOL / 16; ++j) sS[(ty + 16 * i) * NCOL + tx + 16 * j] = acc[i][j];
      }
    }
  }
}

Dims dims(const Problem& p) {
  const float F = static_cast<float>(p.F);
  return {static_cast<int>(p.T), static_cast<int>(p.H), static_cast<int>(p.F), static_cast<int>(p.Dv), p.normalize,
          static_cast<float>(p.eps), 1.f / std::sqrt(std::sqrt(F)), 1.f / (std::sqrt(2.f) * std::sqrt(F))};
}

template <int F, bool TAYLOR>
void launch_forward(const Problem& p, const ForwardArgs& a, cudaStream_t stream) {
  constexpr std::size_t smem = sizeof(float) * smem_floats<F, TAYLOR>();
  MENAGERIE_CUDA_CHECK(cudaFuncSetAttribute(forward_kernel<F, TAYLOR>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                            static_cast<int>(smem)));
  forward_kernel<F, TAYLOR><<<static_cast<unsigned>(p.B * p.H), kThreads, smem, stream>>>(a.q, a.k, a.v, a.o, a.den,
                                                                                           dims(p));
  MENAGERIE_LAUNCH_CHECK();
}

template <int F, bool TAYLOR>
void launch_backward(const Problem& p, const BackwardArgs& a, cudaStream_t stream) {
  constexpr std::size_t smem = sizeof(float) * smem_floats<F, TAYLOR>();
  MENAGERIE_CUDA_CHECK(cudaFuncSetAttribute(backward_kernel<F, TAYLOR>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                            static_cast<int>(smem)));
  backward_kernel<F, TAYLOR><<<dim3(static_cast<unsigned>(p.B * p.H), 2), kThreads, smem, stream>>>(
      a.q, a.k, a.v, a.o, a.dO, a.den, a.dq, a.dk, a.dv, dims(p));
  MENAGERIE_LAUNCH_CHECK();
}

template <class Fwd>
void dispatch(const Problem& p, Fwd&& f) {
  p.validate();
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  if (p.feature_map == ops::linear_attention::FeatureMap::identity)
    f.template operator()<16, false>();
  else if (p.F == 8)
    f.template operator()<8, true>();
  else
    f.template operator()<16, true>();
}

}  // namespace

std::string unsupported(const Problem& p) {
  using ops::linear_attention::FeatureMap;
  if (p.feature_map == FeatureMap::taylor_exp && p.F != 8 && p.F != 16)
    return cat("linear_attention chunked_smem: F = ", p.F, " unsupported with taylor_exp (needs F in {8, 16})");
  if (p.feature_map == FeatureMap::identity && p.F > 16)
    return cat("linear_attention chunked_smem: F = ", p.F, " unsupported with identity (needs F <= 16)");
  if (p.Dv > 64) return cat("linear_attention chunked_smem: Dv = ", p.Dv, " unsupported (needs Dv <= 64)");
  if (p.B * p.H > 65535) return cat("linear_attention chunked_smem: B * H = ", p.B * p.H, " exceeds 65535");
  return {};
}

void forward(const Problem& p, const ForwardArgs& a, cudaStream_t stream) {
  dispatch(p, [&]<int F, bool TAYLOR>() { launch_forward<F, TAYLOR>(p, a, stream); });
}

void backward(const Problem& p, const BackwardArgs& a, cudaStream_t stream) {
  dispatch(p, [&]<int F, bool TAYLOR>() { launch_backward<F, TAYLOR>(p, a, stream); });
}

}  // namespace menagerie::opt::linear_attention::chunked_smem
