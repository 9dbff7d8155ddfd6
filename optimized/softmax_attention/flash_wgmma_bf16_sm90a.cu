// flash_wgmma_bf16: causal (optionally sliding-window) softmax attention forward on Hopper's warpgroup MMA (wgmma,
// sm_90a), bf16 operands, fp32 accumulation; D == Dv in {64, 128}, any T >= 1. The backward is flash_tiled_bf16's
// (the same saved state: row statistics and o's residual, saved_state.cuh), so this variant differs only in speed.
//
// One CTA of two warpgroups per (block of BM = 128 queries, b, h); warpgroup w owns queries 64w..64w+63. Key/value
// tiles of BN rows (64 at D = 64: 126 registers, two CTAs per SM; 128 at D = 128; both measured fastest) are
// double-buffered in shared memory with cp.async. Per tile, in log2 units (x = scale log2(e) q.k), with the online
// softmax of online_softmax.cuh:
//   S = Q K^T (wgmma, Q and K from shared memory);  m' = max(m, rowmax x);  P = exp2(x - m');
//   l = l exp2(m - m') + rowsum P;  O = O exp2(m - m') + P V (wgmma, P from registers, V from shared memory read
//   transposed),
// and at the end o = O / l with o's residual, lse and the row statistics. Tiles wholly outside the causal band or
// the window are never visited; tiles the band's edges cross are masked per element. Nothing T x T reaches HBM.
// Shared tiles use the 128-byte-swizzle layout of wgmma_sm90a.cuh ([D / 64][rows][64], chunks permuted per row),
// so a K tile is the K-major B of Q K^T and a V tile, read transposed, the MN-major B of P V.
#include <cmath>
#include <cstdint>
#include <string>

#include <cuda_bf16.h>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/softmax_attention/mma_sm80.cuh"
#include "optimized/softmax_attention/online_softmax.cuh"
#include "optimized/softmax_attention/saved_state.cuh"
#include "optimized/softmax_attention/variants.hpp"
#include "optimized/softmax_attention/wgmma_sm90a.cuh"

namespace menagerie::opt::softmax_attention::flash_wgmma {
namespace {

using bf16 = __nv_bfloat16;
namespace mma = attention_mma;
namespace wg = attention_wgmma;

constexpr int kGroups = 2, kThreads = kGroups * 128, kBM = kGroups * 64;
constexpr float kLog2e = 1.4426950408889634f;

// Loads a [ROWS, D] bf16 tile (rows `stride` elements apart) into the swizzled layout; rows at or beyond
// `valid_rows` are zero-filled. Consecutive threads copy consecutive 16-byte chunks of a row.
__device__ __forceinline__ int smem_addr_mod1024(const void* p) {
  return static_cast<int>(static_cast<std::uint32_t>(__cvta_generic_to_shared(p)) & 1023u);
}

template <int ROWS, int D>
__device__ __forceinline__ void load_tile(unsigned char* smem, const bf16* gmem, std::int64_t stride, int valid_rows) {
  constexpr int kChunks = D / 8;
  for (int i = threadIdx.x; i < ROWS * kChunks; i += kThreads) {
    const int r = i / kChunks, c = (i % kChunks) * 8;
    const bool ok = r < valid_rows;
    mma::cp_async_16(smem + wg::swizzled_offset(ROWS, r, c), ok ? gmem + r * stride + c : gmem, ok);
  }
}

template <int BN>
__device__ __forceinline__ void score_mma(float (&s)[BN / 8][4], std::uint64_t a, std::uint64_t b) {
  if constexpr (BN == 64)
    wg::wgmma_m64n64k16_ss(s, a, b);
  else
    wg::wgmma_m64n128k16_ss(s, a, b);
}

template <int D>
__device__ __forceinline__ void pv_mma(float (&acc)[D / 8][4], const std::uint32_t (&a)[4], std::uint64_t b) {
  if constexpr (D == 64)
    wg::wgmma_m64n64k16_rs_tb(acc, a, b);
  else
    wg::wgmma_m64n128k16_rs_tb(acc, a, b);
}

// P (the softmax_tile output) as the A fragments of the P V MMA, one per 16 keys.
template <int NB>
__device__ __forceinline__ void pack_p(const float (&s)[NB][4], std::uint32_t (&pa)[NB / 2][4]) {
#pragma unroll
  for (int kk = 0; kk < NB / 2; ++kk) {
    pa[kk][0] = mma::pack_bf16(s[2 * kk][0], s[2 * kk][1]);
    pa[kk][1] = mma::pack_bf16(s[2 * kk][2], s[2 * kk][3]);
    pa[kk][2] = mma::pack_bf16(s[2 * kk + 1][0], s[2 * kk + 1][1]);
    pa[kk][3] = mma::pack_bf16(s[2 * kk + 1][2], s[2 * kk + 1][3]);
  }
}

// Each iteration is S_j, softmax, P_j V_j in turn; the two warpgroups overlap each other. (Overlapping a tile's
// softmax with the previous tile's P V inside one warpgroup, FlashAttention-3's intra-warpgroup pipelining, measured
// slower here: docs/attention-kernels.md.)
template <int D, int BN>
__global__ void __launch_bounds__(kThreads)
    forward_kernel(const bf16* __restrict__ q, const bf16* __restrict__ k, const bf16* __restrict__ v,
                   bf16* __restrict__ o, float* __restrict__ lse, float2* __restrict__ stats, bf16* __restrict__ o_lo,
                   int T, int H, int window, float scale_log2) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  constexpr int BM = kBM, kTile = BN * D * 2;  // bytes of a K or V tile
  constexpr std::uint32_t kAtomGroup = 1024;    // SBO: between 8-row groups
  extern __shared__ unsigned char smem_raw[];
  unsigned char* sQ = smem_raw + ((1024 - smem_addr_mod1024(smem_raw)) & 1023);  // [BM][D], 1024-aligned
  unsigned char* sK = sQ + BM * D * 2;                                             // [2][BN][D]
  unsigned char* sV = sK + 2 * kTile;                                              // [2][BN][D]

  const int qb = static_cast<int>(gridDim.x) - 1 - static_cast<int>(blockIdx.x);  // long rows first
  const int bh = blockIdx.y, b = bh / H, h = bh % H;
  const std::int64_t stride = static_cast<std::int64_t>(H) * D;
  const std::int64_t base = (static_cast<std::int64_t>(b) * T * H + h) * D;
  const int q0 = qb * BM, q_last = min(q0 + BM, T) - 1;
  const int kb_lo = window < 0 ? 0 : max(0, q0 - window) / BN, kb_hi = q_last / BN;
  const auto kv_tile = [&](const bf16* src, unsigned char* dst, int kb) {
    load_tile<BN, D>(dst + ((kb - kb_lo) & 1) * kTile, src + base + kb * BN * stride, stride, T - kb * BN);
  };

  const int group = threadIdx.x / 128, warp = (threadIdx.x / 32) % 4, lane = threadIdx.x % 32;
  const int g = lane >> 2, c = lane & 3;
  const int row0 = q0 + group * 64 + warp * 16 + g;  // this thread's rows: row0 and row0 + 8
  // S = Q K^T: k-step kk reads 16 columns of column atom kk / 4 (Q: this warpgroup's 64 rows).
  const auto score_mmas = [&](float (&s)[BN / 8][4], const unsigned char* sKb) {
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      const int col = (kk % 4) * 32;  // bytes into the swizzled row
      score_mma<BN>(s, wg::desc(sQ + (kk / 4) * BM * 128 + group * 64 * 128 + col, 16, kAtomGroup),
                              wg::desc(sKb + (kk / 4) * BN * 128 + col, 16, kAtomGroup));
    }
  };
  // O += P V: k-step kk reads keys 16kk .. 16kk + 15 of every column atom (LBO: between atoms).
  const auto pv_mmas = [&](float (&acc)[D / 8][4], const std::uint32_t (&pa)[BN / 16][4], const unsigned char* sVb) {
#pragma unroll
    for (int kk = 0; kk < BN / 16; ++kk) pv_mma<D>(acc, pa[kk], wg::desc(sVb + kk * 16 * 128, BN * 128, kAtomGroup));
  };

  load_tile<BM, D>(sQ, q + base + q0 * stride, stride, T - q0);
  kv_tile(k, sK, kb_lo);
  kv_tile(v, sV, kb_lo);
  mma::cp_async_commit();

  float acc[D / 8][4];
#pragma unroll
  for (int j = 0; j < D / 8; ++j) acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0.f;
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f}, alpha[2];
  std::uint32_t pa[BN / 16][4];
  const auto mask_of = [&](int kb) {
    const int k0 = kb * BN;
    return k0 + BN - 1 > q0 + group * 64 || (window >= 0 && k0 < q_last - window);
  };

  for (int kb = kb_lo; kb <= kb_hi; ++kb) {
    mma::cp_async_wait<0>();
    wg::fence_proxy_async();
    __syncthreads();
    if (kb < kb_hi) {
      kv_tile(k, sK, kb + 1);
      kv_tile(v, sV, kb + 1);
      mma::cp_async_commit();
    }
    const int buf = (kb - kb_lo) & 1;
    float s[BN / 8][4];
#pragma unroll
    for (int j = 0; j < BN / 8; ++j) s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.f;
    wg::fence_operands(s);
    wg::fence();
    score_mmas(s, sK + buf * kTile);
    wg::commit();
    wg::wait<0>();
    wg::fence_operands(s);
    softmax_tile<BN / 8>(s, m, l, alpha, mask_of(kb), kb * BN, row0, c, T, window, scale_log2);
    rescale<D / 8>(acc, alpha);
    pack_p<BN / 8>(s, pa);
    wg::fence_operands(acc);
    wg::fence();
    pv_mmas(acc, pa, sV + buf * kTile);
    wg::commit();
    wg::wait<0>();
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
      store_o_pair(o, o_lo, base + t * stride + dt * 8 + 2 * c, acc[dt][2 * r] * inv, acc[dt][2 * r + 1] * inv);
    if (c == 0) store_row_stats(lse, stats, static_cast<std::int64_t>(bh) * T + t, m[r], sum);
  }
#else
  __trap();  // built for sm_90a only; unsupported() keeps other devices away
#endif
}

template <int D, int BN>
constexpr std::size_t forward_smem() {
  return static_cast<std::size_t>(kBM + 4 * BN) * D * sizeof(bf16) + 1024;  // + room to align to 1024
}

template <int D, int BN>
void launch_forward(const Problem& p, const ForwardArgs& a, cudaStream_t stream) {
  constexpr std::size_t smem = forward_smem<D, BN>();
  MENAGERIE_CUDA_CHECK(cudaFuncSetAttribute(forward_kernel<D, BN>,
                                            cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)));
  const dim3 grid(static_cast<unsigned>((p.T + kBM - 1) / kBM), static_cast<unsigned>(p.B * p.H));
  const float scale_log2 = static_cast<float>(p.softmax_scale()) * kLog2e;
  forward_kernel<D, BN><<<grid, kThreads, smem, stream>>>(
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
    launch_forward<64, 64>(p, a, stream);
  else
    launch_forward<128, 128>(p, a, stream);
}

}  // namespace menagerie::opt::softmax_attention::flash_wgmma
