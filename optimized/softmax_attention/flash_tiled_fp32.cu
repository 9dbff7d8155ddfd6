// flash_tiled_fp32: causal (optionally sliding-window) softmax attention in exact fp32: FFMA on CUDA cores, no TF32,
// FlashAttention's tiling and online softmax, forward and backward. Any D, Dv <= 128 (tiles are zero-padded to
// 64 or 128 columns), any T >= 1.
//
// Forward, one CTA (256 threads as 16 x 16) per (64 queries, b, h); per tile of 64 keys, in log2 units
// (x = scale log2(e) q.k), each thread owning a 4 x 4 block of S and a 4 x (Dp / 16) block of O:
//   S = Q K^T;  m' = max(m, rowmax x);  P = exp2(x - m');  l = l exp2(m - m') + rowsum P;  O = O exp2(m - m') + P V
// then o = O / l, lse = ln(2) (m + log2 l), and the row statistics (m, log2 l) saved for the backward
// (saved_state.cuh). Every GEMM reads both operands as k-major shared tiles ([k][m], [k][n]),
// so each step is one broadcast float4 of A and one float4 of B for 16 FFMAs. Tiles outside the causal band or the
// window are skipped; those the band's edges cross are masked per element.
// Backward, one CTA per (64 keys, b, h), looping over tiles of 32 queries that see them:
//   S^T = K Q^T, P^T = exp2(log2_p) from the saved statistics;  dP^T = V dO^T;  dS^T = P^T (dP^T - Delta);  Delta_t = dO_t . o_t (pre-pass)
//   dV += P^T dO;  dK += scale dS^T Q;  dQ += scale dS K (fp32 atomics into dq, which is zeroed first)
// dK and dV are deterministic; dQ's summation order across key tiles is not.
#include <cmath>
#include <cstdint>
#include <string>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/dynamic_smem.hpp"
#include "optimized/softmax_attention/saved_state.cuh"
#include "optimized/softmax_attention/variants.hpp"

namespace menagerie::opt::softmax_attention::flash_fp32 {
namespace {

constexpr int kThreads = 256;
constexpr float kLog2e = 1.4426950408889634f;

template <int N>
struct Vec;
template <>
struct Vec<2> {
  __device__ static void load(float (&x)[2], const float* p) {
    const float2 v = *reinterpret_cast<const float2*>(p);
    x[0] = v.x, x[1] = v.y;
  }
};
template <>
struct Vec<4> {
  __device__ static void load(float (&x)[4], const float* p) {
    const float4 v = *reinterpret_cast<const float4*>(p);
    x[0] = v.x, x[1] = v.y, x[2] = v.z, x[3] = v.w;
  }
};

// acc[i][v * VW + j] += sum_{k < K} AT[k][m0 + i] B[k][n0 + v * 16 VW + j]  (shared, k-major, pitches lda / ldb).
template <int RM, int VW, int NV, int K>
__device__ __forceinline__ void mm(float (&acc)[RM][VW * NV], const float* AT, int lda, int m0, const float* B, int ldb,
                                   int n0) {
#pragma unroll 4
  for (int k = 0; k < K; ++k) {
    float a[RM], b[NV][VW];
    Vec<RM>::load(a, AT + k * lda + m0);
#pragma unroll
    for (int v = 0; v < NV; ++v) Vec<VW>::load(b[v], B + k * ldb + n0 + v * 16 * VW);
#pragma unroll
    for (int i = 0; i < RM; ++i)
#pragma unroll
      for (int v = 0; v < NV; ++v)
#pragma unroll
        for (int j = 0; j < VW; ++j) acc[i][v * VW + j] = fmaf(a[i], b[v][j], acc[i][v * VW + j]);
  }
}

// ROWS x DP tile from global rows `stride` apart: natural copy nat[r][d] and/or transposed tr[d][r]; rows >= valid
// and columns >= D are zero.
template <int ROWS, int DP>
__device__ __forceinline__ void load_rows(float* nat, int ldn, float* tr, int ldt, const float* __restrict__ g,
                                          std::int64_t stride, int valid, int D) {
  for (int i = threadIdx.x; i < ROWS * DP; i += kThreads) {
    const int r = i / DP, d = i % DP;
    const float x = r < valid && d < D ? g[r * stride + d] : 0.f;
    if (nat) nat[r * ldn + d] = x;
    if (tr) tr[d * ldt + r] = x;
  }
}

template <class T>
__device__ __forceinline__ void zero(T& a) {
  float* p = &a[0][0];
#pragma unroll
  for (int i = 0; i < static_cast<int>(sizeof(T) / sizeof(float)); ++i) p[i] = 0.f;
}

template <int DP>
__global__ void __launch_bounds__(kThreads)
    forward_kernel(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
                   float* __restrict__ o, float* __restrict__ lse, float2* __restrict__ stats, int T, int H, int D,
                   int Dv, int window, float scale_log2) {
  constexpr int BM = 64, BN = 64, NV = DP / 64, LM = BM + 4, LD = DP + 4;
  extern __shared__ __align__(16) float smem[];
  float* sQT = smem;            // [DP][LM]
  float* sKT = sQT + DP * LM;   // [DP][LM]
  float* sV = sKT + DP * LM;    // [BN][LD]
  float* sPT = sV + BN * LD;    // [BN][LM]

  const int qb = static_cast<int>(gridDim.x) - 1 - static_cast<int>(blockIdx.x);
  const int bh = blockIdx.y, b = bh / H, h = bh % H;
  const std::int64_t qs = static_cast<std::int64_t>(H) * D, vs = static_cast<std::int64_t>(H) * Dv;
  const std::int64_t qbase = (static_cast<std::int64_t>(b) * T * H + h) * D;
  const std::int64_t vbase = (static_cast<std::int64_t>(b) * T * H + h) * Dv;
  const int q0 = qb * BM, q_last = min(q0 + BM, T) - 1;
  const int kb_lo = window < 0 ? 0 : max(0, q0 - window) / BN, kb_hi = q_last / BN;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;

  load_rows<BM, DP>(nullptr, 0, sQT, LM, q + qbase + q0 * qs, qs, T - q0, D);
  float acc[4][4 * NV];
  zero(acc);
  float m[4], l[4];
#pragma unroll
  for (int i = 0; i < 4; ++i) m[i] = -INFINITY, l[i] = 0.f;

  for (int kb = kb_lo; kb <= kb_hi; ++kb) {
    const int k0 = kb * BN;
    __syncthreads();  // the previous tile's sKT, sV and sPT are no longer read
    load_rows<BN, DP>(nullptr, 0, sKT, LM, k + qbase + k0 * qs, qs, T - k0, D);
    load_rows<BN, DP>(sV, LD, nullptr, 0, v + vbase + k0 * vs, vs, T - k0, Dv);
    __syncthreads();

    float s[4][4];
    zero(s);
    mm<4, 4, 1, DP>(s, sQT, LM, ty * 4, sKT, LM, tx * 4);
    const bool need_mask = k0 + BN - 1 > q0 || (window >= 0 && k0 < q_last - window);
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int t = q0 + ty * 4 + i;
      float mx = -INFINITY;
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int key = k0 + tx * 4 + j;
        if (need_mask && !(key <= t && key < T && (window < 0 || key >= t - window))) s[i][j] = -INFINITY;
        mx = fmaxf(mx, s[i][j]);
      }
#pragma unroll
      for (int off = 1; off < 16; off <<= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, off));
      const float m_new = fmaxf(m[i], mx * scale_log2);
      const float m_use = m_new == -INFINITY ? 0.f : m_new;
      const float alpha = exp2f(m[i] - m_use);
      float sum = 0.f;
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const float p = exp2f(fmaf(s[i][j], scale_log2, -m_use));
        sPT[(tx * 4 + j) * LM + ty * 4 + i] = p;
        sum += p;
      }
      l[i] = l[i] * alpha + sum;
      m[i] = m_new;
#pragma unroll
      for (int j = 0; j < 4 * NV; ++j) acc[i][j] *= alpha;
    }
    __syncthreads();
    mm<4, 4, NV, BN>(acc, sPT, LM, ty * 4, sV, LD, tx * 4);
  }

#pragma unroll
  for (int i = 0; i < 4; ++i) {
    float sum = l[i];
#pragma unroll
    for (int off = 1; off < 16; off <<= 1) sum += __shfl_xor_sync(0xffffffffu, sum, off);
    const int t = q0 + ty * 4 + i;
    if (t >= T) continue;
    const float inv = 1.f / sum;
#pragma unroll
    for (int vv = 0; vv < NV; ++vv)
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int col = vv * 64 + tx * 4 + j;
        if (col < Dv) o[vbase + t * vs + col] = acc[i][vv * 4 + j] * inv;
      }
    if (tx == 0) store_row_stats(lse, stats, static_cast<std::int64_t>(bh) * T + t, m[i], sum);
  }
}

// Delta[b, h, t] = sum_d dO[b, t, h, d] o[b, t, h, d]; one warp per (b, t, h) row.
__global__ void delta_kernel(const float* __restrict__ o, const float* __restrict__ dO, float* __restrict__ delta,
                             int T, int H, int Dv, std::int64_t rows) {
  const std::int64_t r = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x % 32;
  if (r >= rows) return;
  float s = 0.f;
  for (int d = lane; d < Dv; d += 32) s = fmaf(o[r * Dv + d], dO[r * Dv + d], s);
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) s += __shfl_xor_sync(0xffffffffu, s, off);
  const std::int64_t bt = r / H, h = r % H, b = bt / T, t = bt % T;
  if (lane == 0) delta[(b * H + h) * T + t] = s;
}

template <int DP>
__global__ void __launch_bounds__(kThreads)
    backward_kernel(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
                    const float* __restrict__ dO, const float2* __restrict__ stats, const float* __restrict__ delta,
                    float* __restrict__ dq, float* __restrict__ dk, float* __restrict__ dv, int T, int H, int D, int Dv,
                    int window, float scale, float scale_log2) {
  constexpr int BM = 32, BN = 64, NV = DP / 64, LN = BN + 4, LM = BM + 4, LD = DP + 4;
  extern __shared__ __align__(16) float smem[];
  float* sKT = smem;             // [DP][LN]
  float* sK = sKT + DP * LN;     // [BN][LD]
  float* sVT = sK + BN * LD;     // [DP][LN]
  float* sQT = sVT + DP * LN;    // [DP][LM]
  float* sQ = sQT + DP * LM;     // [BM][LD]
  float* sdOT = sQ + BM * LD;    // [DP][LM]
  float* sdO = sdOT + DP * LM;   // [BM][LD]
  float* sP = sdO + BM * LD;     // [BM][LN]  P[q][key]
  float* sdS = sP + BM * LN;     // [BM][LN]  dS[q][key]
  float* sdST = sdS + BM * LN;   // [BN][LM]  dS^T[key][q]
  float* sD = sdST + BN * LM;    // [BM]
  float2* sL = reinterpret_cast<float2*>(sD + BM);  // [BM]

  const int kb = blockIdx.x, bh = blockIdx.y, b = bh / H, h = bh % H;
  const std::int64_t qs = static_cast<std::int64_t>(H) * D, vs = static_cast<std::int64_t>(H) * Dv;
  const std::int64_t qbase = (static_cast<std::int64_t>(b) * T * H + h) * D;
  const std::int64_t vbase = (static_cast<std::int64_t>(b) * T * H + h) * Dv;
  const int k0 = kb * BN, k_last = min(k0 + BN, T) - 1;
  const int qb_lo = k0 / BM, qb_hi = (window < 0 ? T - 1 : min(T - 1, k_last + window)) / BM;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;

  load_rows<BN, DP>(sK, LD, sKT, LN, k + qbase + k0 * qs, qs, T - k0, D);
  load_rows<BN, DP>(nullptr, 0, sVT, LN, v + vbase + k0 * vs, vs, T - k0, Dv);
  float dk_acc[4][4 * NV], dv_acc[4][4 * NV];
  zero(dk_acc);
  zero(dv_acc);

  for (int qb = qb_lo; qb <= qb_hi; ++qb) {
    const int q0 = qb * BM;
    __syncthreads();
    load_rows<BM, DP>(sQ, LD, sQT, LM, q + qbase + q0 * qs, qs, T - q0, D);
    load_rows<BM, DP>(sdO, LD, sdOT, LM, dO + vbase + q0 * vs, vs, T - q0, Dv);
    for (int i = threadIdx.x; i < BM; i += kThreads) {
      const bool ok = q0 + i < T;
      sL[i] = ok ? stats[static_cast<std::int64_t>(bh) * T + q0 + i] : make_float2(0.f, 0.f);
      sD[i] = ok ? delta[static_cast<std::int64_t>(bh) * T + q0 + i] : 0.f;
    }
    __syncthreads();

    float st[4][2], dpt[4][2];
    zero(st);
    zero(dpt);
    mm<4, 2, 1, DP>(st, sKT, LN, ty * 4, sQT, LM, tx * 2);
    mm<4, 2, 1, DP>(dpt, sVT, LN, ty * 4, sdOT, LM, tx * 2);
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        const int kr = ty * 4 + i, qc = tx * 2 + j, s = k0 + kr, t = q0 + qc;
        const bool ok = t < T && s <= t && (window < 0 || s >= t - window);
        const float p = ok ? exp2f(log2_p(st[i][j], scale_log2, sL[qc])) : 0.f;
        const float ds = p * (dpt[i][j] - sD[qc]);
        sP[qc * LN + kr] = p;
        sdS[qc * LN + kr] = ds;
        sdST[kr * LM + qc] = ds;
      }
    __syncthreads();
    mm<4, 4, NV, BM>(dv_acc, sP, LN, ty * 4, sdO, LD, tx * 4);
    mm<4, 4, NV, BM>(dk_acc, sdS, LN, ty * 4, sQ, LD, tx * 4);
    float dq_acc[2][4 * NV];
    zero(dq_acc);
    mm<2, 4, NV, BN>(dq_acc, sdST, LM, ty * 2, sK, LD, tx * 4);
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const int t = q0 + ty * 2 + i;
      if (t >= T) continue;
#pragma unroll
      for (int vv = 0; vv < NV; ++vv)
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          const int col = vv * 64 + tx * 4 + j;
          if (col < D) atomicAdd(dq + qbase + t * qs + col, dq_acc[i][vv * 4 + j] * scale);
        }
    }
  }

#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int s = k0 + ty * 4 + i;
    if (s >= T) continue;
#pragma unroll
    for (int vv = 0; vv < NV; ++vv)
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int col = vv * 64 + tx * 4 + j;
        if (col < D) dk[qbase + s * qs + col] = dk_acc[i][vv * 4 + j] * scale;
        if (col < Dv) dv[vbase + s * vs + col] = dv_acc[i][vv * 4 + j];
      }
  }
}

template <int DP>
constexpr std::size_t forward_smem() {
  return sizeof(float) * static_cast<std::size_t>(2 * DP * 68 + 64 * (DP + 4) + 64 * 68);
}
template <int DP>
constexpr std::size_t backward_smem() {
  return sizeof(float) * static_cast<std::size_t>(2 * DP * 68 + 64 * (DP + 4) + 2 * DP * 36 + 2 * 32 * (DP + 4) +
                                                  2 * 32 * 68 + 64 * 36 + 3 * 32);
}

template <int DP>
void launch_forward(const Problem& p, const ForwardArgs& a, cudaStream_t stream) {
  constexpr std::size_t smem = forward_smem<DP>();
  cuda::allow_dynamic_smem(forward_kernel<DP>, smem);
  const dim3 grid(static_cast<unsigned>((p.T + 63) / 64), static_cast<unsigned>(p.B * p.H));
  forward_kernel<DP><<<grid, kThreads, smem, stream>>>(
      static_cast<const float*>(a.q), static_cast<const float*>(a.k), static_cast<const float*>(a.v),
      static_cast<float*>(a.o), a.lse, static_cast<float2*>(a.saved), static_cast<int>(p.T), static_cast<int>(p.H), static_cast<int>(p.D),
      static_cast<int>(p.Dv), static_cast<int>(p.window), static_cast<float>(p.softmax_scale()) * kLog2e);
  MENAGERIE_LAUNCH_CHECK();
}

template <int DP>
void launch_backward(const Problem& p, const BackwardArgs& a, cudaStream_t stream) {
  const std::int64_t rows = p.B * p.T * p.H;
  float* delta = static_cast<float*>(a.workspace);
  MENAGERIE_CUDA_CHECK(cudaMemsetAsync(a.dq, 0, static_cast<std::size_t>(rows * p.D) * sizeof(float), stream));
  delta_kernel<<<static_cast<unsigned>((rows * 32 + 255) / 256), 256, 0, stream>>>(
      static_cast<const float*>(a.o), static_cast<const float*>(a.dO), delta, static_cast<int>(p.T),
      static_cast<int>(p.H), static_cast<int>(p.Dv), rows);
  MENAGERIE_LAUNCH_CHECK();
  constexpr std::size_t smem = backward_smem<DP>();
  cuda::allow_dynamic_smem(backward_kernel<DP>, smem);
  const dim3 grid(static_cast<unsigned>((p.T + 63) / 64), static_cast<unsigned>(p.B * p.H));
  const float scale = static_cast<float>(p.softmax_scale());
  backward_kernel<DP><<<grid, kThreads, smem, stream>>>(
      static_cast<const float*>(a.q), static_cast<const float*>(a.k), static_cast<const float*>(a.v),
      static_cast<const float*>(a.dO), static_cast<const float2*>(a.saved), delta, static_cast<float*>(a.dq), static_cast<float*>(a.dk),
      static_cast<float*>(a.dv), static_cast<int>(p.T), static_cast<int>(p.H), static_cast<int>(p.D),
      static_cast<int>(p.Dv), static_cast<int>(p.window), scale, scale * kLog2e);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.D > 128 || p.Dv > 128)
    return cat("flash_tiled_fp32: D = ", p.D, ", Dv = ", p.Dv, " unsupported (needs D, Dv <= 128)");
  if (p.B * p.H > 65535) return cat("flash_tiled_fp32: B * H = ", p.B * p.H, " exceeds 65535");
  if (p.T > (std::int64_t{1} << 24)) return cat("flash_tiled_fp32: T = ", p.T, " exceeds 2^24");
  return {};
}

std::size_t saved_bytes(const Problem& p) { return row_stats_bytes(p); }

std::size_t backward_workspace_bytes(const Problem& p) {
  return static_cast<std::size_t>(p.B * p.T * p.H) * sizeof(float);
}

void forward(const Problem& p, const ForwardArgs& a, cudaStream_t stream) {
  p.validate();
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  if (p.D <= 64 && p.Dv <= 64)
    launch_forward<64>(p, a, stream);
  else
    launch_forward<128>(p, a, stream);
}

void backward(const Problem& p, const BackwardArgs& a, cudaStream_t stream) {
  p.validate();
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  if (p.D <= 64 && p.Dv <= 64)
    launch_backward<64>(p, a, stream);
  else
    launch_backward<128>(p, a, stream);
}

}  // namespace menagerie::opt::softmax_attention::flash_fp32
