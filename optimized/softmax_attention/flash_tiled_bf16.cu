// flash_tiled_bf16: causal (optionally sliding-window) softmax attention, FlashAttention-2's algorithm on bf16
// tensor cores (mma.sync m16n8k16, fp32 accumulation), forward and backward. D == Dv in {64, 128}, any T >= 1.
//
// Forward, one CTA per (block of BM = 128 queries, b, h), 4 warps of 32 query rows (two m16 tiles, so every K and
// V fragment read from shared memory feeds two MMAs). Q's fragments stay in registers at D = 64 and are re-read
// from shared memory at D = 128 (registers); key/value tiles of BN = 64 rows are double-buffered in shared memory
// with cp.async, so the next tile loads while this one is used. Per tile, in log2 units (x = scale log2(e) q.k),
// with the online softmax of online_softmax.cuh:
//   S = Q K^T;  m' = max(m, rowmax x);  P = exp2(x - m');  l = l exp2(m - m') + rowsum P;  O = O exp2(m - m') + P V
// and at the end o = O / l, lse = ln(2) (m + log2 l). Tiles wholly outside the causal band (and, with a window w,
// wholly before t - w) are never visited; tiles the band's edges cross are masked per element (-inf). Nothing
// T x T reaches HBM. Saved for the backward (saved_bytes): the row statistics (m, log2 l) and o's rounding
// residual o_lo of saved_state.cuh.
// Backward, one CTA per (block of BN = 64 keys, b, h), 4 warps of 16 key rows; loops over the query tiles that see
// those keys (double-buffered Q, dO), recomputing P^T from the saved row statistics:
//   dV += P^T dO;  dP^T = V dO^T;  dS^T = P^T (dP^T - Delta)  (Delta_t = dO_t . (o + o_lo)_t, a pre-pass;
//   saved_state.cuh says why o_lo);
//   dK += scale dS^T Q;  dQ += scale dS K  (dS^T through shared memory; dQ accumulated in fp32 with atomics in the
//   workspace, then rounded to bf16 by a last pass). dK and dV are deterministic; dQ's sum order is not.
#include <cmath>
#include <cstdint>
#include <string>

#include <cuda_bf16.h>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/dynamic_smem.hpp"
#include "optimized/softmax_attention/mma_sm80.cuh"
#include "optimized/softmax_attention/online_softmax.cuh"
#include "optimized/softmax_attention/saved_state.cuh"
#include "optimized/softmax_attention/variants.hpp"

namespace menagerie::opt::softmax_attention::flash_bf16 {
namespace {

using bf16 = __nv_bfloat16;
using namespace attention_mma;

constexpr int kFwdWarps = 4, kFwdMT = 2, kFwdBM = kFwdWarps * 16 * kFwdMT, kFwdBN = 64;
constexpr int kBwdWarps = 4, kBwdBN = kBwdWarps * 16;
constexpr float kLog2e = 1.4426950408889634f;

template <int D>
constexpr int bwd_bm() {
  return D <= 64 ? 64 : 32;
}

template <int D>
__global__ void __launch_bounds__(kFwdWarps * 32)
    forward_kernel(const bf16* __restrict__ q, const bf16* __restrict__ k, const bf16* __restrict__ v,
                   bf16* __restrict__ o, float* __restrict__ lse, float2* __restrict__ stats, bf16* __restrict__ o_lo,
                   int T, int H, int window, float scale_log2) {
  constexpr int BM = kFwdBM, BN = kFwdBN, MT = kFwdMT, P = D + 8, kThreads = kFwdWarps * 32;
  constexpr bool kQInRegs = D <= 64;  // hd 128 re-reads Q's fragments from shared memory to stay within registers
  extern __shared__ __align__(16) unsigned char smem_raw[];
  bf16* sQ = reinterpret_cast<bf16*>(smem_raw);  // [BM][P]
  bf16* sK = sQ + BM * P;                         // [2][BN][P]
  bf16* sV = sK + 2 * BN * P;                     // [2][BN][P]

  const int qb = static_cast<int>(gridDim.x) - 1 - static_cast<int>(blockIdx.x);  // long rows first
  const int bh = blockIdx.y, b = bh / H, h = bh % H;
  const std::int64_t stride = static_cast<std::int64_t>(H) * D;
  const std::int64_t base = (static_cast<std::int64_t>(b) * T * H + h) * D;
  const int q0 = qb * BM, q_last = min(q0 + BM, T) - 1;
  const int kb_lo = window < 0 ? 0 : max(0, q0 - window) / BN, kb_hi = q_last / BN;

  load_tile_async<BM, D, kThreads>(sQ, q + base + q0 * stride, stride, T - q0);
  load_tile_async<BN, D, kThreads>(sK, k + base + kb_lo * BN * stride, stride, T - kb_lo * BN);
  load_tile_async<BN, D, kThreads>(sV, v + base + kb_lo * BN * stride, stride, T - kb_lo * BN);
  cp_async_commit();

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane >> 2, c = lane & 3;
  const int wrow = warp * 16 * MT;  // this warp's first row in the tile; m-tile mt covers wrow + 16 mt ..
  const int qoff = (wrow + (lane % 8) + ((lane / 8) % 2) * 8) * P + (lane / 16) * 8;
  std::uint32_t qf[kQInRegs ? MT : 1][kQInRegs ? D / 16 : 1][4];
  float acc[MT][D / 8][4];
  float m[MT][2], l[MT][2];
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int i = 0; i < D / 8; ++i) acc[mt][i][0] = acc[mt][i][1] = acc[mt][i][2] = acc[mt][i][3] = 0.f;
    m[mt][0] = m[mt][1] = -INFINITY;
    l[mt][0] = l[mt][1] = 0.f;
  }

  for (int kb = kb_lo; kb <= kb_hi; ++kb) {
    const int buf = (kb - kb_lo) & 1;
    cp_async_wait<0>();
    __syncthreads();
    if constexpr (kQInRegs) {
      if (kb == kb_lo) {
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
#pragma unroll
          for (int kk = 0; kk < D / 16; ++kk) ldmatrix_x4(qf[mt][kk], sQ + qoff + mt * 16 * P + kk * 16);
      }
    }
    if (kb < kb_hi) {
      const int n0 = (kb + 1) * BN;
      load_tile_async<BN, D, kThreads>(sK + (buf ^ 1) * BN * P, k + base + n0 * stride, stride, T - n0);
      load_tile_async<BN, D, kThreads>(sV + (buf ^ 1) * BN * P, v + base + n0 * stride, stride, T - n0);
      cp_async_commit();
    }
    const bf16* sKb = sK + buf * BN * P;
    const bf16* sVb = sV + buf * BN * P;

    float s[MT][BN / 8][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
      for (int i = 0; i < BN / 8; ++i) s[mt][i][0] = s[mt][i][1] = s[mt][i][2] = s[mt][i][3] = 0.f;
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      std::uint32_t a[MT][4];
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        if constexpr (kQInRegs) {
#pragma unroll
          for (int e = 0; e < 4; ++e) a[mt][e] = qf[mt][kk][e];
        } else {
          ldmatrix_x4(a[mt], sQ + qoff + mt * 16 * P + kk * 16);
        }
      }
#pragma unroll
      for (int np = 0; np < BN / 16; ++np) {
        std::uint32_t r[4];
        ldmatrix_x4(r, sKb + (np * 16 + (lane % 8) + (lane / 16) * 8) * P + kk * 16 + ((lane / 8) % 2) * 8);
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          mma_bf16_16816(s[mt][2 * np], a[mt], r[0], r[1]);
          mma_bf16_16816(s[mt][2 * np + 1], a[mt], r[2], r[3]);
        }
      }
    }

    const int k0 = kb * BN;
    const bool need_mask = k0 + BN - 1 > q0 || (window >= 0 && k0 < q_last - window);
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
      float alpha[2];
      softmax_tile<BN / 8>(s[mt], m[mt], l[mt], alpha, need_mask, k0, q0 + wrow + mt * 16 + g, c, T, window,
                           scale_log2);
      rescale<D / 8>(acc[mt], alpha);
    }

#pragma unroll
    for (int kk = 0; kk < BN / 16; ++kk) {
      std::uint32_t a[MT][4];
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        a[mt][0] = pack_bf16(s[mt][2 * kk][0], s[mt][2 * kk][1]);
        a[mt][1] = pack_bf16(s[mt][2 * kk][2], s[mt][2 * kk][3]);
        a[mt][2] = pack_bf16(s[mt][2 * kk + 1][0], s[mt][2 * kk + 1][1]);
        a[mt][3] = pack_bf16(s[mt][2 * kk + 1][2], s[mt][2 * kk + 1][3]);
      }
#pragma unroll
      for (int dp = 0; dp < D / 16; ++dp) {
        std::uint32_t r[4];
        ldmatrix_x4_trans(r, sVb + (kk * 16 + (lane % 8) + ((lane / 8) % 2) * 8) * P + dp * 16 + (lane / 16) * 8);
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          mma_bf16_16816(acc[mt][2 * dp], a[mt], r[0], r[1]);
          mma_bf16_16816(acc[mt][2 * dp + 1], a[mt], r[2], r[3]);
        }
      }
    }
  }

#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float sum = l[mt][r];
      sum += __shfl_xor_sync(0xffffffffu, sum, 1);
      sum += __shfl_xor_sync(0xffffffffu, sum, 2);
      const int t = q0 + wrow + mt * 16 + g + r * 8;
      if (t >= T) continue;
      const float inv = 1.f / sum;  // sum >= 1: the diagonal key is always visible
#pragma unroll
      for (int dt = 0; dt < D / 8; ++dt)
        store_o_pair(o, o_lo, base + t * stride + dt * 8 + 2 * c, acc[mt][dt][2 * r] * inv,
                     acc[mt][dt][2 * r + 1] * inv);
      if (c == 0) store_row_stats(lse, stats, static_cast<std::int64_t>(bh) * T + t, m[mt][r], sum);
    }
}

// Delta[b, h, t] = sum_d dO[b, t, h, d] (o_hi + o_lo)[b, t, h, d]; one warp per (b, t, h) row.
template <int D>
__global__ void delta_kernel(const bf16* __restrict__ o, const bf16* __restrict__ o_lo, const bf16* __restrict__ dO,
                             float* __restrict__ delta, int T, int H, std::int64_t rows) {
  const std::int64_t r = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x % 32;
  if (r >= rows) return;
  float s = 0.f;
  for (int d = lane; d < D; d += 32)
    s = fmaf(__bfloat162float(o[r * D + d]) + __bfloat162float(o_lo[r * D + d]), __bfloat162float(dO[r * D + d]), s);
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) s += __shfl_xor_sync(0xffffffffu, s, off);
  const std::int64_t bt = r / H, h = r % H, b = bt / T, t = bt % T;
  if (lane == 0) delta[(b * H + h) * T + t] = s;
}

__global__ void round_dq_kernel(const float* __restrict__ acc, bf16* __restrict__ dq, std::int64_t n, float scale) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) dq[i] = __float2bfloat16_rn(acc[i] * scale);
}

template <int D>
__global__ void __launch_bounds__(kBwdWarps * 32)
    backward_kernel(const bf16* __restrict__ q, const bf16* __restrict__ k, const bf16* __restrict__ v,
                    const bf16* __restrict__ dO, const float2* __restrict__ stats, const float* __restrict__ delta,
                    float* __restrict__ dq_acc, bf16* __restrict__ dk, bf16* __restrict__ dv, int T, int H,
                    int window, float scale, float scale_log2) {
  constexpr int BM = bwd_bm<D>(), BN = kBwdBN, P = D + 8, PS = BM + 8, kThreads = kBwdWarps * 32;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  bf16* sK = reinterpret_cast<bf16*>(smem_raw);  // [BN][P]
  bf16* sV = sK + BN * P;                         // [BN][P]
  bf16* sQ = sV + BN * P;                         // [2][BM][P]
  bf16* sdO = sQ + 2 * BM * P;                    // [2][BM][P]
  bf16* sdS = sdO + 2 * BM * P;                   // [BN][PS]  dS^T
  float2* sL = reinterpret_cast<float2*>(sdS + BN * PS);  // [2][BM]  row statistics
  float* sD = reinterpret_cast<float*>(sL + 2 * BM);       // [2][BM]  Delta

  const int kb = blockIdx.x, bh = blockIdx.y, b = bh / H, h = bh % H;
  const std::int64_t stride = static_cast<std::int64_t>(H) * D;
  const std::int64_t base = (static_cast<std::int64_t>(b) * T * H + h) * D;
  const int k0 = kb * BN, k_last = min(k0 + BN, T) - 1;
  const int qb_lo = k0 / BM, qb_hi = (window < 0 ? T - 1 : min(T - 1, k_last + window)) / BM;
  const float2* stats_bh = stats + static_cast<std::int64_t>(bh) * T;
  const float* delta_bh = delta + static_cast<std::int64_t>(bh) * T;

  const auto load_q_tile = [&](int qb, int buf) {
    const int n0 = qb * BM;
    load_tile_async<BM, D, kThreads>(sQ + buf * BM * P, q + base + n0 * stride, stride, T - n0);
    load_tile_async<BM, D, kThreads>(sdO + buf * BM * P, dO + base + n0 * stride, stride, T - n0);
    for (int i = threadIdx.x; i < BM; i += kThreads) {
      const bool ok = n0 + i < T;
      sL[buf * BM + i] = ok ? stats_bh[n0 + i] : make_float2(0.f, 0.f);
      sD[buf * BM + i] = ok ? delta_bh[n0 + i] : 0.f;
    }
  };
  load_tile_async<BN, D, kThreads>(sK, k + base + k0 * stride, stride, T - k0);
  load_tile_async<BN, D, kThreads>(sV, v + base + k0 * stride, stride, T - k0);
  load_q_tile(qb_lo, 0);
  cp_async_commit();

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane >> 2, c = lane & 3;
  const int kw0 = warp * 16;
  const int key[2] = {k0 + kw0 + g, k0 + kw0 + g + 8};
  float dk_acc[D / 8][4], dv_acc[D / 8][4];
#pragma unroll
  for (int i = 0; i < D / 8; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e) dk_acc[i][e] = dv_acc[i][e] = 0.f;

  for (int qb = qb_lo; qb <= qb_hi; ++qb) {
    const int buf = (qb - qb_lo) & 1, q0 = qb * BM;
    cp_async_wait<0>();
    __syncthreads();
    if (qb < qb_hi) {
      load_q_tile(qb + 1, buf ^ 1);
      cp_async_commit();
    }
    const bf16* sQb = sQ + buf * BM * P;
    const bf16* sdOb = sdO + buf * BM * P;
    const float2* sLb = sL + buf * BM;
    const float* sDb = sD + buf * BM;

    float st[BM / 8][4], dpt[BM / 8][4];
#pragma unroll
    for (int i = 0; i < BM / 8; ++i)
#pragma unroll
      for (int e = 0; e < 4; ++e) st[i][e] = dpt[i][e] = 0.f;
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      std::uint32_t ak[4], av[4];
      const int off = (kw0 + (lane % 8) + ((lane / 8) % 2) * 8) * P + kk * 16 + (lane / 16) * 8;
      ldmatrix_x4(ak, sK + off);
      ldmatrix_x4(av, sV + off);
#pragma unroll
      for (int np = 0; np < BM / 16; ++np) {
        const int boff = (np * 16 + (lane % 8) + (lane / 16) * 8) * P + kk * 16 + ((lane / 8) % 2) * 8;
        std::uint32_t r[4];
        ldmatrix_x4(r, sQb + boff);
        mma_bf16_16816(st[2 * np], ak, r[0], r[1]);
        mma_bf16_16816(st[2 * np + 1], ak, r[2], r[3]);
        ldmatrix_x4(r, sdOb + boff);
        mma_bf16_16816(dpt[2 * np], av, r[0], r[1]);
        mma_bf16_16816(dpt[2 * np + 1], av, r[2], r[3]);
      }
    }

#pragma unroll
    for (int nt = 0; nt < BM / 8; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int qi = nt * 8 + 2 * c + (e & 1), t = q0 + qi, s = key[e >> 1];
        const bool ok = t < T && s <= t && (window < 0 || s >= t - window);
        const float p = ok ? fast_exp2(log2_p(st[nt][e], scale_log2, sLb[qi])) : 0.f;
        st[nt][e] = p;
        dpt[nt][e] = p * (dpt[nt][e] - sDb[qi]);
      }

#pragma unroll
    for (int kk = 0; kk < BM / 16; ++kk) {
      const std::uint32_t ap[4] = {pack_bf16(st[2 * kk][0], st[2 * kk][1]), pack_bf16(st[2 * kk][2], st[2 * kk][3]),
                                   pack_bf16(st[2 * kk + 1][0], st[2 * kk + 1][1]),
                                   pack_bf16(st[2 * kk + 1][2], st[2 * kk + 1][3])};
      const std::uint32_t as[4] = {
          pack_bf16(dpt[2 * kk][0], dpt[2 * kk][1]), pack_bf16(dpt[2 * kk][2], dpt[2 * kk][3]),
          pack_bf16(dpt[2 * kk + 1][0], dpt[2 * kk + 1][1]), pack_bf16(dpt[2 * kk + 1][2], dpt[2 * kk + 1][3])};
#pragma unroll
      for (int dp = 0; dp < D / 16; ++dp) {
        const int boff = (kk * 16 + (lane % 8) + ((lane / 8) % 2) * 8) * P + dp * 16 + (lane / 16) * 8;
        std::uint32_t r[4];
        ldmatrix_x4_trans(r, sdOb + boff);
        mma_bf16_16816(dv_acc[2 * dp], ap, r[0], r[1]);
        mma_bf16_16816(dv_acc[2 * dp + 1], ap, r[2], r[3]);
        ldmatrix_x4_trans(r, sQb + boff);
        mma_bf16_16816(dk_acc[2 * dp], as, r[0], r[1]);
        mma_bf16_16816(dk_acc[2 * dp + 1], as, r[2], r[3]);
      }
    }

#pragma unroll
    for (int nt = 0; nt < BM / 8; ++nt) {
      *reinterpret_cast<std::uint32_t*>(sdS + (kw0 + g) * PS + nt * 8 + 2 * c) = pack_bf16(dpt[nt][0], dpt[nt][1]);
      *reinterpret_cast<std::uint32_t*>(sdS + (kw0 + g + 8) * PS + nt * 8 + 2 * c) =
          pack_bf16(dpt[nt][2], dpt[nt][3]);
    }
    __syncthreads();

    // dQ[q0 + mg*16 .., cols] += dS K: A = dS (stored transposed in sdS), B = K (stored [key][d]).
    constexpr int kGroups = BM / 16, kWarpsPerGroup = kBwdWarps / kGroups, kCols = D / kWarpsPerGroup;
    const int mg = warp / kWarpsPerGroup, col0 = (warp % kWarpsPerGroup) * kCols;
    std::uint32_t a[BN / 16][4];
#pragma unroll
    for (int kk = 0; kk < BN / 16; ++kk)
      ldmatrix_x4_trans(a[kk], sdS + (kk * 16 + (lane % 8) + (lane / 16) * 8) * PS + mg * 16 + ((lane / 8) % 2) * 8);
#pragma unroll
    for (int dp = 0; dp < kCols / 16; ++dp) {
      float dq[2][4] = {{0.f, 0.f, 0.f, 0.f}, {0.f, 0.f, 0.f, 0.f}};
#pragma unroll
      for (int kk = 0; kk < BN / 16; ++kk) {
        std::uint32_t r[4];
        ldmatrix_x4_trans(r, sK + (kk * 16 + (lane % 8) + ((lane / 8) % 2) * 8) * P + col0 + dp * 16 + (lane / 16) * 8);
        mma_bf16_16816(dq[0], a[kk], r[0], r[1]);
        mma_bf16_16816(dq[1], a[kk], r[2], r[3]);
      }
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int t = q0 + mg * 16 + g + (e >> 1) * 8;
        if (t >= T) continue;
        float* dst = dq_acc + base + t * stride + col0 + dp * 16 + 2 * c + (e & 1);
        atomicAdd(dst, dq[0][e]);
        atomicAdd(dst + 8, dq[1][e]);
      }
    }
  }

#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int s = key[r];
    if (s >= T) continue;
#pragma unroll
    for (int dt = 0; dt < D / 8; ++dt) {
      const std::int64_t at = base + s * stride + dt * 8 + 2 * c;
      *reinterpret_cast<std::uint32_t*>(dk + at) = pack_bf16(dk_acc[dt][2 * r] * scale, dk_acc[dt][2 * r + 1] * scale);
      *reinterpret_cast<std::uint32_t*>(dv + at) = pack_bf16(dv_acc[dt][2 * r], dv_acc[dt][2 * r + 1]);
    }
  }
}

template <int D>
constexpr std::size_t forward_smem() {
  return static_cast<std::size_t>(kFwdBM + 4 * kFwdBN) * (D + 8) * sizeof(bf16);
}
template <int D>
constexpr std::size_t backward_smem() {
  constexpr int BM = bwd_bm<D>();
  return static_cast<std::size_t>(2 * kBwdBN + 4 * BM) * (D + 8) * sizeof(bf16) +
         static_cast<std::size_t>(kBwdBN) * (BM + 8) * sizeof(bf16) + 2 * BM * (sizeof(float2) + sizeof(float));
}

template <int D>
void launch_forward(const Problem& p, const ForwardArgs& a, cudaStream_t stream) {
  constexpr std::size_t smem = forward_smem<D>();
  cuda::allow_dynamic_smem(forward_kernel<D>, smem);
  const dim3 grid(static_cast<unsigned>((p.T + kFwdBM - 1) / kFwdBM), static_cast<unsigned>(p.B * p.H));
  const float scale_log2 = static_cast<float>(p.softmax_scale()) * kLog2e;
  forward_kernel<D><<<grid, kFwdWarps * 32, smem, stream>>>(
      static_cast<const bf16*>(a.q), static_cast<const bf16*>(a.k), static_cast<const bf16*>(a.v),
      static_cast<bf16*>(a.o), a.lse, static_cast<float2*>(a.saved), saved_o_lo(p, a.saved), static_cast<int>(p.T),
      static_cast<int>(p.H), static_cast<int>(p.window), scale_log2);
  MENAGERIE_LAUNCH_CHECK();
}

template <int D>
void launch_backward(const Problem& p, const BackwardArgs& a, cudaStream_t stream) {
  const std::int64_t rows = p.B * p.T * p.H, n = rows * D;
  float* dq_acc = static_cast<float*>(a.workspace);
  float* delta = dq_acc + n;
  MENAGERIE_CUDA_CHECK(cudaMemsetAsync(dq_acc, 0, static_cast<std::size_t>(n) * sizeof(float), stream));
  delta_kernel<D><<<static_cast<unsigned>((rows * 32 + 255) / 256), 256, 0, stream>>>(
      static_cast<const bf16*>(a.o), saved_o_lo(p, a.saved), static_cast<const bf16*>(a.dO), delta,
      static_cast<int>(p.T),
      static_cast<int>(p.H), rows);
  MENAGERIE_LAUNCH_CHECK();
  constexpr std::size_t smem = backward_smem<D>();
  cuda::allow_dynamic_smem(backward_kernel<D>, smem);
  const dim3 grid(static_cast<unsigned>((p.T + kBwdBN - 1) / kBwdBN), static_cast<unsigned>(p.B * p.H));
  const float scale = static_cast<float>(p.softmax_scale());
  backward_kernel<D><<<grid, kBwdWarps * 32, smem, stream>>>(
      static_cast<const bf16*>(a.q), static_cast<const bf16*>(a.k), static_cast<const bf16*>(a.v),
      static_cast<const bf16*>(a.dO), static_cast<const float2*>(a.saved), delta, dq_acc, static_cast<bf16*>(a.dk), static_cast<bf16*>(a.dv),
      static_cast<int>(p.T), static_cast<int>(p.H), static_cast<int>(p.window), scale, scale * kLog2e);
  MENAGERIE_LAUNCH_CHECK();
  round_dq_kernel<<<static_cast<unsigned>((n + 255) / 256), 256, 0, stream>>>(dq_acc, static_cast<bf16*>(a.dq), n,
                                                                              scale);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.D != p.Dv || (p.D != 64 && p.D != 128))
    return cat("flash_tiled_bf16: D = ", p.D, ", Dv = ", p.Dv, " unsupported (needs D == Dv in {64, 128})");
  if (p.B * p.H > 65535) return cat("flash_tiled_bf16: B * H = ", p.B * p.H, " exceeds 65535");
  if (p.T > (std::int64_t{1} << 24)) return cat("flash_tiled_bf16: T = ", p.T, " exceeds 2^24");
  return {};
}

std::size_t saved_bytes(const Problem& p) { return bf16_saved_bytes(p); }

std::size_t backward_workspace_bytes(const Problem& p) {
  return static_cast<std::size_t>(p.B * p.T * p.H) * static_cast<std::size_t>(p.D + 1) * sizeof(float);
}

void forward(const Problem& p, const ForwardArgs& a, cudaStream_t stream) {
  p.validate();
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  if (p.D == 64)
    launch_forward<64>(p, a, stream);
  else
    launch_forward<128>(p, a, stream);
}

void backward(const Problem& p, const BackwardArgs& a, cudaStream_t stream) {
  p.validate();
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  if (p.D == 64)
    launch_backward<64>(p, a, stream);
  else
    launch_backward<128>(p, a, stream);
}

}  // namespace menagerie::opt::softmax_attention::flash_bf16
