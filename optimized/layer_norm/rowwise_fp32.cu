// rowwise_fp32: affine layer normalisation (core/ops/layer_norm.hpp) with one warp per row, fp32 throughout (D <= 1024:
// the row held in registers, several rows per warp; longer rows: loops over the row).
//   forward   per row r (a warp; lane l reads d = l, l + 32, ...):  mu = (sum_d x) / D,  var = (sum_d (x - mu)^2) / D,
//             rstd = 1 / sqrt(var + eps) (IEEE division and sqrt),  y = (x - mu) rstd weight + bias;
//             mean[r] = mu, rstd[r] = rstd saved. Warp sums by the xor butterfly: every lane ends with the same bits.
//   dx        per row (a warp), g = dy weight (rounded on its own, so that at D = 1, g - mean(g) is exactly 0):
//             dx = rstd (g - (sum g) / D - xhat (sum g xhat) / D),  xhat = (x - mean[r]) rstd[r]
//   dweight, dbias   pass 1: block (32 columns, 8 row lanes) per (column tile, chunk of rows_per_chunk rows); each
//             thread sums its rows r = start + lane_y, + 8, ... in order, the 8 lanes are added in order, and the
//             chunk's partial sums of dy xhat and dy go to workspace [2, chunks, D]. Pass 2: the chunks summed per
//             column by optimized/common/column_sums.cuh (8 lanes, fixed order). No atomics: the same bits every run.
#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/column_sums.cuh"
#include "optimized/layer_norm/variants.hpp"

namespace menagerie::opt::layer_norm::rowwise_fp32 {
namespace {

constexpr int kWarps = 8, kThreads = 32 * kWarps;
constexpr std::int64_t kTargetChunks = 256, kMaxRows = std::int64_t{1} << 31;
constexpr int kTile = 32, kLanesY = 8;

__device__ __forceinline__ float warp_sum(float s) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
  return s;
}

// grid ceil(rows / kWarps), block kThreads: warp w of block b owns row b kWarps + w.
__global__ void __launch_bounds__(kThreads) forward_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                                           const float* __restrict__ bias, float* __restrict__ y,
                                                           float* __restrict__ mean, float* __restrict__ rstd,
                                                           std::int64_t rows, std::int64_t D, float eps) {
  const std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * kWarps + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (r >= rows) return;
  const float* xr = x + r * D;
  const float n = static_cast<float>(D);
  float s = 0.f;
  for (std::int64_t d = lane; d < D; d += 32) s += xr[d];
  const float mu = warp_sum(s) / n;
  float q = 0.f;
  for (std::int64_t d = lane; d < D; d += 32) {
    const float c = xr[d] - mu;
    q = fmaf(c, c, q);
  }
  const float rs = 1.f / sqrtf(warp_sum(q) / n + eps);
  float* yr = y + r * D;
  for (std::int64_t d = lane; d < D; d += 32) yr[d] = fmaf((xr[d] - mu) * rs, w[d], bias[d]);
  if (lane == 0) mean[r] = mu, rstd[r] = rs;
}

__global__ void __launch_bounds__(kThreads) input_grad_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                                              const float* __restrict__ mean,
                                                              const float* __restrict__ rstd,
                                                              const float* __restrict__ dy, float* __restrict__ dx,
                                                              std::int64_t rows, std::int64_t D) {
  const std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * kWarps + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (r >= rows) return;
  const float* xr = x + r * D;
  const float* gr = dy + r * D;
  const float mu = mean[r], rs = rstd[r], n = static_cast<float>(D);
  float sg = 0.f, sgx = 0.f;
  for (std::int64_t d = lane; d < D; d += 32) {
    const float g = __fmul_rn(gr[d], w[d]);
    sg += g;
    sgx = fmaf(g, (xr[d] - mu) * rs, sgx);
  }
  const float mg = warp_sum(sg) / n, mgx = warp_sum(sgx) / n;
  float* dr = dx + r * D;
  for (std::int64_t d = lane; d < D; d += 32) {
    const float g = __fmul_rn(gr[d], w[d]);
    dr[d] = rs * ((g - mg) - (xr[d] - mu) * rs * mgx);
  }
}

// The same two kernels with the row in registers, for D <= 32 kPer: lane l holds x[r, l + 32 j] for j < kPer, and a
// warp owns kRows rows at once (loads issued together). Every sum is formed in the loop kernels' order (lane-wise in
// increasing d, then the same butterfly); what changes is the memory traffic: x and dy read once per row, kRows rows
// in flight per warp (the loop kernels read a row three times, one row per warp).
template <int kPer, int kRows>
__global__ void __launch_bounds__(kThreads) forward_reg_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                                               const float* __restrict__ bias, float* __restrict__ y,
                                                               float* __restrict__ mean, float* __restrict__ rstd,
                                                               std::int64_t rows, std::int64_t D, float eps) {
  const std::int64_t r0 = (static_cast<std::int64_t>(blockIdx.x) * kWarps + threadIdx.x / 32) * kRows;
  const int lane = threadIdx.x % 32;
  const float n = static_cast<float>(D);
  float v[kRows][kPer], mu[kRows], rs[kRows];
#pragma unroll
  for (int i = 0; i < kRows; ++i)
#pragma unroll
    for (int j = 0; j < kPer; ++j) {
      const std::int64_t d = lane + 32 * j;
      v[i][j] = r0 + i < rows && d < D ? x[(r0 + i) * D + d] : 0.f;
    }
#pragma unroll
  for (int i = 0; i < kRows; ++i) {
    float s = 0.f;
#pragma unroll
    for (int j = 0; j < kPer; ++j)
      if (lane + 32 * j < D) s += v[i][j];
    mu[i] = warp_sum(s) / n;
  }
#pragma unroll
  for (int i = 0; i < kRows; ++i) {
    float q = 0.f;
#pragma unroll
    for (int j = 0; j < kPer; ++j)
      if (lane + 32 * j < D) {
        const float c = v[i][j] - mu[i];
        q = fmaf(c, c, q);
      }
    rs[i] = 1.f / sqrtf(warp_sum(q) / n + eps);
  }
#pragma unroll
  for (int j = 0; j < kPer; ++j) {
    const std::int64_t d = lane + 32 * j;
    if (d >= D) continue;
    const float wd = w[d], bd = bias[d];
#pragma unroll
    for (int i = 0; i < kRows; ++i)
      if (r0 + i < rows) y[(r0 + i) * D + d] = fmaf((v[i][j] - mu[i]) * rs[i], wd, bd);
  }
  if (lane == 0)
#pragma unroll
    for (int i = 0; i < kRows; ++i)
      if (r0 + i < rows) mean[r0 + i] = mu[i], rstd[r0 + i] = rs[i];
}

template <int kPer, int kRows>
__global__ void __launch_bounds__(kThreads) input_grad_reg_kernel(const float* __restrict__ x,
                                                                  const float* __restrict__ w,
                                                                  const float* __restrict__ mean,
                                                                  const float* __restrict__ rstd,
                                                                  const float* __restrict__ dy,
                                                                  float* __restrict__ dx, std::int64_t rows,
                                                                  std::int64_t D) {
  const std::int64_t r0 = (static_cast<std::int64_t>(blockIdx.x) * kWarps + threadIdx.x / 32) * kRows;
  const int lane = threadIdx.x % 32;
  const float n = static_cast<float>(D);
  float g[kRows][kPer], xh[kRows][kPer], mu[kRows], rs[kRows], mg[kRows], mgx[kRows];
#pragma unroll
  for (int i = 0; i < kRows; ++i) {
    const bool in = r0 + i < rows;
    mu[i] = in ? mean[r0 + i] : 0.f;
    rs[i] = in ? rstd[r0 + i] : 0.f;
#pragma unroll
    for (int j = 0; j < kPer; ++j) {
      const std::int64_t d = lane + 32 * j;
      const bool ok = in && d < D;
      g[i][j] = ok ? __fmul_rn(dy[(r0 + i) * D + d], w[d]) : 0.f;
      xh[i][j] = ok ? x[(r0 + i) * D + d] : 0.f;
    }
  }
#pragma unroll
  for (int i = 0; i < kRows; ++i) {
    float sg = 0.f, sgx = 0.f;
#pragma unroll
    for (int j = 0; j < kPer; ++j)
      if (lane + 32 * j < D) {
        sg += g[i][j];
        sgx = fmaf(g[i][j], (xh[i][j] - mu[i]) * rs[i], sgx);
      }
    mg[i] = warp_sum(sg) / n;
    mgx[i] = warp_sum(sgx) / n;
  }
#pragma unroll
  for (int i = 0; i < kRows; ++i) {
    if (r0 + i >= rows) continue;
#pragma unroll
    for (int j = 0; j < kPer; ++j) {
      const std::int64_t d = lane + 32 * j;
      if (d < D) dx[(r0 + i) * D + d] = rs[i] * ((g[i][j] - mg[i]) - (xh[i][j] - mu[i]) * rs[i] * mgx[i]);
    }
  }
}

// grid (ceil(D / kTile), chunks), block (kTile, kLanesY).
__global__ void __launch_bounds__(kTile * kLanesY) partial_kernel(const float* __restrict__ x,
                                                                  const float* __restrict__ mean,
                                                                  const float* __restrict__ rstd,
                                                                  const float* __restrict__ dy,
                                                                  float* __restrict__ partial, std::int64_t rows,
                                                                  std::int64_t D, std::int64_t rows_per_chunk,
                                                                  std::int64_t chunks) {
  __shared__ float sw[kLanesY][kTile], sb[kLanesY][kTile];
  const std::int64_t d = static_cast<std::int64_t>(blockIdx.x) * kTile + threadIdx.x;
  const std::int64_t chunk = blockIdx.y, start = chunk * rows_per_chunk;
  const std::int64_t end = std::min(rows, start + rows_per_chunk);
  float aw = 0.f, ab = 0.f;
  if (d < D)
    for (std::int64_t r = start + threadIdx.y; r < end; r += kLanesY) {
      const float g = dy[r * D + d];
      aw = fmaf(g, (x[r * D + d] - mean[r]) * rstd[r], aw);
      ab += g;
    }
  sw[threadIdx.y][threadIdx.x] = aw;
  sb[threadIdx.y][threadIdx.x] = ab;
  __syncthreads();
  if (threadIdx.y != 0 || d >= D) return;
  float tw = 0.f, tb = 0.f;
#pragma unroll
  for (int i = 0; i < kLanesY; ++i) tw += sw[i][threadIdx.x], tb += sb[i][threadIdx.x];
  partial[chunk * D + d] = tw;
  partial[(chunks + chunk) * D + d] = tb;
}

std::int64_t rows_per_chunk(std::int64_t rows) { return (rows + kTargetChunks - 1) / kTargetChunks; }
std::int64_t chunks_of(std::int64_t rows) {
  const std::int64_t per = rows_per_chunk(rows);
  return (rows + per - 1) / per;
}
unsigned blocks(std::int64_t n, std::int64_t per) { return static_cast<unsigned>((n + per - 1) / per); }

// Calls f(std::integral_constant<int, kPer>, std::integral_constant<int, kRows>) for the register kernels' smallest
// kPer with 32 kPer >= D (kRows: 4 rows per warp up to D 64, 2 up to 256, then 1); false for D > 1024 (the loops).
template <class F>
bool with_registers(std::int64_t D, F&& f) {
  using std::integral_constant;
  if (D <= 32) return f(integral_constant<int, 1>{}, integral_constant<int, 4>{}), true;
  if (D <= 64) return f(integral_constant<int, 2>{}, integral_constant<int, 4>{}), true;
  if (D <= 128) return f(integral_constant<int, 4>{}, integral_constant<int, 2>{}), true;
  if (D <= 256) return f(integral_constant<int, 8>{}, integral_constant<int, 2>{}), true;
  if (D <= 512) return f(integral_constant<int, 16>{}, integral_constant<int, 1>{}), true;
  if (D <= 1024) return f(integral_constant<int, 32>{}, integral_constant<int, 1>{}), true;
  return false;
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.B * p.T >= kMaxRows) return cat("layer_norm rowwise_fp32: B T = ", p.B * p.T, " rows exceed 2^31 - 1");
  return {};
}

std::size_t workspace_bytes(std::int64_t rows, std::int64_t D) {
  return static_cast<std::size_t>(2 * chunks_of(rows) * D) * sizeof(float);
}

std::vector<BufferSpec> buffers(const Problem& p) {
  const auto rows = static_cast<std::size_t>(p.B * p.T);
  return {{"mean", rows * sizeof(float), true},
          {"rstd", rows * sizeof(float), true},
          {"workspace", workspace_bytes(p.B * p.T, p.D), false}};
}

void forward_rows(std::int64_t rows, std::int64_t D, float eps, const float* x, const float* weight, const float* bias,
                  float* y, float* mean, float* rstd, cudaStream_t stream) {
  const bool done = with_registers(D, [&](auto per, auto rows_per_warp) {
    forward_reg_kernel<per(), rows_per_warp()><<<blocks(rows, kWarps * rows_per_warp()), kThreads, 0, stream>>>(
        x, weight, bias, y, mean, rstd, rows, D, eps);
  });
  if (!done) forward_kernel<<<blocks(rows, kWarps), kThreads, 0, stream>>>(x, weight, bias, y, mean, rstd, rows, D, eps);
  MENAGERIE_LAUNCH_CHECK();
}

void backward_rows(std::int64_t rows, std::int64_t D, const float* x, const float* weight, const float* mean,
                   const float* rstd, const float* dy, float* dx, float* dweight, float* dbias, void* workspace,
                   cudaStream_t stream) {
  const bool done = with_registers(D, [&](auto per, auto rows_per_warp) {
    input_grad_reg_kernel<per(), rows_per_warp()><<<blocks(rows, kWarps * rows_per_warp()), kThreads, 0, stream>>>(
        x, weight, mean, rstd, dy, dx, rows, D);
  });
  if (!done) input_grad_kernel<<<blocks(rows, kWarps), kThreads, 0, stream>>>(x, weight, mean, rstd, dy, dx, rows, D);
  MENAGERIE_LAUNCH_CHECK();
  const std::int64_t chunks = chunks_of(rows);
  auto* partial = static_cast<float*>(workspace);
  partial_kernel<<<dim3(blocks(D, kTile), static_cast<unsigned>(chunks)), dim3(kTile, kLanesY), 0, stream>>>(
      x, mean, rstd, dy, partial, rows, D, rows_per_chunk(rows), chunks);
  MENAGERIE_LAUNCH_CHECK();
  fixed_column_sums(partial, chunks, D, StoreTo{dweight}, stream);
  fixed_column_sums(partial + chunks * D, chunks, D, StoreTo{dbias}, stream);
}

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  forward_rows(p.B * p.T, p.D, static_cast<float>(p.eps), a.as<const float>("x"), a.as<const float>("weight"),
               a.as<const float>("bias"), a.as<float>("y"), a.as<float>("mean"), a.as<float>("rstd"), stream);
}

void backward(const Problem& p, const DeviceArgs& a, cudaStream_t stream) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  backward_rows(p.B * p.T, p.D, a.as<const float>("x"), a.as<const float>("weight"), a.as<const float>("mean"),
                a.as<const float>("rstd"), a.as<const float>("dy"), a.as<float>("dx"), a.as<float>("dweight"),
                a.as<float>("dbias"), a.get("workspace"), stream);
}

}  // namespace menagerie::opt::layer_norm::rowwise_fp32
