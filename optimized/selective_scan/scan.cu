// scan_fp32 / scan_bf16: Mamba's selective scan (core/ops/selective_scan.hpp) with fp32 arithmetic and state over the
// storage type S (float, or __nv_bfloat16 read into fp32 and rounded once on store; the checkpoints, partial sums and
// the carried state stay fp32). Per (b, d) and state index n the scan is
// the first-order linear recurrence h_t = a_t h_{t-1} + u_t with a_t = exp(delta_t A[d,n]), u_t = delta_t B[t,n] x_t,
// and y_t = sum_n C[t,n] h_t + D x_t.
//
// Layout: tensors are [B, T, D] with the channel innermost, so a block takes 32 neighbouring channels (lane = channel:
// each warp-wide load of one token is one coalesced 128-byte line) and splits time among its 8 warps instead: a chunk
// of kChunk = 64 tokens gives warp w the 8 tokens 8w..8w+7, held in registers. B and C of the chunk (64 x N, shared by
// every channel) are staged in shared memory. Grid (ceil(D / 32), B).
// Forward, per chunk and per n (N <= 32, unrolled to 16 or 32; A[c, n] and the carried states in shared memory, not registers):
//   1. each thread folds its 8 tokens from zero: P = prod a_t (the segment's decay), Q = P - 1 carried exactly as
//      Q <- Q + e + Q e with e = a_t - 1 = expm1(delta_t A), hl = its final state (segment_decay, compose: the
//      arithmetic of optimized/selective_scan/segment.hpp, which says why Q);
//   2. (P, Q, hl) of the 8 warps meet in shared memory (double-buffered by n, one barrier per n); warp w folds those
//      of warps 0..w-1 in order: H_w = P_{w-1} H_{w-1} + hl_{w-1} (compose(): H + (Q H + hl) where P >= 1/2), H_0 =
//      the carry from the previous chunk; warp 7 folds its own too and stores the result as the next chunk's carry
//      (shared memory, double-buffered by chunk);
//   3. each thread rescans its tokens from H_w: h = a h + u, y += C h.
//   One exp per (t, d, n), as in the sequential scan; the state before each chunk goes to the checkpoint buffer
//   state[b, chunk, n, d] (N floats per 64 tokens).
// Speed (docs/recurrent-kernels.md, "The selective scan's speed"): the kernels are bound by instruction issue, not
//   by memory, so the work per (t, d, n) is what was cut, every operation on every value kept as it was (the
//   results are bitwise those of the earlier kernels, verify/selective_scan_fast_gpu_test.cu; where the earlier
//   kernels' compiled code fused differently from this source, as for dC's h_t, lane_terms.hpp says so): expm1f as
//   decay_fast.cuh's expm1_half (its own code less the special cases that |x| < 1/2 cannot reach: 19 instructions,
//   not 29), each warp composing only the segments before it (3.6 compositions per thread and n on average, not 8; 7.1 in the
//   backward, not 16), dB and dC summed 16 at a time (31 shuffles per 8 tokens and n, not 80), one float4 per
//   segment exchanged and B, C staged transposed (a warp's 8 tokens of one n in two float4s), and A and the carries
//   in shared memory: 78 registers in the forward (3 blocks of 256 per SM, where 2 were: B 8, D 1536's 384 blocks in
//   one wave on 132 SMs, not two), 128 in the backward (2 blocks, where 1 was). These counts are kN = 16's; at kN = 32
//   the backward's 32 dA sums spill 176 bytes (ptxas -v), the forward stays at 78 registers.
// Backward (dy given), chunks from the last to the first, with the adjoint lam_t = dy_t C_t + a_{t+1} lam_{t+1}. Write
//   mu_t = a_t lam_t (what token t passes back to t-1): over a segment mu_first = P mu_in + ml, ml the segment's mu
//   from mu_in = 0, so the reverse recurrence splits among the warps exactly as the forward does, with the same P. Per
//   chunk and n: the forward states are recomputed from the chunk's checkpoint (h_{t-1} for every token), the
//   segments' (P, hl, ml) exchanged once (warp w composes the states of warps 0..w-1 onto the checkpoint and the
//   adjoints of warps 7..w+1 onto the carried one; warp 0 completes the carry for the previous chunk), then each
//   thread walks its tokens backwards:
//     dx_t += lam_t delta_t B[t,n];  ddelta_t += lam_t (A a_t h_{t-1} + B[t,n] x_t);  dA += lam_t delta_t a_t h_{t-1}
//     dB[t,n] += lam_t delta_t x_t;  dC[t,n] += dy_t h_t   (summed over the 32 lanes, warp_sum16 below; each rounding
//     of these terms written out as the old kernels' compiled code made it, h_t's included: lane_terms.hpp)
//   plus dx_t += D dy_t and dD += dy_t x_t. Nothing per step goes to HBM: the reads are x, delta, dy, B, C and the
//   checkpoints, the writes dx, ddelta and the partial sums.
// Determinism: no atomics. dB and dC are summed over channels: per block by the butterfly, then per-block partials
//   [channel_blocks, B, T, N] summed in block order by a second kernel; dA and dD are summed over (b, t): per thread
//   over its tokens, per block over the warps in order, then per-sequence partials summed over b in a fixed order
//   (optimized/common/column_sums.cuh: at B <= 8 the same bits as summing them in index order). Bitwise
//   reproducible.
#include <cuda_bf16.h>

#include <cstdint>
#include <limits>
#include <string>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/column_sums.cuh"
#include "optimized/common/dynamic_smem.hpp"
#include "optimized/selective_scan/decay_fast.cuh"
#include "optimized/selective_scan/lane_terms.hpp"
#include "optimized/selective_scan/segment.hpp"
#include "optimized/selective_scan/variants.hpp"

namespace menagerie::opt::selective_scan::scan {
namespace {

constexpr int kLanes = static_cast<int>(kChannels), kWarps = 8, kItems = 8, kThreads = kLanes * kWarps;
constexpr int kC = static_cast<int>(kChunk), kReduceThreads = 256;
static_assert(kWarps * kItems == kC);

// The kernels are compiled for kN = 16 (N <= 16: Mamba's and Zoology's state size) and kN = 32 (N <= 32, e.g. Based
// Fig. 2's Mamba at d_state 24); the loops over n stop at N.
// Forward: 22 KiB at kN = 16 (36 KiB at 32), three blocks per SM. A and the state carried between chunks
// (double-buffered by chunk: warp 7 writes the next chunk's while the others may still read this one's) live here
// rather than in registers, so that the kernel fits in 80 registers.
template <int kN>
struct FwdShared {
  alignas(16) float Bs[kN][kC];   // the chunk's B and C, transposed: a warp's 8 tokens of one n are two float4s
  alignas(16) float Cs[kN][kC];
  float4 seg[2][kWarps][kLanes];  // per warp segment (double-buffered by n): P the decay product, Q = P - 1
                                  // (segment_decay), H its state folded from zero; one 16-byte access each
  float A[kN][kLanes];            // A[c, n] of the block's channels
  float carry[2][kN][kLanes];     // the state before chunk j in carry[j & 1]
};

// Backward: 32 KiB at kN = 16 (56 KiB at 32: dynamic shared memory), two blocks per SM; as the forward, A, the
// chunk's checkpoint and the carried adjoint sit here.
template <int kN>
struct BwdShared {
  alignas(16) float Bs[kN][kC];
  alignas(16) float Cs[kN][kC];
  float4 seg[2][kWarps][kLanes];  // P, Q, H as the forward's, and M: the segment's adjoint mu folded from zero
  float dB[kC][kN], dC[kC][kN];   // the chunk's dB, dC summed over the block's channels
  float A[kN][kLanes];
  float hc[kN][kLanes];           // the chunk's checkpoint (the state before its first token)
  float rcarry[2][kN][kLanes];    // the adjoint mu carried into the previous chunk (warp 0 writes the other buffer)
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
template <class S, class Sh>
__device__ __forceinline__ void load_bc(Sh& sh, const S* __restrict__ Bm, const S* __restrict__ Cm,
                                        std::int64_t b, std::int64_t t0, std::int64_t T, int N) {
  for (int idx = threadIdx.x; idx < kC * N; idx += kThreads) {
    const int r = idx / N, n = idx - r * N;
    const std::int64_t t = t0 + r;
    const std::int64_t g = (b * T + t) * N + n;
    sh.Bs[n][r] = t < T ? load(Bm, g) : 0.f;
    sh.Cs[n][r] = t < T ? load(Cm, g) : 0.f;
  }
}

// The 8 values row[w * 8 .. w * 8 + 7] of a transposed B or C stage (the same for every lane: a broadcast).
__device__ __forceinline__ void load8(const float* row, float (&r)[kItems]) {
  const float4 lo = reinterpret_cast<const float4*>(row)[0], hi = reinterpret_cast<const float4*>(row)[1];
  r[0] = lo.x, r[1] = lo.y, r[2] = lo.z, r[3] = lo.w, r[4] = hi.x, r[5] = hi.y, r[6] = hi.z, r[7] = hi.w;
}

// Sixteen butterfly sums over the warp's 32 lanes at once (v[k], k = 0..15, summed over the lanes), each to the bits
// that the old per-value butterfly v += shfl_xor(v, o), o = 16, 8, 4, 2, 1 left in lanes 0..15. Step o = 16 is that
// butterfly's, on all 16 values: the values come rounded (mul_rn) and every addition is add_rn, as the old kernels'
// SASS had them (FMUL, then FADD: lane_terms.hpp); after it lanes 0..15 hold identical partial sums in both schemes.
// Then at o = 8, 4, 2, 1 a lane keeps the half of its sums chosen by its lane bit o and adds its partner's copy of
// that half: each addition is one of the butterfly's (the same two partial sums; fp32 addition commutes), so lane k
// of 0..15 ends with sum k, bit for bit what lane k had for it before. 31 shuffles instead of 80.
template <int O>
__device__ __forceinline__ void keep_half(float (&v)[16], int lane) {
  const bool hi = lane & O;
#pragma unroll
  for (int k = 0; k < O; ++k) {
    const float keep = hi ? v[k + O] : v[k], send = hi ? v[k] : v[k + O];
    v[k] = add_rn(keep, __shfl_xor_sync(0xffffffffu, send, O));
  }
}

__device__ __forceinline__ float warp_sum16(float (&v)[16], int lane) {
#pragma unroll
  for (int k = 0; k < 16; ++k) v[k] = add_rn(v[k], __shfl_xor_sync(0xffffffffu, v[k], 16));
  keep_half<8>(v, lane);
  keep_half<4>(v, lane);
  keep_half<2>(v, lane);
  keep_half<1>(v, lane);
  return v[0];  // sum lane % 16
}

template <class S, int kN>
__global__ void __launch_bounds__(kThreads, 3)
    forward_kernel(Inputs<S> in, S* __restrict__ y, float* __restrict__ state, std::int64_t T, std::int64_t D, int N,
                   std::int64_t nchunks) {
  __shared__ FwdShared<kN> sh;
  const int lane = threadIdx.x % kLanes, w = threadIdx.x / kLanes;
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * kLanes + lane, b = blockIdx.y;
  const bool valid = c < D;
  const std::int64_t off = b * T * D + c;
  for (int idx = threadIdx.x; idx < kN * kLanes; idx += kThreads) {
    const int n = idx / kLanes, l = idx % kLanes;
    const std::int64_t cl = static_cast<std::int64_t>(blockIdx.x) * kLanes + l;
    sh.A[n][l] = cl < D && n < N ? load(in.A, cl * N + n) : 0.f;
  }
  if (w == 0) {  // warp 0 alone reads carry[0] before the first barrier (the first checkpoint)
#pragma unroll
    for (int n = 0; n < kN; ++n) sh.carry[0][n][lane] = 0.f;
  }
  const float Dd = valid ? load(in.D, c) : 0.f;
  float* ck = state + b * nchunks * N * D + c;  // the checkpoint of chunk j, state n: ck[(j N + n) D]
  for (std::int64_t j = 0; j < nchunks; ++j) {
    const std::int64_t t0 = j * kC, tw = t0 + w * kItems;
    float xr[kItems], dr[kItems];
    load_items(in.x + off, tw, T, D, valid, xr);
    load_items(in.delta + off, tw, T, D, valid, dr);
    load_bc(sh, in.B, in.C, b, t0, T, N);
    if (w == 0 && valid) {
#pragma unroll
      for (int n = 0; n < kN; ++n)
        if (n < N) ck[(j * N + n) * D] = sh.carry[j & 1][n][lane];
    }
    __syncthreads();
    float du[kItems], yr[kItems];
#pragma unroll
    for (int i = 0; i < kItems; ++i) du[i] = dr[i] * xr[i], yr[i] = Dd * xr[i];
#pragma unroll
    for (int n = 0; n < kN; ++n) {
      if (n >= N) break;
      const int buf = n & 1;
      const float An = sh.A[n][lane];
      float a[kItems], u[kItems], bc[kItems], P = 1.f, Q = 0.f, h = 0.f;
      load8(&sh.Bs[n][w * kItems], bc);
#pragma unroll
      for (int i = 0; i < kItems; ++i) {
        const Decay dk = decay_fast(dr[i] * An);
        a[i] = dk.a;
        u[i] = du[i] * bc[i];
        h = fmaf(a[i], h, u[i]);
        segment_decay(dk, P, Q);
      }
      sh.seg[buf][w][lane] = make_float4(P, Q, h, 0.f);
      __syncthreads();
      // Warp w's incoming state is the carry composed with segments 0..w-1; warp 7 also composes its own for the
      // next chunk's carry (the old kernel had every warp compose all 8 in this order: the same values).
      h = sh.carry[j & 1][n][lane];
#pragma unroll
      for (int v = 0; v < kWarps - 1; ++v) {
        if (v >= w) break;
        const float4 sv = sh.seg[buf][v][lane];
        h = compose(sv.x, sv.y, h, sv.z);
      }
      if (w == kWarps - 1) {
        const float4 sw = sh.seg[buf][w][lane];
        sh.carry[(j + 1) & 1][n][lane] = compose(sw.x, sw.y, h, sw.z);
      }
      load8(&sh.Cs[n][w * kItems], bc);
#pragma unroll
      for (int i = 0; i < kItems; ++i) {
        h = fmaf(a[i], h, u[i]);
        yr[i] = fmaf(bc[i], h, yr[i]);
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
template <class S, int kN>
__global__ void __launch_bounds__(kThreads, 2)
    backward_kernel(Inputs<S> in, const float* __restrict__ state, const S* __restrict__ dy, S* __restrict__ dx,
                    S* __restrict__ ddelta, float* __restrict__ dBC,
                    float* __restrict__ dAp, float* __restrict__ dDp, std::int64_t Bn, std::int64_t T, std::int64_t D,
                    int N, std::int64_t nchunks) {
  extern __shared__ __align__(16) unsigned char smem[];
  BwdShared<kN>& sh = *reinterpret_cast<BwdShared<kN>*>(smem);
  const int lane = threadIdx.x % kLanes, w = threadIdx.x / kLanes;
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * kLanes + lane, b = blockIdx.y;
  const std::int64_t G = gridDim.x, c0 = static_cast<std::int64_t>(blockIdx.x) * kLanes;
  const bool valid = c < D;
  const std::int64_t off = b * T * D + c;
  for (int idx = threadIdx.x; idx < kN * kLanes; idx += kThreads) {
    const int n = idx / kLanes, l = idx % kLanes;
    sh.A[n][l] = c0 + l < D && n < N ? load(in.A, (c0 + l) * N + n) : 0.f;
  }
  float dA[kN];
#pragma unroll
  for (int n = 0; n < kN; ++n) dA[n] = 0.f;
  for (int idx = threadIdx.x; idx < kN * kLanes; idx += kThreads)
    sh.rcarry[nchunks & 1][idx / kLanes][idx % kLanes] = 0.f;
  const float Dd = valid ? load(in.D, c) : 0.f;
  float dD = 0.f;
  for (std::int64_t j = nchunks - 1; j >= 0; --j) {
    const std::int64_t t0 = j * kC, tw = t0 + w * kItems;
    float xr[kItems], dr[kItems], gr[kItems];
    load_items(in.x + off, tw, T, D, valid, xr);
    load_items(in.delta + off, tw, T, D, valid, dr);
    load_items(dy + off, tw, T, D, valid, gr);
    for (int idx = threadIdx.x; idx < kN * kLanes; idx += kThreads) {
      const int n = idx / kLanes, l = idx % kLanes;
      sh.hc[n][l] = c0 + l < D && n < N ? state[((b * nchunks + j) * N + n) * D + c0 + l] : 0.f;
    }
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
      const float An = sh.A[n][lane];
      float a[kItems], u[kItems], g[kItems], hp[kItems], bc[kItems], P = 1.f, Q = 0.f, h = 0.f, m = 0.f;
      load8(&sh.Bs[n][w * kItems], bc);
#pragma unroll
      for (int i = 0; i < kItems; ++i) u[i] = du[i] * bc[i];
      load8(&sh.Cs[n][w * kItems], bc);
#pragma unroll
      for (int i = 0; i < kItems; ++i) {
        const Decay dk = decay_fast(dr[i] * An);
        a[i] = dk.a;
        g[i] = gr[i] * bc[i];
        h = fmaf(a[i], h, u[i]);
        segment_decay(dk, P, Q);
      }
#pragma unroll
      for (int i = kItems - 1; i >= 0; --i) m = a[i] * (g[i] + m);
      sh.seg[buf][w][lane] = make_float4(P, Q, h, m);
      __syncthreads();
      // Warp w's incoming state: the checkpoint composed with segments 0..w-1; its incoming adjoint: the carried mu
      // composed with segments 7..w+1, and warp 0 composes segment 0 as well for the previous chunk's carry (the old
      // kernel had every warp compose all 8 both ways in these orders: the same values).
      h = sh.hc[n][lane];
#pragma unroll
      for (int v = 0; v < kWarps - 1; ++v) {
        if (v >= w) break;
        const float4 sv = sh.seg[buf][v][lane];
        h = compose(sv.x, sv.y, h, sv.z);
      }
      float mmine = sh.rcarry[(j + 1) & 1][n][lane];
#pragma unroll
      for (int v = kWarps - 1; v > 0; --v) {
        if (v <= w) break;
        const float4 sv = sh.seg[buf][v][lane];
        mmine = compose(sv.x, sv.y, mmine, sv.w);
      }
      if (w == 0) {
        const float4 s0 = sh.seg[buf][0][lane];
        sh.rcarry[j & 1][n][lane] = compose(s0.x, s0.y, mmine, s0.w);
      }
#pragma unroll
      for (int i = 0; i < kItems; ++i) {
        hp[i] = h;
        h = fmaf(a[i], h, u[i]);
      }
      m = mmine;
      float s[16];  // s[i]: token i's lam du (dB), s[8 + i]: its dy h (dC), before the sums over the lanes
#pragma unroll
      for (int i = kItems - 1; i >= 0; --i) {
        const int r = w * kItems + i;
        const float Bv = sh.Bs[n][r];
        const float lam = g[i] + m;
        const float ah = mul_rn(a[i], hp[i]);
        gx[i] = fmaf(lam * dr[i], Bv, gx[i]);
        gd[i] = fmaf(lam, fmaf(An, ah, Bv * xr[i]), gd[i]);
        dA[n] = fmaf(lam * dr[i], ah, dA[n]);
        s[i] = mul_rn(lam, du[i]);
        s[kItems + i] = mul_rn(gr[i], dc_state(n, i, ah, u[i], du[i], Bv));  // lane_terms.hpp: the old kernels' h_t
        m = a[i] * lam;
      }
      const float sum = warp_sum16(s, lane);
      if (lane < 16) (lane < kItems ? sh.dB : sh.dC)[w * kItems + (lane & (kItems - 1))][n] = sum;
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

// dA and dD: the per-sequence partials [B, D N] and [B, D] summed over b in a fixed order
// (optimized/common/column_sums.cuh), stored in the variant's dtype.
template <class S>
struct StoreAs {
  S* out;
  __device__ void operator()(std::int64_t i, float v) const { store(out, i, v); }
};

dim3 scan_grid(const Problem& p) { return {static_cast<unsigned>(channel_blocks(p)), static_cast<unsigned>(p.B)}; }

unsigned blocks_for(std::int64_t count) { return static_cast<unsigned>((count + kReduceThreads - 1) / kReduceThreads); }

void check_supported(const Problem& p) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.B < 1 || p.T < 1 || p.D < 1 || p.N < 1)
    return cat("selective_scan scan_fp32, scan_bf16: B, T, D, N = ", p.B, ", ", p.T, ", ", p.D, ", ", p.N,
               " unsupported (each must be >= 1)");
  if (p.N > kMaxN)
    return cat("selective_scan scan_fp32, scan_bf16: N = ", p.N, " unsupported (1 to ", kMaxN,
               ": the kernels unroll over n and size their shared memory for 16 or 32)");
  if (p.B > 65535) return cat("selective_scan scan_fp32, scan_bf16: B = ", p.B, " exceeds 65535 (one grid row per sequence)");
  if (channel_blocks(p) > std::numeric_limits<int>::max())
    return cat("selective_scan scan_fp32, scan_bf16: D = ", p.D, " exceeds ",
               std::int64_t{std::numeric_limits<int>::max()} * kChannels, " channels");
  return {};
}

std::int64_t chunks(const Problem& p) { return (p.T + kChunk - 1) / kChunk; }
std::int64_t channel_blocks(const Problem& p) { return (p.D + kChannels - 1) / kChannels; }

std::size_t state_bytes(const Problem& p) {
  return static_cast<std::size_t>(p.B * chunks(p) * p.N * p.D) * sizeof(float);
}

std::size_t workspace_bytes(const Problem& p) {
  return static_cast<std::size_t>(2 * channel_blocks(p) * p.B * p.T * p.N + p.B * p.D * p.N + p.B * p.D) *
         sizeof(float);
}

template <class S>
void forward(const Problem& p, const Inputs<S>& in, S* y, float* state, cudaStream_t s) {
  check_supported(p);
  const auto launch = [&](auto kernel) {
    kernel<<<scan_grid(p), kThreads, 0, s>>>(in, y, state, p.T, p.D, static_cast<int>(p.N), chunks(p));
  };
  if (p.N <= 16)
    launch(forward_kernel<S, 16>);
  else
    launch(forward_kernel<S, 32>);
  MENAGERIE_LAUNCH_CHECK();
}

template <class S>
void backward(const Problem& p, const Inputs<S>& in, const float* state, const S* dy, const Grads<S>& out,
              float* workspace, cudaStream_t s) {
  check_supported(p);
  const std::int64_t G = channel_blocks(p), btn = p.B * p.T * p.N;
  float* dBC = workspace;
  float* dAp = dBC + 2 * G * btn;
  float* dDp = dAp + p.B * p.D * p.N;
  const auto launch = [&]<int kN>() {
    constexpr std::size_t bytes = sizeof(BwdShared<kN>);
    cuda::allow_dynamic_smem(backward_kernel<S, kN>, bytes);
    backward_kernel<S, kN><<<scan_grid(p), kThreads, bytes, s>>>(in, state, dy, out.x, out.delta, dBC, dAp, dDp, p.B,
                                                                 p.T, p.D, static_cast<int>(p.N), chunks(p));
  };
  if (p.N <= 16)
    launch.template operator()<16>();
  else
    launch.template operator()<32>();
  MENAGERIE_LAUNCH_CHECK();
  bc_reduce_kernel<S><<<blocks_for(btn), kReduceThreads, 0, s>>>(dBC, out.B, out.C, G, btn);
  MENAGERIE_LAUNCH_CHECK();
  fixed_column_sums(dAp, p.B, p.D * p.N, StoreAs<S>{out.A}, s);
  fixed_column_sums(dDp, p.B, p.D, StoreAs<S>{out.D}, s);
}

template void forward<float>(const Problem&, const Inputs<float>&, float*, float*, cudaStream_t);
template void forward<__nv_bfloat16>(const Problem&, const Inputs<__nv_bfloat16>&, __nv_bfloat16*, float*,
                                     cudaStream_t);
template void backward<float>(const Problem&, const Inputs<float>&, const float*, const float*, const Grads<float>&,
                              float*, cudaStream_t);
template void backward<__nv_bfloat16>(const Problem&, const Inputs<__nv_bfloat16>&, const float*,
                                      const __nv_bfloat16*, const Grads<__nv_bfloat16>&, float*, cudaStream_t);

}  // namespace menagerie::opt::selective_scan::scan
