// fft_tc_bf16 for 8192 < T <= 65536: the same three steps as the single-CTA kernels (fft_tc_bf16.cu), each sequence
// pair spread over a thread-block cluster of cl = N_tot / 16384 = 2, 4, 8 CTAs (N_tot = 32768, 65536, 131072).
//
// Math (index maps in fft_tc_plan.hpp, checked in double by verify/fft_cluster_plan_test.cpp). CTA r holds positions
// P = r n + p, p < n = 16384, of the padded pair. Forward: the cluster stage
//   X'[k n + p] = exp(-2 pi i k p / N_tot) sum_{j < cl} x[j n + p] exp(-2 pi i jk / cl)
// (rows j >= ceil(T / n) are padding and skipped), then each CTA's local FFT of size n (32x32x16 on tensor cores), so
// X[k + cl q] sits in CTA k at q's digit-reversed position. The filter's spectrum is stored in the same order
// ([D, N_tot], CTA r's block at r n), so the product stays pointwise and CTA-local. Inverse: the local inverse (n
// times the local inverse DFT, stored in fp16: below sqrt(2) n), then the cluster stage's adjoint
//   out[k n + p] = sum_j exp(+2 pi i jk / cl) exp(+2 pi i j p / N_tot) Z'[j n + p]   for k n + p < T only.
// The cluster stage runs in fp32 through distributed shared memory: CTA r takes the offsets p in
// [r n / cl, (r + 1) n / cl) of all cl rows, reading the other CTAs' planes (cluster.map_shared_rank) and writing the
// results back to them. Each offset belongs to one thread, so the stage needs no barrier inside; cluster barriers
// come before it (every CTA's block written) and after it (every result written, every remote read done).
// Scales (exact powers of two) are cluster-wide: each CTA's block maximum goes to its shared slot, and after a cluster
// barrier every thread reads all cl slots. The inputs get the extra 2^-headroom of fft_tc_plan.hpp (fp16 range).
//
// Kernels (grid x = D cl, channel c = blockIdx.x / cl, cluster dims (cl, 1, 1)):
//   filter_spectrum   grid (D cl): hspec[c] and hscale[c] as the single-CTA kernel's, in the cluster order
//   forward           grid (D cl, ceil(B / 2)): y rows t < T written by the CTA whose offsets hold t mod n
//   backward          grid (D cl, groups): du written at once; Re ifft(DZ conj(UZ)) at t < T summed over the group's
//                     pairs in order, in fp32 in the shared memory of the CTA that owns t's offset (acc[k share + p -
//                     r share] for t = k n + p), then written to the group's partial dh; dh_reduce (fft_tc_bf16.cu)
//                     sums the groups in order. No atomics: bitwise reproducible.
// Shared memory per CTA: 2 (forward) or 4 (backward) padded fp16 planes of n, the DFT tables and, in the backward, n
// fp32 accumulators: 78 KB and 206 KB. The launch checks the device's per-block opt-in limit and that a cluster of cl
// such CTAs can be resident (cudaOccupancyMaxActiveClusters), and throws ShapeError otherwise.
#include <cooperative_groups.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>
#include <utility>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/dynamic_smem.hpp"
#include "optimized/long_conv/fft_tc_bf16.cuh"

namespace menagerie::opt::long_conv::fft_tc_bf16 {
namespace {

namespace cg = cooperative_groups;

// The largest a and b over the cluster (a, b >= 0). All threads of every CTA take part; ends with a cluster barrier.
__device__ float2 cluster_max2(float a, float b, const Smem& sm) {
  cg::cluster_group cluster = cg::this_cluster();
  a = block_max(a, sm.red);
  b = block_max(b, sm.red);
  if (threadIdx.x == 0) {
    sm.slot[0] = a;
    sm.slot[1] = b;
  }
  cluster.sync();
  float2 r{0.f, 0.f};
  for (unsigned j = 0; j < cluster.num_blocks(); ++j) {
    const float* s = cluster.map_shared_rank(sm.slot, j);
    r.x = fmaxf(r.x, s[0]);
    r.y = fmaxf(r.y, s[1]);
  }
  cluster.sync();
  return r;
}

// exp(sign 2 pi i r / 2^lg) as (cos, sin), the angle reduced to [-pi, pi].
__device__ __forceinline__ float2 unit(int r, int lg, float sign) {
  float f = ldexpf(static_cast<float>(r), -lg);
  if (f > 0.5f) f -= 1.f;
  float sn, cs;
  sincospif(sign * 2.f * f, &sn, &cs);
  return {cs, sn};
}

// Forward cluster stage on this CTA's share of offsets (between cluster barriers).
template <int C>
__device__ void cluster_stage_forward(const Plan& pl, __half* re, __half* im, int in_rows) {
  cg::cluster_group cluster = cg::this_cluster();
  const int share = cluster_share(pl.n, C), p0 = static_cast<int>(cluster.block_rank()) * share;
  float2 w[C];
#pragma unroll
  for (int j = 0; j < C; ++j) w[j] = unit(j, __ffs(C) - 1, -1.f);
  for (int p = p0 + static_cast<int>(threadIdx.x); p < p0 + share; p += blockDim.x) {
    const int a = pad(p);
    float xr[C], xi[C];
#pragma unroll
    for (int j = 0; j < C; ++j) {
      xr[j] = j < in_rows ? __half2float(*cluster.map_shared_rank(re + a, j)) : 0.f;
      xi[j] = j < in_rows ? __half2float(*cluster.map_shared_rank(im + a, j)) : 0.f;
    }
#pragma unroll
    for (int k = 0; k < C; ++k) {
      float yr = 0.f, yi = 0.f;
#pragma unroll
      for (int j = 0; j < C; ++j) {
        const float2 v = w[(j * k) & (C - 1)];
        yr += xr[j] * v.x - xi[j] * v.y;
        yi += xr[j] * v.y + xi[j] * v.x;
      }
      const float2 t = unit(cluster_twiddle_index(k, p, pl.lg_total()), pl.lg_total(), -1.f);
      *cluster.map_shared_rank(re + a, k) = __float2half_rn(yr * t.x - yi * t.y);
      *cluster.map_shared_rank(im + a, k) = __float2half_rn(yr * t.y + yi * t.x);
    }
  }
}

// Inverse cluster stage on this CTA's share of offsets (after a cluster barrier): fin(t, re, im) in fp32 for t < len.
template <int C, class Fin>
__device__ void cluster_stage_inverse(const Plan& pl, const __half* re, const __half* im, int len, Fin&& fin) {
  cg::cluster_group cluster = cg::this_cluster();
  const int share = cluster_share(pl.n, C), p0 = static_cast<int>(cluster.block_rank()) * share;
  float2 w[C];
#pragma unroll
  for (int j = 0; j < C; ++j) w[j] = unit(j, __ffs(C) - 1, 1.f);
  for (int p = p0 + static_cast<int>(threadIdx.x); p < p0 + share; p += blockDim.x) {
    const int a = pad(p), rows = cluster_out_rows(len, p, pl.lg);
    float xr[C], xi[C];
#pragma unroll
    for (int j = 0; j < C; ++j) {
      const float2 t = unit(cluster_twiddle_index(j, p, pl.lg_total()), pl.lg_total(), 1.f);
      const float zr = __half2float(*cluster.map_shared_rank(re + a, j));
      const float zi = __half2float(*cluster.map_shared_rank(im + a, j));
      xr[j] = zr * t.x - zi * t.y;
      xi[j] = zr * t.y + zi * t.x;
    }
#pragma unroll
    for (int k = 0; k < C; ++k) {
      if (k >= rows) break;
      float yr = 0.f, yi = 0.f;
#pragma unroll
      for (int j = 0; j < C; ++j) {
        const float2 v = w[(j * k) & (C - 1)];
        yr += xr[j] * v.x - xi[j] * v.y;
        yi += xr[j] * v.y + xi[j] * v.x;
      }
      fin(k * pl.n + p, yr, yi);
    }
  }
}

__device__ void stage_forward(const Plan& pl, __half* re, __half* im, int in_rows) {
  switch (pl.cl) {
    case 2: cluster_stage_forward<2>(pl, re, im, in_rows); break;
    case 4: cluster_stage_forward<4>(pl, re, im, in_rows); break;
    default: cluster_stage_forward<8>(pl, re, im, in_rows); break;
  }
}

template <class Fin>
__device__ void stage_inverse(const Plan& pl, const __half* re, const __half* im, int len, Fin&& fin) {
  switch (pl.cl) {
    case 2: cluster_stage_inverse<2>(pl, re, im, len, fin); break;
    case 4: cluster_stage_inverse<4>(pl, re, im, len, fin); break;
    default: cluster_stage_inverse<8>(pl, re, im, len, fin); break;
  }
}

// The local inverse of all n positions, stored in place in fp16 (the cluster stage reads it). Ends with a barrier.
__device__ void local_inverse(const Plan& pl, __half* re, __half* im, const __half* tabs) {
  fft_inverse(pl, re, im, tabs, pl.n, [&](int p, float xr, float xi) {
    re[pad(p)] = __float2half_rn(xr);
    im[pad(p)] = __float2half_rn(xi);
  });
  __syncthreads();
}

// This CTA's count of input positions t0 + t < T (t < n).
__device__ __forceinline__ int block_len(std::int64_t T, std::int64_t t0, int n) {
  return static_cast<int>(std::clamp<std::int64_t>(T - t0, 0, n));
}

// 2^-e with m 2^-e in [1/2, 1), times the plan's fp16 headroom.
__device__ __forceinline__ float input_scale(const Plan& pl, float m) {
  return ldexpf(inv_pow2_scale(m), -pl.headroom);
}

__global__ void __launch_bounds__(256)
    cluster_filter_spectrum_kernel(const __nv_bfloat16* __restrict__ h, __half2* __restrict__ hspec,
                                   float* __restrict__ hscale, Plan pl, std::int64_t T, std::int64_t L) {
  const Smem sm = carve(pl, false, 0);
  cg::cluster_group cluster = cg::this_cluster();
  const int rank = static_cast<int>(cluster.block_rank());
  const std::int64_t c = blockIdx.x / pl.cl, t0 = std::int64_t{rank} * pl.n;
  const int len = block_len(T, t0, pl.n);
  build_tables(sm.tabs, pl);
  const float mx = load_raw(h + c * L + t0, nullptr, len, 1, sm.re, sm.im, pl.n);
  const float sh = input_scale(pl, cluster_max2(mx, 0.f, sm).x);
  scale_raw(sm.re, sm.im, len, sh);
  cluster.sync();
  stage_forward(pl, sm.re, sm.im, cluster_in_rows(static_cast<int>(T), pl.lg));
  cluster.sync();
  fft_forward(pl, sm.re, sm.im, sm.tabs, pl.n);
  float m = 0.f;
  for (int p = threadIdx.x; p < pl.n; p += blockDim.x)
    m = fmaxf(m, fmaxf(fabsf(__half2float(sm.re[pad(p)])), fabsf(__half2float(sm.im[pad(p)]))));
  const float sn = inv_pow2_scale(cluster_max2(m, 0.f, sm).x);
  __half2* out = hspec + c * pl.n_total() + t0;
  for (int p = threadIdx.x; p < pl.n; p += blockDim.x)
    out[p] = __floats2half2_rn(__half2float(sm.re[pad(p)]) * sn, __half2float(sm.im[pad(p)]) * sn);
  if (rank == 0 && threadIdx.x == 0) hscale[c] = 1.f / (sh * sn);
}

__global__ void __launch_bounds__(256)
    cluster_forward_kernel(const __nv_bfloat16* __restrict__ u, const __half2* __restrict__ hspec,
                           const float* __restrict__ hscale, __nv_bfloat16* __restrict__ y, Plan pl, std::int64_t B,
                           std::int64_t T, std::int64_t D) {
  const Smem sm = carve(pl, false, 0);
  cg::cluster_group cluster = cg::this_cluster();
  const int rank = static_cast<int>(cluster.block_rank());
  const std::int64_t c = blockIdx.x / pl.cl, b0 = 2 * static_cast<std::int64_t>(blockIdx.y);
  const std::int64_t t0 = std::int64_t{rank} * pl.n;
  const bool has1 = b0 + 1 < B;
  const int len = block_len(T, t0, pl.n);
  build_tables(sm.tabs, pl);
  const __nv_bfloat16* u0 = u + b0 * T * D + c;
  const float mx = load_raw(u0 + t0 * D, has1 ? u0 + T * D + t0 * D : nullptr, len, D, sm.re, sm.im, pl.n);
  const float su = input_scale(pl, cluster_max2(mx, 0.f, sm).x);
  scale_raw(sm.re, sm.im, len, su);
  cluster.sync();
  stage_forward(pl, sm.re, sm.im, cluster_in_rows(static_cast<int>(T), pl.lg));
  cluster.sync();
  fft_forward(pl, sm.re, sm.im, sm.tabs, pl.n);
  const __half2* hc = hspec + c * pl.n_total() + t0;
  float m = 0.f;
  for (int p = threadIdx.x; p < pl.n; p += blockDim.x) {
    const float zr = __half2float(sm.re[pad(p)]), zi = __half2float(sm.im[pad(p)]);
    const float2 hv = __half22float2(hc[p]);
    m = fmaxf(m, fmaxf(fabsf(zr * hv.x - zi * hv.y), fabsf(zr * hv.y + zi * hv.x)));
  }
  const float beta = inv_pow2_scale(cluster_max2(m, 0.f, sm).x);
  for (int p = threadIdx.x; p < pl.n; p += blockDim.x) {
    const int a = pad(p);
    const float zr = __half2float(sm.re[a]), zi = __half2float(sm.im[a]);
    const float2 hv = __half22float2(hc[p]);
    sm.re[a] = __float2half_rn((zr * hv.x - zi * hv.y) * beta);
    sm.im[a] = __float2half_rn((zr * hv.y + zi * hv.x) * beta);
  }
  __syncthreads();
  local_inverse(pl, sm.re, sm.im, sm.tabs);
  cluster.sync();
  const float osc = hscale[c] / (static_cast<float>(pl.n_total()) * beta * su);
  __nv_bfloat16* y0 = y + b0 * T * D + c;
  __nv_bfloat16* y1 = y0 + T * D;
  stage_inverse(pl, sm.re, sm.im, static_cast<int>(T), [&](int t, float xr, float xi) {
    y0[static_cast<std::int64_t>(t) * D] = __float2bfloat16_rn(xr * osc);
    if (has1) y1[static_cast<std::int64_t>(t) * D] = __float2bfloat16_rn(xi * osc);
  });
  cluster.sync();
}

__global__ void __launch_bounds__(256)
    cluster_backward_kernel(const __nv_bfloat16* __restrict__ u, const __nv_bfloat16* __restrict__ dy,
                            const __half2* __restrict__ hspec, const float* __restrict__ hscale,
                            __nv_bfloat16* __restrict__ du, float* __restrict__ partial, Plan pl, std::int64_t B,
                            std::int64_t T, std::int64_t D, std::int64_t ppg) {
  const Smem sm = carve(pl, true, pl.n);
  cg::cluster_group cluster = cg::this_cluster();
  const int rank = static_cast<int>(cluster.block_rank()), share = cluster_share(pl.n, pl.cl);
  const std::int64_t c = blockIdx.x / pl.cl, grp = blockIdx.y, pairs = (B + 1) / 2, t0 = std::int64_t{rank} * pl.n;
  const int len = block_len(T, t0, pl.n), in_rows = cluster_in_rows(static_cast<int>(T), pl.lg);
  build_tables(sm.tabs, pl);
  for (int i = threadIdx.x; i < pl.n; i += blockDim.x) sm.acc[i] = 0.f;
  const __half2* hc = hspec + c * pl.n_total() + t0;
  const float hs = hscale[c], inv_n = 1.f / static_cast<float>(pl.n_total());
  float* acc = sm.acc;
  const int p0 = rank * share;
  const std::int64_t q_end = std::min(pairs, (grp + 1) * ppg);
  for (std::int64_t q = grp * ppg; q < q_end; ++q) {
    const std::int64_t b0 = 2 * q;
    const bool has1 = b0 + 1 < B;
    const __nv_bfloat16 *g0 = dy + b0 * T * D + c, *u0 = u + b0 * T * D + c;
    const float md = load_raw(g0 + t0 * D, has1 ? g0 + T * D + t0 * D : nullptr, len, D, sm.re, sm.im, pl.n);
    const float mu = load_raw(u0 + t0 * D, has1 ? u0 + T * D + t0 * D : nullptr, len, D, sm.re2, sm.im2, pl.n);
    const float2 mdu = cluster_max2(md, mu, sm);
    const float sd = input_scale(pl, mdu.x), su = input_scale(pl, mdu.y);
    scale_raw(sm.re, sm.im, len, sd);
    scale_raw(sm.re2, sm.im2, len, su);
    cluster.sync();
    stage_forward(pl, sm.re, sm.im, in_rows);
    stage_forward(pl, sm.re2, sm.im2, in_rows);
    cluster.sync();
    fft_forward(pl, sm.re, sm.im, sm.tabs, pl.n);
    fft_forward(pl, sm.re2, sm.im2, sm.tabs, pl.n);
    float m1 = 0.f, m2 = 0.f;
    for (int p = threadIdx.x; p < pl.n; p += blockDim.x) {
      const int a = pad(p);
      const float dr = __half2float(sm.re[a]), di = __half2float(sm.im[a]);
      const float ur = __half2float(sm.re2[a]), ui = __half2float(sm.im2[a]);
      const float2 hv = __half22float2(hc[p]);
      m1 = fmaxf(m1, fmaxf(fabsf(dr * hv.x + di * hv.y), fabsf(di * hv.x - dr * hv.y)));
      m2 = fmaxf(m2, fmaxf(fabsf(dr * ur + di * ui), fabsf(di * ur - dr * ui)));
    }
    const float2 bm = cluster_max2(m1, m2, sm);
    const float b1 = inv_pow2_scale(bm.x), b2 = inv_pow2_scale(bm.y);
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
    local_inverse(pl, sm.re, sm.im, sm.tabs);
    local_inverse(pl, sm.re2, sm.im2, sm.tabs);
    cluster.sync();
    const float osc_u = hs * inv_n / (b1 * sd), osc_h = inv_n / (b2 * sd * su);
    __nv_bfloat16* d0 = du + b0 * T * D + c;
    __nv_bfloat16* d1 = d0 + T * D;
    stage_inverse(pl, sm.re, sm.im, static_cast<int>(T), [&](int t, float xr, float xi) {
      d0[static_cast<std::int64_t>(t) * D] = __float2bfloat16_rn(xr * osc_u);
      if (has1) d1[static_cast<std::int64_t>(t) * D] = __float2bfloat16_rn(xi * osc_u);
    });
    stage_inverse(pl, sm.re2, sm.im2, static_cast<int>(T), [&](int t, float xr, float) {
      acc[(t >> pl.lg) * share + (t & (pl.n - 1)) - p0] += xr * osc_h;
    });
    cluster.sync();
  }
  float* out = partial + (grp * D + c) * T;
  for (int i = threadIdx.x; i < pl.n; i += blockDim.x) {
    const std::int64_t t = std::int64_t{i / share} * pl.n + p0 + i % share;
    if (t < T) out[t] = acc[i];
  }
}

// Launches kernel over clusters of pl.cl CTAs with `bytes` of dynamic shared memory, after checking that the device
// can hold such a cluster (the answer cached per device, kernel, size and bytes); a shape it cannot run is a
// ShapeError naming T and the bytes.
template <class... Params, class... Args>
void launch(void (*kernel)(Params...), dim3 grid, const Plan& pl, std::size_t bytes, std::int64_t T, cudaStream_t s,
            Args&&... args) {
  int dev = 0, optin = 0;
  MENAGERIE_CUDA_CHECK(cudaGetDevice(&dev));
  MENAGERIE_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
  require<ShapeError>(bytes <= static_cast<std::size_t>(optin), "long_conv fft_tc_bf16: T = ", T, " needs ", bytes,
                      " bytes of shared memory per CTA (clusters of ", pl.cl, "), the device allows ", optin);
  cuda::allow_dynamic_smem(kernel, bytes);
  cudaLaunchConfig_t cfg{};
  cfg.gridDim = grid;
  cfg.blockDim = dim3(static_cast<unsigned>(threads_for(pl)));
  cfg.dynamicSmemBytes = bytes;
  cfg.stream = s;
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeClusterDimension;
  attr[0].val.clusterDim.x = static_cast<unsigned>(pl.cl);
  attr[0].val.clusterDim.y = 1;
  attr[0].val.clusterDim.z = 1;
  cfg.attrs = attr;
  cfg.numAttrs = 1;
  static std::mutex mu;
  static std::map<std::tuple<int, const void*, int, std::size_t>, int> known;
  int clusters = 0;
  {
    const std::lock_guard<std::mutex> lock(mu);
    const auto key = std::make_tuple(dev, reinterpret_cast<const void*>(kernel), pl.cl, bytes);
    const auto it = known.find(key);
    if (it != known.end()) {
      clusters = it->second;
    } else {
      MENAGERIE_CUDA_CHECK(cudaOccupancyMaxActiveClusters(&clusters, kernel, &cfg));
      known.emplace(key, clusters);
    }
  }
  require<ShapeError>(clusters > 0, "long_conv fft_tc_bf16: T = ", T, ": no cluster of ", pl.cl, " CTAs with ", bytes,
                      " bytes of shared memory each fits on this device");
  MENAGERIE_CUDA_CHECK(cudaLaunchKernelEx(&cfg, kernel, std::forward<Args>(args)...));
}

}  // namespace

void cluster_filter_spectrum(const Problem& p, const Plan& pl, const void* h, __half2* hspec, float* hscale,
                             cudaStream_t s) {
  launch(cluster_filter_spectrum_kernel, dim3(static_cast<unsigned>(p.D * pl.cl)), pl, smem_bytes(pl, false, 0), p.T,
         s, static_cast<const __nv_bfloat16*>(h), hspec, hscale, pl, p.T, p.L);
}

void cluster_forward(const Problem& p, const Plan& pl, const void* u, const __half2* hspec, const float* hscale,
                     void* y, cudaStream_t s) {
  const dim3 grid(static_cast<unsigned>(p.D * pl.cl), static_cast<unsigned>((p.B + 1) / 2));
  launch(cluster_forward_kernel, grid, pl, smem_bytes(pl, false, 0), p.T, s, static_cast<const __nv_bfloat16*>(u),
         hspec, hscale, static_cast<__nv_bfloat16*>(y), pl, p.B, p.T, p.D);
}

void cluster_backward(const Problem& p, const Plan& pl, std::int64_t groups, std::int64_t ppg, const void* u,
                      const void* dy, const __half2* hspec, const float* hscale, void* du, float* partial,
                      cudaStream_t s) {
  const dim3 grid(static_cast<unsigned>(p.D * pl.cl), static_cast<unsigned>(groups));
  launch(cluster_backward_kernel, grid, pl, smem_bytes(pl, true, pl.n), p.T, s, static_cast<const __nv_bfloat16*>(u),
         static_cast<const __nv_bfloat16*>(dy), hspec, hscale, static_cast<__nv_bfloat16*>(du), partial, pl, p.B, p.T,
         p.D, ppg);
}

}  // namespace menagerie::opt::long_conv::fft_tc_bf16
