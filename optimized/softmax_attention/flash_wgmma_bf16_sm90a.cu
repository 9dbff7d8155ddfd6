// flash_wgmma_bf16: causal (optionally sliding-window) softmax attention forward on Hopper's warpgroup MMA (wgmma,
// sm_90a), bf16 operands, fp32 accumulation; D == Dv in {64, 128}, any T >= 1. The backward is flash_tiled_bf16's
// (the same saved state: row statistics and o's residual, saved_state.cuh), so this variant differs only in speed.
//
// One CTA of two warpgroups per (block of BM = 128 queries, b, h); warpgroup w owns queries 64w..64w+63. Key/value
// tiles of BN = 128 rows are double-buffered in shared memory with cp.async (the next tile loads while this one is
// used). Per tile, in log2 units (x = scale log2(e) q.k), the same online softmax as flash_tiled_bf16:
//   S = Q K^T (wgmma, Q and K from shared memory);  m' = max(m, rowmax x);  P = exp2(x - m');
//   l = l exp2(m - m') + rowsum P;  O = O exp2(m - m') + P V (wgmma, P from registers, V from shared memory read
//   transposed),
// and at the end o = O / l with o's residual, lse and the row statistics. Tiles wholly outside the causal band or
// the window are never visited; tiles the band's edges cross are masked per element. Nothing T x T reaches HBM.
// Shared tiles use the no-swizzle core-matrix layout of wgmma_sm90a.cuh: element (row, col) of a [rows][D] tile at
//   (row / 8) 8D + (col / 8) 64 + (row % 8) 8 + col % 8,
// so a K tile is the K-major B of Q K^T and, read with the roles of LBO and SBO exchanged, the MN-major B of P V.
#include <cmath>
#include <cstdint>
#include <string>

#include <cuda_bf16.h>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/softmax_attention/mma_sm80.cuh"
#include "optimized/softmax_attention/saved_state.cuh"
#include "optimized/softmax_attention/variants.hpp"
#include "optimized/softmax_attention/wgmma_sm90a.cuh"

namespace menagerie::opt::softmax_attention::flash_wgmma {
namespace {

using bf16 = __nv_bfloat16;
namespace mma = attention_mma;
namespace wg = attention_wgmma;

constexpr int kGroups = 2, kThreads = kGroups * 128, kBM = kGroups * 64, kBN = 128;
constexpr float kLog2e = 1.4426950408889634f;

__device__ __forceinline__ float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

// Loads a [ROWS, D] bf16 tile (rows `stride` elements apart) into the core-matrix layout; rows at or beyond
// `valid_rows` are zero-filled. Chunk i (16 bytes) lands at element 8i: consecutive threads fill one core matrix.
template <int ROWS, int D>
__device__ __forceinline__ void load_tile(bf16* smem, const bf16* gmem, std::int64_t stride, int valid_rows) {
  constexpr int kColBlocks = D / 8;
  for (int i = threadIdx.x; i < ROWS * kColBlocks; i += kThreads) {
    const int r = (i / (8 * kColBlocks)) * 8 + i % 8, c = ((i / 8) % kColBlocks) * 8;
    const bool ok = r < valid_rows;
    mma::cp_async_16(smem + 8 * i, ok ? gmem + r * stride + c : gmem, ok);
  }
}

template <int D>
__device__ __forceinline__ void pv_mma(float (&acc)[D / 2], const std::uint32_t (&a)[4], std::uint64_t b) {
  if constexpr (D == 64)
    wg::wgmma_m64n64k16_rs_tb(acc, a, b);
  else
    wg::wgmma_m64n128k16_rs_tb(acc, a, b);
}

template <int D>
__global__ void __launch_bounds__(kThreads)
    forward_kernel(const bf16* __restrict__ q, const bf16* __restrict__ k, const bf16* __restrict__ v,
                   bf16* __restrict__ o, float* __restrict__ lse, float2* __restrict__ stats, bf16* __restrict__ o_lo,
                   int T, int H, int window, float scale_log2) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  constexpr int BM = kBM, BN = kBN;
  constexpr std::uint32_t kRowBlockBytes = 16 * D, kCoreBytes = 128;  // between row blocks / column blocks
  extern __shared__ __align__(128) unsigned char smem_raw[];
  bf16* sQ = reinterpret_cast<bf16*>(smem_raw);  // [BM][D]
  bf16* sK = sQ + BM * D;                         // [2][BN][D]
  bf16* sV = sK + 2 * BN * D;                     // [2][BN][D]

  const int qb = static_cast<int>(gridDim.x) - 1 - static_cast<int>(blockIdx.x);  // long rows first
  const int bh = blockIdx.y, b = bh / H, h = bh % H;
  const std::int64_t stride = static_cast<std::int64_t>(H) * D;
  const std::int64_t base = (static_cast<std::int64_t>(b) * T * H + h) * D;
  const int q0 = qb * BM, q_last = min(q0 + BM, T) - 1;
  const int kb_lo = window < 0 ? 0 : max(0, q0 - window) / BN, kb_hi = q_last / BN;

  load_tile<BM, D>(sQ, q + base + q0 * stride, stride, T - q0);
  load_tile<BN, D>(sK, k + base + kb_lo * BN * stride, stride, T - kb_lo * BN);
  load_tile<BN, D>(sV, v + base + kb_lo * BN * stride, stride, T - kb_lo * BN);
  mma::cp_async_commit();

  const int group = threadIdx.x / 128, warp = (threadIdx.x / 32) % 4, lane = threadIdx.x % 32;
  const int g = lane >> 2, c = lane & 3;
  const int row0 = q0 + group * 64 + warp * 16 + g;  // this thread's rows: row0 and row0 + 8
  const bf16* sQg = sQ + group * 64 * D;
  float acc[D / 2];
#pragma unroll
  for (int i = 0; i < D / 2; ++i) acc[i] = 0.f;
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};

  for (int kb = kb_lo; kb <= kb_hi; ++kb) {
    const int buf = (kb - kb_lo) & 1;
    mma::cp_async_wait<0>();
    wg::fence_proxy_async();
    __syncthreads();
    if (kb < kb_hi) {
      const int n0 = (kb + 1) * BN;
      load_tile<BN, D>(sK + (buf ^ 1) * BN * D, k + base + n0 * stride, stride, T - n0);
      load_tile<BN, D>(sV + (buf ^ 1) * BN * D, v + base + n0 * stride, stride, T - n0);
      mma::cp_async_commit();
    }
    const bf16* sKb = sK + buf * BN * D;
    const bf16* sVb = sV + buf * BN * D;

    float s[BN / 2];
#pragma unroll
    for (int i = 0; i < BN / 2; ++i) s[i] = 0.f;
    wg::fence_operands(s);
    wg::fence();
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk)
      wg::wgmma_m64n128k16_ss(s, wg::desc(sQg + kk * 128, kCoreBytes, kRowBlockBytes),
                              wg::desc(sKb + kk * 128, kCoreBytes, kRowBlockBytes));
    wg::commit();
    wg::wait();
    wg::fence_operands(s);

    const int k0 = kb * BN;
    if (k0 + BN - 1 > q0 + group * 64 || (window >= 0 && k0 < q_last - window)) {
#pragma unroll
      for (int nt = 0; nt < BN / 8; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int key = k0 + nt * 8 + 2 * c + (e & 1), t = row0 + (e >> 1) * 8;
          const bool ok = key <= t && key < T && (window < 0 || key >= t - window);
          if (!ok) s[4 * nt + e] = -INFINITY;
        }
    }
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float mx = -INFINITY;
#pragma unroll
      for (int nt = 0; nt < BN / 8; ++nt) mx = fmaxf(mx, fmaxf(s[4 * nt + 2 * r], s[4 * nt + 2 * r + 1]));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
      const float m_new = fmaxf(m[r], mx * scale_log2);
      const float m_use = m_new == -INFINITY ? 0.f : m_new;
      const float alpha = fast_exp2(m[r] - m_use);
      float sum = 0.f;
#pragma unroll
      for (int nt = 0; nt < BN / 8; ++nt)
#pragma unroll
        for (int e = 2 * r; e < 2 * r + 2; ++e) {
          const float pv = fast_exp2(fmaf(s[4 * nt + e], scale_log2, -m_use));
          s[4 * nt + e] = pv;
          sum += pv;
        }
      l[r] = l[r] * alpha + sum;
      m[r] = m_new;
#pragma unroll
      for (int dt = 0; dt < D / 8; ++dt) {
        acc[4 * dt + 2 * r] *= alpha;
        acc[4 * dt + 2 * r + 1] *= alpha;
      }
    }

    std::uint32_t pa[BN / 16][4];
#pragma unroll
    for (int kk = 0; kk < BN / 16; ++kk) {
      pa[kk][0] = mma::pack_bf16(s[8 * kk + 0], s[8 * kk + 1]);
      pa[kk][1] = mma::pack_bf16(s[8 * kk + 2], s[8 * kk + 3]);
      pa[kk][2] = mma::pack_bf16(s[8 * kk + 4], s[8 * kk + 5]);
      pa[kk][3] = mma::pack_bf16(s[8 * kk + 6], s[8 * kk + 7]);
    }
    wg::fence_operands(acc);
    wg::fence();
#pragma unroll
    for (int kk = 0; kk < BN / 16; ++kk)
      pv_mma<D>(acc, pa[kk], wg::desc(sVb + kk * 16 * D, kRowBlockBytes, kCoreBytes));
    wg::commit();
    wg::wait();
    wg::fence_operands(acc);
  }

#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float sum = l[r];
    sum += __shfl_xor_sync(0xffffffffu, sum, 1);
    sum += __shfl_xor_sync(0xffffffffu, sum, 2);
    const int t = row0 + r * 8;
    if (t >= T) continue;
    const float inv = 1.f / sum;  // sum >= 1: the diagonal key is always visible
#pragma unroll
    for (int dt = 0; dt < D / 8; ++dt)
      store_o_pair(o, o_lo, base + t * stride + dt * 8 + 2 * c, acc[4 * dt + 2 * r] * inv,
                   acc[4 * dt + 2 * r + 1] * inv);
    if (c == 0) store_row_stats(lse, stats, static_cast<std::int64_t>(bh) * T + t, m[r], sum);
  }
#else
  __trap();  // built for sm_90a only; unsupported() keeps other devices away
#endif
}

template <int D>
constexpr std::size_t forward_smem() {
  return static_cast<std::size_t>(kBM + 4 * kBN) * D * sizeof(bf16);
}

template <int D>
void launch_forward(const Problem& p, const ForwardArgs& a, cudaStream_t stream) {
  constexpr std::size_t smem = forward_smem<D>();
  MENAGERIE_CUDA_CHECK(cudaFuncSetAttribute(forward_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                            static_cast<int>(smem)));
  const dim3 grid(static_cast<unsigned>((p.T + kBM - 1) / kBM), static_cast<unsigned>(p.B * p.H));
  const float scale_log2 = static_cast<float>(p.softmax_scale()) * kLog2e;
  forward_kernel<D><<<grid, kThreads, smem, stream>>>(
      static_cast<const bf16*>(a.q), static_cast<const bf16*>(a.k), static_cast<const bf16*>(a.v),
      static_cast<bf16*>(a.o), a.lse, static_cast<float2*>(a.saved), saved_o_lo(p, a.saved), static_cast<int>(p.T),
      static_cast<int>(p.H), static_cast<int>(p.window), scale_log2);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace

std::string unsupported(const Problem& p) {
  const std::string why = flash_bf16::unsupported(p);
  if (!why.empty()) return cat("flash_wgmma_bf16: ", why.substr(why.find(':') + 2));
  int dev = 0, major = 0, minor = 0;
  if (cudaGetDevice(&dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) != cudaSuccess) {
    cudaGetLastError();
    return "flash_wgmma_bf16: no CUDA device (needs sm_90a: H100 or H200)";
  }
  if (major != 9 || minor != 0)
    return cat("flash_wgmma_bf16: compute capability ", major, ".", minor, " unsupported (needs sm_90a: H100 or H200)");
  return {};
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

}  // namespace menagerie::opt::softmax_attention::flash_wgmma
