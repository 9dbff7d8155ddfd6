// Test-only: the selective scan's chunked kernels as optimized/selective_scan/scan.cu had them before the
// one-exchange-per-chunk rewrite (commit 45e88c9), kept verbatim so that verify/selective_scan_fast_gpu_test.cu can
// compare the new kernels' outputs with them bit for bit. Algorithm (the old header): a block takes 32 channels
// (lane = channel) and 8 warps x 8 tokens per 64-token chunk; per state index n each warp folds its tokens into
// (P = prod a, Q = P - 1, hl = state from zero), one shared-memory exchange and one barrier per n, each thread composes
// the warps' segments in order (compose(): H + (Q H + hl) where P >= 1/2) and rescans its tokens:
//   h_t = a_t h_{t-1} + u_t,  a_t = exp(delta_t A[d,n]),  u_t = delta_t B[t,n] x_t,  y_t = sum_n C[t,n] h_t + D x_t.
// The backward runs the adjoint lam_t = dy_t C_t + a_{t+1} lam_{t+1} the same way from the 64-token checkpoints and
// sums dB, dC over the 32 lanes by a shuffle butterfly per token. Not for production: optimized/ has the fast one.
#pragma once
#include <cuda_bf16.h>

#include <cstdint>
#include <limits>
#include <string>

#include <cuda_runtime.h>

#include "optimized/common/check.hpp"
#include "optimized/selective_scan/segment.hpp"
#include "optimized/selective_scan/variants.hpp"

namespace menagerie::test::scan_baseline {

using opt::selective_scan::scan::Inputs;
using opt::selective_scan::scan::Grads;
using opt::selective_scan::scan::kChannels;
using opt::selective_scan::scan::kChunk;
using opt::selective_scan::Decay;
using opt::selective_scan::decay;
using opt::selective_scan::segment_decay;
using opt::selective_scan::compose;

constexpr int kLanes = static_cast<int>(kChannels), kWarps = 8, kItems = 8, kThreads = kLanes * kWarps;
// kN: the old kernels' N <= 16, pinned here (scan.cu's kMaxN rose to 32 in 6b4cafa, which changed this copy's
// unrolling and shared memory and failed the bitwise comparison on the H100 in session 33).
constexpr int kC = static_cast<int>(kChunk), kN = 16, kReduceThreads = 256;
static_assert(kWarps * kItems == kC);

struct Shared {
  float Bs[kC][kN], Cs[kC][kN];           // the chunk's B and C
  float P[2][kWarps][kLanes];              // per warp segment: the decay product,
  float Q[2][kWarps][kLanes];              //   the same minus 1 (segment_decay),
  float H[2][kWarps][kLanes];              //   its state folded from zero,
  float M[2][kWarps][kLanes];              //   and (backward) its adjoint mu folded from zero
  float dB[kC][kN], dC[kC][kN];            // backward: the chunk's dB, dC summed over the block's channels
};

__device__ __forceinline__ float load(const float* p, std::int64_t i) { return __ldg(p + i); }
__device__ __forceinline__ float load(const __nv_bfloat16* p, std::int64_t i) { return __bfloat162float(p[i]); }
__device__ __forceinline__ void store(float* p, std::int64_t i, float x) { p[i] = x; }
__device__ __forceinline__ void store(__nv_bfloat16* p, std::int64_t i, float x) { p[i] = __float2bfloat16_rn(x); }

// r[i] = x[(t0 + i) D] for t0 + i < T and a valid channel, 0 otherwise (x offset to the thread's sequence and channel).
template <class S>
__device__ __forceinline__ void load_items(const S* __restrict__ x, std::int64_t t0, std::int64_t T, std::int64_t D,
                                           bool valid, float (&r)[kItems]) {
#pragma unroll
  for (int i = 0; i < kItems; ++i) r[i] = valid && t0 + i < T ? load(x, (t0 + i) * D) : 0.f;
}

// The chunk's B and C into shared memory, zero past T (so that padding tokens have u = 0 and contribute nothing).
template <class S>
__device__ __forceinline__ void load_bc(Shared& sh, const S* __restrict__ Bm, const S* __restrict__ Cm,
                                        std::int64_t b, std::int64_t t0, std::int64_t T, int N) {
  for (int idx = threadIdx.x; idx < kC * N; idx += kThreads) {
    const int r = idx / N, n = idx - r * N;
    const std::int64_t t = t0 + r;
    const std::int64_t g = (b * T + t) * N + n;
    sh.Bs[r][n] = t < T ? load(Bm, g) : 0.f;
    sh.Cs[r][n] = t < T ? load(Cm, g) : 0.f;
  }
}

// Butterfly sum over the warp's 32 lanes; every lane gets the same bits.
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

template <class S>
__global__ void __launch_bounds__(kThreads)
    forward_kernel(Inputs<S> in, S* __restrict__ y, float* __restrict__ state, std::int64_t T, std::int64_t D, int N,
                   std::int64_t nchunks) {
  __shared__ Shared sh;
  const int lane = threadIdx.x % kLanes, w = threadIdx.x / kLanes;
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * kLanes + lane, b = blockIdx.y;
  const bool valid = c < D;
  const std::int64_t off = b * T * D + c;
  float A[kN], carry[kN];
#pragma unroll
  for (int n = 0; n < kN; ++n) {
    A[n] = valid && n < N ? load(in.A, c * N + n) : 0.f;
    carry[n] = 0.f;
  }
  const float Dd = valid ? load(in.D, c) : 0.f;
  for (std::int64_t j = 0; j < nchunks; ++j) {
    const std::int64_t t0 = j * kC, tw = t0 + w * kItems;
    float xr[kItems], dr[kItems];
    load_items(in.x + off, tw, T, D, valid, xr);
    load_items(in.delta + off, tw, T, D, valid, dr);
    load_bc(sh, in.B, in.C, b, t0, T, N);
    if (w == 0 && valid) {
#pragma unroll
      for (int n = 0; n < kN; ++n)
        if (n < N) state[((b * nchunks + j) * N + n) * D + c] = carry[n];
    }
    __syncthreads();
    float du[kItems], yr[kItems];
#pragma unroll
    for (int i = 0; i < kItems; ++i) du[i] = dr[i] * xr[i], yr[i] = Dd * xr[i];
#pragma unroll
    for (int n = 0; n < kN; ++n) {
      if (n >= N) break;
      const int buf = n & 1;
      float a[kItems], u[kItems], P = 1.f, Q = 0.f, h = 0.f;
#pragma unroll
      for (int i = 0; i < kItems; ++i) {
        const Decay dk = decay(dr[i] * A[n]);
        a[i] = dk.a;
        u[i] = du[i] * sh.Bs[w * kItems + i][n];
        h = fmaf(a[i], h, u[i]);
        segment_decay(dk, P, Q);
      }
      sh.P[buf][w][lane] = P;
      sh.Q[buf][w][lane] = Q;
      sh.H[buf][w][lane] = h;
      __syncthreads();
      float H = carry[n], mine = 0.f;
#pragma unroll
      for (int v = 0; v < kWarps; ++v) {
        if (v == w) mine = H;
        H = compose(sh.P[buf][v][lane], sh.Q[buf][v][lane], H, sh.H[buf][v][lane]);
      }
      carry[n] = H;
      h = mine;
#pragma unroll
      for (int i = 0; i < kItems; ++i) {
        h = fmaf(a[i], h, u[i]);
        yr[i] = fmaf(sh.Cs[w * kItems + i][n], h, yr[i]);
      }
    }
    if (valid) {
#pragma unroll
      for (int i = 0; i < kItems; ++i)
        if (tw + i < T) store(y, off + (tw + i) * D, yr[i]);
    }
    __syncthreads();  // B, C and the exchange buffers are rewritten by the next chunk
  }
}

// Workspace: dBC [2, G, B, T, N] (G = gridDim.x channel blocks), dAp [B, D, N], dDp [B, D].
template <class S>
__global__ void __launch_bounds__(kThreads, 1)
    backward_kernel(Inputs<S> in, const float* __restrict__ state, const S* __restrict__ dy, S* __restrict__ dx,
                    S* __restrict__ ddelta, float* __restrict__ dBC,
                    float* __restrict__ dAp, float* __restrict__ dDp, std::int64_t Bn, std::int64_t T, std::int64_t D,
                    int N, std::int64_t nchunks) {
  __shared__ Shared sh;
  const int lane = threadIdx.x % kLanes, w = threadIdx.x / kLanes;
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * kLanes + lane, b = blockIdx.y;
  const std::int64_t G = gridDim.x;
  const bool valid = c < D;
  const std::int64_t off = b * T * D + c;
  float A[kN], rcarry[kN], dA[kN];
#pragma unroll
  for (int n = 0; n < kN; ++n) {
    A[n] = valid && n < N ? load(in.A, c * N + n) : 0.f;
    rcarry[n] = 0.f;
    dA[n] = 0.f;
  }
  const float Dd = valid ? load(in.D, c) : 0.f;
  float dD = 0.f;
  for (std::int64_t j = nchunks - 1; j >= 0; --j) {
    const std::int64_t t0 = j * kC, tw = t0 + w * kItems;
    float xr[kItems], dr[kItems], gr[kItems], hc[kN];
    load_items(in.x + off, tw, T, D, valid, xr);
    load_items(in.delta + off, tw, T, D, valid, dr);
    load_items(dy + off, tw, T, D, valid, gr);
#pragma unroll
    for (int n = 0; n < kN; ++n) hc[n] = valid && n < N ? state[((b * nchunks + j) * N + n) * D + c] : 0.f;
    load_bc(sh, in.B, in.C, b, t0, T, N);
    __syncthreads();
    float du[kItems], gx[kItems], gd[kItems];
#pragma unroll
    for (int i = 0; i < kItems; ++i) {
      du[i] = dr[i] * xr[i];
      gx[i] = Dd * gr[i];
      gd[i] = 0.f;
      dD = fmaf(gr[i], xr[i], dD);
    }
#pragma unroll
    for (int n = 0; n < kN; ++n) {
      if (n >= N) break;
      const int buf = n & 1;
      float a[kItems], u[kItems], g[kItems], hp[kItems], P = 1.f, Q = 0.f, h = 0.f, m = 0.f;
#pragma unroll
      for (int i = 0; i < kItems; ++i) {
        const Decay dk = decay(dr[i] * A[n]);
        a[i] = dk.a;
        u[i] = du[i] * sh.Bs[w * kItems + i][n];
        g[i] = gr[i] * sh.Cs[w * kItems + i][n];
        h = fmaf(a[i], h, u[i]);
        segment_decay(dk, P, Q);
      }
#pragma unroll
      for (int i = kItems - 1; i >= 0; --i) m = a[i] * (g[i] + m);
      sh.P[buf][w][lane] = P;
      sh.Q[buf][w][lane] = Q;
      sh.H[buf][w][lane] = h;
      sh.M[buf][w][lane] = m;
      __syncthreads();
      float H = hc[n], hmine = 0.f;
#pragma unroll
      for (int v = 0; v < kWarps; ++v) {
        if (v == w) hmine = H;
        H = compose(sh.P[buf][v][lane], sh.Q[buf][v][lane], H, sh.H[buf][v][lane]);
      }
      float Mu = rcarry[n], mmine = 0.f;
#pragma unroll
      for (int v = kWarps - 1; v >= 0; --v) {
        if (v == w) mmine = Mu;
        Mu = compose(sh.P[buf][v][lane], sh.Q[buf][v][lane], Mu, sh.M[buf][v][lane]);
      }
      rcarry[n] = Mu;
      h = hmine;
#pragma unroll
      for (int i = 0; i < kItems; ++i) {
        hp[i] = h;
        h = fmaf(a[i], h, u[i]);
      }
      m = mmine;
#pragma unroll
      for (int i = kItems - 1; i >= 0; --i) {
        const int r = w * kItems + i;
        const float Bv = sh.Bs[r][n];
        const float lam = g[i] + m;
        const float ah = a[i] * hp[i];
        const float ht = ah + u[i];
        gx[i] = fmaf(lam * dr[i], Bv, gx[i]);
        gd[i] = fmaf(lam, fmaf(A[n], ah, Bv * xr[i]), gd[i]);
        dA[n] = fmaf(lam * dr[i], ah, dA[n]);
        const float sB = warp_sum(lam * du[i]), sC = warp_sum(gr[i] * ht);
        if (lane == i) sh.dB[r][n] = sB, sh.dC[r][n] = sC;
        m = a[i] * lam;
      }
    }
    if (valid) {
#pragma unroll
      for (int i = 0; i < kItems; ++i)
        if (tw + i < T) {
          store(dx, off + (tw + i) * D, gx[i]);
          store(ddelta, off + (tw + i) * D, gd[i]);
        }
    }
    __syncthreads();
    float* pB = dBC + (blockIdx.x * Bn + b) * T * N;
    float* pC = dBC + ((G + blockIdx.x) * Bn + b) * T * N;
    for (int idx = threadIdx.x; idx < kC * N; idx += kThreads) {
      const int r = idx / N, n = idx - r * N;
      if (t0 + r < T) pB[(t0 + r) * N + n] = sh.dB[r][n], pC[(t0 + r) * N + n] = sh.dC[r][n];
    }
  }
  // dA and dD over the block's warps, in warp order, into the per-sequence partials.
  __syncthreads();
  float* red = &sh.Bs[0][0];  // kWarps x kLanes floats of scratch, reusing B's stage
#pragma unroll
  for (int n = 0; n <= kN; ++n) {
    if (n > N) break;
    const float mine = n < N ? dA[n] : dD;
    red[w * kLanes + lane] = mine;
    __syncthreads();
    if (w == 0 && valid) {
      float s = 0.f;
      for (int v = 0; v < kWarps; ++v) s += red[v * kLanes + lane];
      if (n < N)
        dAp[(b * D + c) * N + n] = s;
      else
        dDp[b * D + c] = s;
    }
    __syncthreads();
  }
}

// One thread per (b, t, n): dB and dC summed over the channel blocks in order.
template <class S>
__global__ void __launch_bounds__(kReduceThreads)
    bc_reduce_kernel(const float* __restrict__ dBC, S* __restrict__ dB, S* __restrict__ dC, std::int64_t G,
                     std::int64_t count) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * kReduceThreads + threadIdx.x;
  if (i >= count) return;
  float sb = 0.f, sc = 0.f;
  for (std::int64_t g = 0; g < G; ++g) {
    sb += dBC[g * count + i];
    sc += dBC[(G + g) * count + i];
  }
  store(dB, i, sb);
  store(dC, i, sc);
}

// One thread per (d, n) of dA and per d of dD: the per-sequence partials summed over b in order.
template <class S>
__global__ void __launch_bounds__(kReduceThreads)
    param_reduce_kernel(const float* __restrict__ dAp, const float* __restrict__ dDp, S* __restrict__ dA,
                        S* __restrict__ dD, std::int64_t Bn, std::int64_t D, int N) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * kReduceThreads + threadIdx.x;
  const std::int64_t DN = D * N;
  if (i < DN) {
    float s = 0.f;
    for (std::int64_t b = 0; b < Bn; ++b) s += dAp[b * DN + i];
    store(dA, i, s);
  } else if (i < DN + D) {
    const std::int64_t c = i - DN;
    float s = 0.f;
    for (std::int64_t b = 0; b < Bn; ++b) s += dDp[b * D + c];
    store(dD, c, s);
  }
}

inline dim3 baseline_grid(std::int64_t B, std::int64_t D) {
  return {static_cast<unsigned>((D + kLanes - 1) / kLanes), static_cast<unsigned>(B)};
}

inline unsigned baseline_blocks_for(std::int64_t count) {
  return static_cast<unsigned>((count + kReduceThreads - 1) / kReduceThreads);
}

// The launchers, as scan.cu's before the change (same grid, same workspace layout: the new kernel's sizes apply).
template <class S>
void forward(std::int64_t B, std::int64_t T, std::int64_t D, int N, const Inputs<S>& in, S* y, float* state) {
  const std::int64_t nchunks = (T + kC - 1) / kC;
  forward_kernel<S><<<baseline_grid(B, D), kThreads>>>(in, y, state, T, D, N, nchunks);
  MENAGERIE_LAUNCH_CHECK();
}

template <class S>
void backward(std::int64_t B, std::int64_t T, std::int64_t D, int N, const Inputs<S>& in, const float* state,
              const S* dy, const Grads<S>& out, float* workspace) {
  const std::int64_t nchunks = (T + kC - 1) / kC, G = (D + kLanes - 1) / kLanes, btn = B * T * N;
  float* dBC = workspace;
  float* dAp = dBC + 2 * G * btn;
  float* dDp = dAp + B * D * N;
  backward_kernel<S><<<baseline_grid(B, D), kThreads>>>(in, state, dy, out.x, out.delta, dBC, dAp, dDp, B, T, D, N,
                                                        nchunks);
  MENAGERIE_LAUNCH_CHECK();
  bc_reduce_kernel<S><<<baseline_blocks_for(btn), kReduceThreads>>>(dBC, out.B, out.C, G, btn);
  MENAGERIE_LAUNCH_CHECK();
  param_reduce_kernel<S><<<baseline_blocks_for(D * N + D), kReduceThreads>>>(dAp, dDp, out.A, out.D, B, D, N);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace menagerie::test::scan_baseline
