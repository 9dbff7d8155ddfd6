// fft_tc_bf16 for T <= 8192 (one CTA per sequence pair of one channel, n <= 16384) with coalesced global access: a
// thread-block cluster of kTile = 8 CTAs takes the 8 neighbouring channels [c0, c0 + 8) of one pair (CTA r: channel
// c0 + r). The math, the plans, the scales and every rounding are those of fft_tc_bf16.cu's forward and backward
// kernels, so each channel's result is bitwise the one-channel kernels' result; only who moves which bytes changes.
//
// Why. [B, T, D] puts a channel's rows D elements apart: the one-channel kernels read and write 2 useful bytes per
// 32-byte sector, one sector per lane, so a warp's load is 32 sectors (32 L1 wavefronts, 32 L2 requests) for 64
// bytes; at B 8, T 4096, D 1024 that is 2 x 33.5M sector requests (1.07 GB each way through L2) for 0.134 GB of data.
// Here a lane reads (writes) one row's 8 channels as one 16-byte access: 8x fewer requests and instructions, and half
// of each sector used (its other half belongs to the neighbouring tile's cluster, scheduled beside it).
//
// Load. CTA r takes rows t = tile_row_first(r, tid, threads) + i tile_row_step(threads) (fft_tc_plan.hpp; each row
// t < T exactly once over the cluster), loads 16 bytes of u_b and of u_{b+1} at (t, c0) and stores channel k's bf16
// bits into CTA k's re and im planes at pad(t) through distributed shared memory. After a cluster barrier each CTA has
// load_raw's planes for its channel; it takes the maximum |x| from them and scales as load_pair does (same values:
// the same scale). Padding rows t in [T, n) are zeroed by each CTA in its own planes.
// Store. The last inverse stage writes each output's bf16 bits (y = x osc rounded once, as before) in place into the
// planes (dft_stage reads a vector block into registers before writing it: in place is safe, as in local_inverse);
// after a cluster barrier CTA r gathers rows of its share from the 8 planes and writes 16 bytes per row and sequence.
// Barriers: a cluster barrier before the first remote store (every CTA of the cluster running), one after the
// scatter, one before the gather, and one after it (no CTA exits or overwrites its planes while another still reads
// them). The backward loops over its group's pairs with the same four per pair.
//
// Used when D % 8 == 0, the tensors are 16-byte aligned and a cluster of 8 such CTAs fits (cudaOccupancyMax-
// ActiveClusters > 0); otherwise fft_tc_bf16.cu's one-channel kernels run. Shared memory per CTA is unchanged (the
// planes hold the staging): n = 8192: 2 x 8448 x 2 + 3 x (32 x 40 + 16 x 24) x 2 + 136 = 43.9 KB (forward), so five
// CTAs per SM as before; the backward at n = 16384 keeps 178 KB (one CTA per SM; a cluster spans 8 SMs of a GPC).
#include <cooperative_groups.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>
#include <utility>

#include "optimized/common/check.hpp"
#include "optimized/common/dynamic_smem.hpp"
#include "optimized/long_conv/fft_tc_bf16.cuh"
#include "optimized/long_conv/fft_tc_bf16_tiles.hpp"

namespace menagerie::opt::long_conv::fft_tc_bf16 {
namespace {

namespace cg = cooperative_groups;

__device__ __forceinline__ void to_words(const uint4& v, std::uint32_t (&w)[4]) {
  w[0] = v.x;
  w[1] = v.y;
  w[2] = v.z;
  w[3] = v.w;
}

// Scatters rows t < T of x0 (into re) and x1 (into im; zeros when null), each pointing at (t = 0, c0), to the tile's
// CTAs; zeros this CTA's rows [T, n). Between cluster barriers.
__device__ void tile_load(const __nv_bfloat16* __restrict__ x0, const __nv_bfloat16* __restrict__ x1, int T,
                          std::int64_t D, __half* re, __half* im, int n) {
  cg::cluster_group cluster = cg::this_cluster();
  const int rank = static_cast<int>(cluster.block_rank()), threads = static_cast<int>(blockDim.x);
  for (int t = T + static_cast<int>(threadIdx.x); t < n; t += threads) {
    re[pad(t)] = __ushort_as_half(0);
    im[pad(t)] = __ushort_as_half(0);
  }
#pragma unroll 2
  for (int t = tile_row_first(rank, static_cast<int>(threadIdx.x), threads); t < T; t += tile_row_step(threads)) {
    std::uint32_t w0[4], w1[4] = {0u, 0u, 0u, 0u};
    to_words(__ldg(reinterpret_cast<const uint4*>(x0 + t * D)), w0);
    if (x1 != nullptr) to_words(__ldg(reinterpret_cast<const uint4*>(x1 + t * D)), w1);
    const int a = pad(t);
#pragma unroll
    for (int k = 0; k < kTile; ++k) {
      *cluster.map_shared_rank(re + a, k) = __ushort_as_half(static_cast<unsigned short>(tile_channel_bits(w0, k)));
      *cluster.map_shared_rank(im + a, k) = __ushort_as_half(static_cast<unsigned short>(tile_channel_bits(w1, k)));
    }
  }
}

// Gathers rows t < T of this CTA's share from the tile's planes (bf16 bits) into y0 (re) and y1 (im, skipped when
// null), each pointing at (t = 0, c0). Between cluster barriers.
__device__ void tile_store(__nv_bfloat16* __restrict__ y0, __nv_bfloat16* __restrict__ y1, int T, std::int64_t D,
                           const __half* re, const __half* im) {
  cg::cluster_group cluster = cg::this_cluster();
  const int rank = static_cast<int>(cluster.block_rank()), threads = static_cast<int>(blockDim.x);
#pragma unroll 2
  for (int t = tile_row_first(rank, static_cast<int>(threadIdx.x), threads); t < T; t += tile_row_step(threads)) {
    const int a = pad(t);
    unsigned v0[kTile], v1[kTile];
#pragma unroll
    for (int k = 0; k < kTile; ++k) {
      v0[k] = __half_as_ushort(*cluster.map_shared_rank(re + a, k));
      v1[k] = __half_as_ushort(*cluster.map_shared_rank(im + a, k));
    }
    std::uint32_t w[4];
    tile_pack(v0, w);
    *reinterpret_cast<uint4*>(y0 + t * D) = make_uint4(w[0], w[1], w[2], w[3]);
    if (y1 != nullptr) {
      tile_pack(v1, w);
      *reinterpret_cast<uint4*>(y1 + t * D) = make_uint4(w[0], w[1], w[2], w[3]);
    }
  }
}

// load_pair's scaling on planes holding bf16 bits at t < T: max |x| over the block, the power-of-two scale, fp16
// values times it. Returns the scale; ends with a barrier.
__device__ float scale_loaded(__half* re, __half* im, int T, float* red) {
  float m = 0.f;
  for (int t = threadIdx.x; t < T; t += blockDim.x) {
    const int a = pad(t);
    m = fmaxf(m, fabsf(__bfloat162float(__ushort_as_bfloat16(__half_as_ushort(re[a])))));
    m = fmaxf(m, fabsf(__bfloat162float(__ushort_as_bfloat16(__half_as_ushort(im[a])))));
  }
  const float sc = inv_pow2_scale(block_max(m, red));
  scale_raw(re, im, T, sc);
  return sc;
}

// x rounded to bf16, its bits kept in an fp16 plane slot.
__device__ __forceinline__ __half bf16_bits(float x) {
  return __ushort_as_half(__bfloat16_as_ushort(__float2bfloat16_rn(x)));
}

// grid (D, ceil(B / 2)), clusters (kTile, 1, 1): forward_kernel's steps with the tile's loads and stores.
__global__ void __launch_bounds__(256, 4)
    tile_forward_kernel(const __nv_bfloat16* __restrict__ u, const __half2* __restrict__ hspec,
                        const float* __restrict__ hscale, __nv_bfloat16* __restrict__ y, Plan pl, std::int64_t B,
                        std::int64_t T, std::int64_t D) {
  const Smem sm = carve(pl, false, 0);
  cg::cluster_group cluster = cg::this_cluster();
  const std::int64_t c = blockIdx.x, c0 = c - cluster.block_rank(), b0 = 2 * static_cast<std::int64_t>(blockIdx.y);
  const bool has1 = b0 + 1 < B;
  const int len = static_cast<int>(T);
  build_tables(sm.tabs, pl);
  cluster.sync();
  const __nv_bfloat16* u0 = u + b0 * T * D + c0;
  tile_load(u0, has1 ? u0 + T * D : nullptr, len, D, sm.re, sm.im, pl.n);
  cluster.sync();
  const float su = scale_loaded(sm.re, sm.im, len, sm.red);
  fft_forward(pl, sm.re, sm.im, sm.tabs, len);
  const __half2* hc = hspec + c * pl.n;
  float m = 0.f;
  for (int p = threadIdx.x; p < pl.n; p += blockDim.x) {
    const float zr = __half2float(sm.re[pad(p)]), zi = __half2float(sm.im[pad(p)]);
    const float2 hv = __half22float2(hc[p]);
    m = fmaxf(m, fmaxf(fabsf(zr * hv.x - zi * hv.y), fabsf(zr * hv.y + zi * hv.x)));
  }
  const float beta = inv_pow2_scale(block_max(m, sm.red));
  for (int p = threadIdx.x; p < pl.n; p += blockDim.x) {
    const int a = pad(p);
    const float zr = __half2float(sm.re[a]), zi = __half2float(sm.im[a]);
    const float2 hv = __half22float2(hc[p]);
    sm.re[a] = __float2half_rn((zr * hv.x - zi * hv.y) * beta);
    sm.im[a] = __float2half_rn((zr * hv.y + zi * hv.x) * beta);
  }
  __syncthreads();
  const float osc = hscale[c] / (static_cast<float>(pl.n) * beta * su);
  __half *re = sm.re, *im = sm.im;
  fft_inverse(pl, re, im, sm.tabs, len, [&](int p, float xr, float xi) {
    re[pad(p)] = bf16_bits(xr * osc);
    im[pad(p)] = bf16_bits(xi * osc);
  });
  cluster.sync();
  __nv_bfloat16* y0 = y + b0 * T * D + c0;
  tile_store(y0, has1 ? y0 + T * D : nullptr, len, D, sm.re, sm.im);
  cluster.sync();
}

// grid (D, groups), clusters (kTile, 1, 1): backward_kernel's steps with the tile's loads of dy, u and stores of du.
__global__ void __launch_bounds__(256)
    tile_backward_kernel(const __nv_bfloat16* __restrict__ u, const __nv_bfloat16* __restrict__ dy,
                         const __half2* __restrict__ hspec, const float* __restrict__ hscale,
                         __nv_bfloat16* __restrict__ du, float* __restrict__ partial, Plan pl, std::int64_t B,
                         std::int64_t T, std::int64_t D, std::int64_t ppg) {
  const Smem sm = carve(pl, true, static_cast<int>(T));
  cg::cluster_group cluster = cg::this_cluster();
  const std::int64_t c = blockIdx.x, c0 = c - cluster.block_rank(), grp = blockIdx.y, pairs = (B + 1) / 2;
  const int len = static_cast<int>(T);
  build_tables(sm.tabs, pl);
  for (int t = threadIdx.x; t < len; t += blockDim.x) sm.acc[t] = 0.f;
  const __half2* hc = hspec + c * pl.n;
  const float hs = hscale[c], inv_n = 1.f / static_cast<float>(pl.n);
  const std::int64_t q_end = std::min(pairs, (grp + 1) * ppg);
  __half *re = sm.re, *im = sm.im;
  float* acc = sm.acc;
  for (std::int64_t q = grp * ppg; q < q_end; ++q) {
    const std::int64_t b0 = 2 * q;
    const bool has1 = b0 + 1 < B;
    const __nv_bfloat16 *g0 = dy + b0 * T * D + c0, *u0 = u + b0 * T * D + c0;
    cluster.sync();
    tile_load(g0, has1 ? g0 + T * D : nullptr, len, D, sm.re, sm.im, pl.n);
    tile_load(u0, has1 ? u0 + T * D : nullptr, len, D, sm.re2, sm.im2, pl.n);
    cluster.sync();
    const float sd = scale_loaded(sm.re, sm.im, len, sm.red);
    const float su = scale_loaded(sm.re2, sm.im2, len, sm.red);
    fft_forward(pl, sm.re, sm.im, sm.tabs, len);
    fft_forward(pl, sm.re2, sm.im2, sm.tabs, len);
    float m1 = 0.f, m2 = 0.f;
    for (int p = threadIdx.x; p < pl.n; p += blockDim.x) {
      const int a = pad(p);
      const float dr = __half2float(sm.re[a]), di = __half2float(sm.im[a]);
      const float ur = __half2float(sm.re2[a]), ui = __half2float(sm.im2[a]);
      const float2 hv = __half22float2(hc[p]);
      m1 = fmaxf(m1, fmaxf(fabsf(dr * hv.x + di * hv.y), fabsf(di * hv.x - dr * hv.y)));
      m2 = fmaxf(m2, fmaxf(fabsf(dr * ur + di * ui), fabsf(di * ur - dr * ui)));
    }
    const float b1 = inv_pow2_scale(block_max(m1, sm.red)), b2 = inv_pow2_scale(block_max(m2, sm.red));
    for (int p = threadIdx.x; p < pl.n; p += blockDim.x) {
      const int a = pad(p);
      const float dr = __half2float(sm.re[a]), di = __half2float(sm.im[a]);
      const float ur = __half2float(sm.re2[a]), ui = __half2float(sm.im2[a]);
      const float2 hv = __half22float2(hc[p]);
      sm.re[a] = __float2half_rn((dr * hv.x + di * hv.y) * b1);
      sm.im[a] = __float2half_rn((di * hv.x - dr * hv.y) * b1);
      sm.re2[a] = __float2half_rn((dr * ur + di * ui) * b2);
      sm.im2[a] = __float2half_rn((di * ur - dr * ui) * b2);
    }
    __syncthreads();
    const float osc_u = hs * inv_n / (b1 * sd), osc_h = inv_n / (b2 * sd * su);
    fft_inverse(pl, re, im, sm.tabs, len, [&](int p, float xr, float xi) {
      re[pad(p)] = bf16_bits(xr * osc_u);
      im[pad(p)] = bf16_bits(xi * osc_u);
    });
    __syncthreads();
    fft_inverse(pl, sm.re2, sm.im2, sm.tabs, len, [&](int p, float xr, float) { acc[p] += xr * osc_h; });
    cluster.sync();
    __nv_bfloat16* d0 = du + b0 * T * D + c0;
    tile_store(d0, has1 ? d0 + T * D : nullptr, len, D, sm.re, sm.im);
  }
  cluster.sync();
  float* out = partial + (grp * D + c) * T;
  for (int t = threadIdx.x; t < len; t += blockDim.x) out[t] = sm.acc[t];
}

bool aligned16(const void* p) { return (reinterpret_cast<std::uintptr_t>(p) & 15u) == 0; }

// Fills cfg (attr: its cluster dimension) for kernel on clusters of kTile CTAs with `bytes` of shared memory each;
// whether such a cluster fits on the device (the answer cached per device, kernel and bytes).
template <class... Params>
bool prepare(void (*kernel)(Params...), dim3 grid, int threads, std::size_t bytes, cudaStream_t s,
             cudaLaunchConfig_t& cfg, cudaLaunchAttribute& attr) {
  int dev = 0, optin = 0;
  MENAGERIE_CUDA_CHECK(cudaGetDevice(&dev));
  MENAGERIE_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
  if (bytes > static_cast<std::size_t>(optin)) return false;
  cuda::allow_dynamic_smem(kernel, bytes);
  cfg = cudaLaunchConfig_t{};
  cfg.gridDim = grid;
  cfg.blockDim = dim3(static_cast<unsigned>(threads));
  cfg.dynamicSmemBytes = bytes;
  cfg.stream = s;
  attr.id = cudaLaunchAttributeClusterDimension;
  attr.val.clusterDim.x = kTile;
  attr.val.clusterDim.y = 1;
  attr.val.clusterDim.z = 1;
  cfg.attrs = &attr;
  cfg.numAttrs = 1;
  static std::mutex mu;
  static std::map<std::tuple<int, const void*, std::size_t>, int> known;
  const std::lock_guard<std::mutex> lock(mu);
  const auto key = std::make_tuple(dev, reinterpret_cast<const void*>(kernel), bytes);
  auto it = known.find(key);
  if (it == known.end()) {
    int clusters = 0;
    MENAGERIE_CUDA_CHECK(cudaOccupancyMaxActiveClusters(&clusters, kernel, &cfg));
    it = known.emplace(key, clusters).first;
  }
  return it->second > 0;
}

// Launches kernel on clusters of kTile CTAs when such a cluster fits; false, launching nothing, otherwise.
template <class... Params, class... Args>
bool launch_tiles(void (*kernel)(Params...), dim3 grid, int threads, std::size_t bytes, cudaStream_t s,
                  Args&&... args) {
  cudaLaunchConfig_t cfg{};
  cudaLaunchAttribute attr{};
  if (!prepare(kernel, grid, threads, bytes, s, cfg, attr)) return false;
  MENAGERIE_CUDA_CHECK(cudaLaunchKernelEx(&cfg, kernel, std::forward<Args>(args)...));
  return true;
}

}  // namespace

bool uses_channel_tiles(const Problem& p) {
  if (!unsupported(p).empty()) return false;
  const Plan pl = make_plan(p.T);
  if (pl.cl != 1 || p.D % kTile != 0) return false;
  cudaLaunchConfig_t cfg{};
  cudaLaunchAttribute attr{};
  const dim3 grid(kTile);
  return prepare(tile_forward_kernel, grid, threads_for(pl), smem_bytes(pl, false, 0), nullptr, cfg, attr) &&
         prepare(tile_backward_kernel, grid, threads_for(pl), smem_bytes(pl, true, p.T), nullptr, cfg, attr);
}

bool tiled_forward(const Problem& p, const Plan& pl, const void* u, const __half2* hspec, const float* hscale,
                   void* y, cudaStream_t s) {
  if (pl.cl != 1 || p.D % kTile != 0 || !aligned16(u) || !aligned16(y)) return false;
  const dim3 grid(static_cast<unsigned>(p.D), static_cast<unsigned>((p.B + 1) / 2));
  return launch_tiles(tile_forward_kernel, grid, threads_for(pl), smem_bytes(pl, false, 0), s,
                      static_cast<const __nv_bfloat16*>(u), hspec, hscale, static_cast<__nv_bfloat16*>(y), pl, p.B,
                      p.T, p.D);
}

bool tiled_backward(const Problem& p, const Plan& pl, std::int64_t groups, std::int64_t ppg, const void* u,
                    const void* dy, const __half2* hspec, const float* hscale, void* du, float* partial,
                    cudaStream_t s) {
  if (pl.cl != 1 || p.D % kTile != 0 || !aligned16(u) || !aligned16(dy) || !aligned16(du)) return false;
  const dim3 grid(static_cast<unsigned>(p.D), static_cast<unsigned>(groups));
  return launch_tiles(tile_backward_kernel, grid, threads_for(pl), smem_bytes(pl, true, p.T), s,
                      static_cast<const __nv_bfloat16*>(u), static_cast<const __nv_bfloat16*>(dy), hspec, hscale,
                      static_cast<__nv_bfloat16*>(du), partial, pl, p.B, p.T, p.D, ppg);
}

}  // namespace menagerie::opt::long_conv::fft_tc_bf16
