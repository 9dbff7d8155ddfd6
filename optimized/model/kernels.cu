// The kernels of optimized/model/kernels.hpp (the math is there).
#include <algorithm>

#include "core/philox.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/column_sums.cuh"
#include "optimized/common/pointwise.hpp"
#include "optimized/model/kernels.hpp"

namespace menagerie::opt::model {
namespace {

constexpr int kWarp = 32, kRowsPerBlock = 8, kChunkRows = 64;

std::uint64_t threshold_of(double p) { return p > 0 ? static_cast<std::uint64_t>(p * 4294967296.0) : 0; }

__device__ __forceinline__ float dropped(float x, std::uint64_t seed, std::uint64_t index, std::uint64_t threshold,
                                         float scale) {
  if (threshold == 0) return x;
  return philox::word(seed, 0, index) >= threshold ? x * scale : 0.f;
}

// Butterfly sums: every lane ends with the same bits.
__device__ __forceinline__ float warp_sum(float x) {
  for (int o = kWarp / 2; o > 0; o /= 2) x += __shfl_xor_sync(0xffffffffu, x, o);
  return x;
}
__global__ void embed_finish_kernel(const float* __restrict__ P, std::int64_t rows, std::int64_t T, std::int64_t d,
                                    std::uint64_t threshold, float scale, const std::uint64_t* __restrict__ seed,
                                    float* __restrict__ s0) {
  const std::int64_t k = element_index();
  if (k >= rows * d) return;
  float h = s0[k];
  if (P) h += P[(k / d % T) * d + k % d];
  s0[k] = dropped(h, *seed, static_cast<std::uint64_t>(k), threshold, scale);
}

__global__ void embed_grad_kernel(const float* __restrict__ ds, std::int64_t n, std::uint64_t threshold, float scale,
                                  const std::uint64_t* __restrict__ seed, float* __restrict__ g) {
  const std::int64_t k = element_index();
  if (k < n) g[k] = dropped(ds[k], *seed, static_cast<std::uint64_t>(k), threshold, scale);
}

__global__ void rms_forward_kernel(const float* __restrict__ x, const float* __restrict__ w, std::int64_t rows,
                                   std::int64_t d, float eps, float* __restrict__ y, float* __restrict__ rstd) {
  const std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.y;
  if (r >= rows) return;
  const int lane = threadIdx.x;
  const float* xr = x + r * d;
  float q = 0.f;
  for (std::int64_t e = lane; e < d; e += kWarp) q += xr[e] * xr[e];
  const float rs = 1.f / sqrtf(warp_sum(q) / static_cast<float>(d) + eps);
  if (lane == 0) rstd[r] = rs;
  for (std::int64_t e = lane; e < d; e += kWarp) y[r * d + e] = xr[e] * rs * w[e];
}

__global__ void rms_backward_rows_kernel(const float* __restrict__ dy, const float* __restrict__ x,
                                         const float* __restrict__ w, const float* __restrict__ rstd,
                                         std::int64_t rows, std::int64_t d, float* __restrict__ dx) {
  const std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.y;
  if (r >= rows) return;
  const int lane = threadIdx.x;
  const float *g = dy + r * d, *xr = x + r * d, rs = rstd[r];
  float sgh = 0.f;
  for (std::int64_t e = lane; e < d; e += kWarp) sgh += g[e] * w[e] * (xr[e] * rs);
  const float mgh = warp_sum(sgh) / static_cast<float>(d);
  for (std::int64_t e = lane; e < d; e += kWarp) dx[r * d + e] = rs * (g[e] * w[e] - xr[e] * rs * mgh);
}

// partial[c, e] = Σ dy x rstd over the rows of chunk c, in row order; then dw[e] = Σ_c partial[c, e].
__global__ void rms_partial_kernel(const float* __restrict__ dy, const float* __restrict__ x,
                                   const float* __restrict__ rstd, std::int64_t rows, std::int64_t d,
                                   float* __restrict__ partial) {
  const std::int64_t e = element_index(), c = blockIdx.y;
  if (e >= d) return;
  float s = 0.f;
  const std::int64_t hi = std::min<std::int64_t>(rows, (c + 1) * kChunkRows);
  for (std::int64_t r = c * kChunkRows; r < hi; ++r) s += dy[r * d + e] * (x[r * d + e] * rstd[r]);
  partial[c * d + e] = s;
}

__global__ void add_kernel(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out,
                           std::int64_t n) {
  const std::int64_t i = element_index();
  if (i < n) out[i] = a[i] + b[i];
}

__global__ void move_rows_kernel(const float* __restrict__ src, const std::int32_t* __restrict__ rows,
                                 std::int64_t n, std::int64_t d, float* __restrict__ dst, bool scatter) {
  const std::int64_t k = element_index();
  if (k >= n * d) return;
  const std::int64_t i = k / d, e = k % d, r = rows[i];
  if (scatter)
    dst[r * d + e] = src[k];
  else
    dst[k] = src[r * d + e];
}

__global__ void argmax_kernel(const float* __restrict__ z, std::int64_t n, std::int64_t V,
                              std::int32_t* __restrict__ best) {
  const std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.y;
  if (r >= n) return;
  const int lane = threadIdx.x;
  const float* zr = z + r * V;
  float bv = -INFINITY;
  std::int64_t bi = V;
  for (std::int64_t v = lane; v < V; v += kWarp)
    if (zr[v] > bv || bi == V) bv = zr[v], bi = v;
  for (int o = kWarp / 2; o > 0; o /= 2) {
    const float ov = __shfl_xor_sync(0xffffffffu, bv, o);
    const std::int64_t oi = __shfl_xor_sync(0xffffffffu, bi, o);
    if (ov > bv || (ov == bv && oi < bi)) bv = ov, bi = oi;
  }
  if (lane == 0) best[r] = static_cast<std::int32_t>(bi);
}

unsigned row_blocks(std::int64_t rows) { return static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock); }
const dim3 kRowThreads(kWarp, kRowsPerBlock);

float scale_of(double p) { return p > 0 ? static_cast<float>(1.0 / (1.0 - p)) : 1.f; }

}  // namespace

void embed_finish(const float* P, std::int64_t rows, std::int64_t T, std::int64_t d, double p_drop,
                  const std::uint64_t* seed, float* s0, cudaStream_t stream) {
  embed_finish_kernel<<<pointwise_blocks(rows * d), kPointwiseThreads, 0, stream>>>(
      P, rows, T, d, threshold_of(p_drop), scale_of(p_drop), seed, s0);
  MENAGERIE_LAUNCH_CHECK();
}

void embed_grad(const float* ds, std::int64_t rows, std::int64_t T, std::int64_t d, double p_drop,
                const std::uint64_t* seed, float* g, float* dP, cudaStream_t stream) {
  embed_grad_kernel<<<pointwise_blocks(rows * d), kPointwiseThreads, 0, stream>>>(ds, rows * d, threshold_of(p_drop),
                                                                                  scale_of(p_drop), seed, g);
  MENAGERIE_LAUNCH_CHECK();
  if (!dP) return;
  fixed_column_sums(g, rows / T, T * d, StoreTo{dP}, stream);  // g as [B, T d]: the sum over b
}

std::int64_t rms_partial_floats(std::int64_t rows, std::int64_t d) { return (rows + kChunkRows - 1) / kChunkRows * d; }

void rms_forward(const float* x, const float* w, std::int64_t rows, std::int64_t d, double eps, float* y, float* rstd,
                 cudaStream_t stream) {
  rms_forward_kernel<<<row_blocks(rows), kRowThreads, 0, stream>>>(x, w, rows, d, static_cast<float>(eps), y, rstd);
  MENAGERIE_LAUNCH_CHECK();
}

void rms_backward(const float* dy, const float* x, const float* w, const float* rstd, std::int64_t rows,
                  std::int64_t d, float* dx, float* dw, float* partial, cudaStream_t stream) {
  rms_backward_rows_kernel<<<row_blocks(rows), kRowThreads, 0, stream>>>(dy, x, w, rstd, rows, d, dx);
  MENAGERIE_LAUNCH_CHECK();
  const std::int64_t chunks = (rows + kChunkRows - 1) / kChunkRows;
  rms_partial_kernel<<<dim3(pointwise_blocks(d), static_cast<unsigned>(chunks)), kPointwiseThreads, 0, stream>>>(
      dy, x, rstd, rows, d, partial);
  MENAGERIE_LAUNCH_CHECK();
  fixed_column_sums(partial, chunks, d, StoreTo{dw}, stream);
}

void add(const float* a, const float* b, float* out, std::int64_t n, cudaStream_t stream) {
  add_kernel<<<pointwise_blocks(n), kPointwiseThreads, 0, stream>>>(a, b, out, n);
  MENAGERIE_LAUNCH_CHECK();
}

void gather_rows(const float* src, const std::int32_t* rows, std::int64_t n, std::int64_t d, float* dst,
                 cudaStream_t stream) {
  if (n == 0) return;
  move_rows_kernel<<<pointwise_blocks(n * d), kPointwiseThreads, 0, stream>>>(src, rows, n, d, dst, false);
  MENAGERIE_LAUNCH_CHECK();
}

void scatter_rows(const float* src, const std::int32_t* rows, std::int64_t n, std::int64_t d, float* dst,
                  cudaStream_t stream) {
  if (n == 0) return;
  move_rows_kernel<<<pointwise_blocks(n * d), kPointwiseThreads, 0, stream>>>(src, rows, n, d, dst, true);
  MENAGERIE_LAUNCH_CHECK();
}

void argmax_rows(const float* z, std::int64_t n, std::int64_t V, std::int32_t* best, cudaStream_t stream) {
  if (n == 0) return;
  argmax_kernel<<<row_blocks(n), kRowThreads, 0, stream>>>(z, n, V, best);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace menagerie::opt::model
