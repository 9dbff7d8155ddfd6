// long_conv direct_fp32 (variants.hpp): the causal convolution as its defining sum, for short sequences, where it
// is cheaper than three FFTs of length 2T and has the error of the direct sum (component-wise, as the reference's)
// rather than the FFT's norm-wise error. fp32, one thread per output of y and du over tiles in shared memory, dh by
// batch slices over the same tiles and a fixed-order sum of the slices (below), every sum in a fixed order:
//   y[b, t, c]  = Σ_{s=0..t} h[c, s] u[b, t − s, c]
//   du[b, t, c] = Σ_{s=t..T−1} dy[b, s, c] h[c, s − t]
//   dh[c, s]    = Σ_b Σ_{t=s..T−1} dy[b, t, c] u[b, t − s, c]  for s < T;  dh[c, s] = 0 for T <= s < L
// O(T) per output of y and du and O(B T) per tap of dh: supported for T <= kMaxT (the tile: 2 T 32 floats, 64 KiB at
// T = 256; D <= 65535 32, the grid's y in tiles of 32). Bitwise deterministic and
// bitwise causal (an output reads only inputs at or before its position).
#include <algorithm>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/dynamic_smem.hpp"
#include "optimized/common/column_sums.cuh"
#include "optimized/common/pointwise.hpp"
#include "optimized/long_conv/variants.hpp"

namespace menagerie::opt::long_conv::direct_fp32 {
namespace {

// y and du by blocks of 32 channels x kRows rows, one block per (batch b, channel tile): the block first copies its
// tile of the sequence (u for y, dy for du) and of the taps h[c, 0..T) to shared memory (2 T 32 floats), then thread
// (x, r) computes channel 32 blockIdx.x + x at t = r, r + kRows, ... from shared memory. Each output's sum runs over s
// in increasing order with fmaf, as one thread per output did (so the same bits); the tile saves the 2 global loads
// per fmaf that made that version cost ~0.36 ms at hyena's B 512, T 64, D 64.
constexpr int kRows = 8;
enum class Pass { forward, input_grad };

std::size_t tile_bytes(std::int64_t T) { return static_cast<std::size_t>(2 * T * 32) * sizeof(float); }

template <Pass P>
__global__ void __launch_bounds__(32 * kRows) tile_kernel(const float* __restrict__ x, const float* __restrict__ h,
                                                          float* __restrict__ out, std::int64_t T, std::int64_t D,
                                                          std::int64_t L) {
  extern __shared__ float sm[];
  float* xs = sm;           // [T][32]: x[b, t, c0 + lane]
  float* hs = sm + T * 32;  // [T][32]: h[c0 + lane, s]
  const std::int64_t c0 = static_cast<std::int64_t>(blockIdx.y) * 32, b = blockIdx.x, c = c0 + threadIdx.x;
  const int tid = threadIdx.y * 32 + threadIdx.x;
  for (std::int64_t t = threadIdx.y; t < T; t += kRows) xs[t * 32 + threadIdx.x] = c < D ? x[(b * T + t) * D + c] : 0.f;
  for (std::int64_t i = tid; i < T * 32; i += 32 * kRows) {
    const std::int64_t s = i % T, lane = i / T;
    hs[s * 32 + lane] = c0 + lane < D ? h[(c0 + lane) * L + s] : 0.f;
  }
  __syncthreads();
  if (c >= D) return;
  for (std::int64_t t = threadIdx.y; t < T; t += kRows) {
    float acc = 0.f;
    if constexpr (P == Pass::forward) {
      for (std::int64_t s = 0; s <= t; ++s) acc = fmaf(hs[s * 32 + threadIdx.x], xs[(t - s) * 32 + threadIdx.x], acc);
    } else {
      for (std::int64_t s = t; s < T; ++s) acc = fmaf(xs[s * 32 + threadIdx.x], hs[(s - t) * 32 + threadIdx.x], acc);
    }
    out[(b * T + t) * D + c] = acc;
  }
}

template <Pass P>
void launch_tiles(const Problem& p, const float* x, const float* h, float* out, cudaStream_t stream) {
  const std::size_t bytes = tile_bytes(p.T);
  cuda::allow_dynamic_smem(tile_kernel<P>, bytes);
  const dim3 grid(static_cast<unsigned>(p.B), static_cast<unsigned>((p.D + 31) / 32));
  tile_kernel<P><<<grid, dim3(32, kRows), bytes, stream>>>(x, h, out, p.T, p.D, p.L);
  MENAGERIE_LAUNCH_CHECK();
}

// dh in two passes over a workspace of partial sums [S, D, T] (S batch slices, slices()):
//   1. grid (S, channel tiles), block (32, kRows), the same shared-memory tiles as y and du: block (j, tile) takes the
//      batches b = j, j + S, ... in increasing b, copies u[b] and dy[b]'s tile, and thread (x, r) adds, for each of
//      its taps s = r, r + kRows, ... < T, the sum over t = s .. T - 1 (increasing t, fmaf) of dy[b, t] u[b, t - s] to
//      its register acc[k]; then partial[j, c, s] = acc[k]
//   2. dh[c, s] = the sum over j of partial[j, c, s] in increasing j (column_sums.cuh; 0 for T <= s < L)
// Fixed order: bitwise deterministic. (One block per tap, summing over b and t from global memory, cost ~0.11 ms at
// hyena's B 512, T 64, D 64: 2 loads per fmaf.)
constexpr int kTapsPerThread = static_cast<int>(kMaxT / kRows);

__global__ void __launch_bounds__(32 * kRows) dh_partial_kernel(const float* __restrict__ dy,
                                                                const float* __restrict__ u,
                                                                float* __restrict__ partial, std::int64_t B,
                                                                std::int64_t T, std::int64_t D, std::int64_t S) {
  extern __shared__ float sm[];
  float* gs = sm;           // [T][32]: dy[b, t, c0 + lane]
  float* us = sm + T * 32;  // [T][32]: u[b, t, c0 + lane]
  const std::int64_t j = blockIdx.x, c0 = static_cast<std::int64_t>(blockIdx.y) * 32, c = c0 + threadIdx.x;
  float acc[kTapsPerThread];
#pragma unroll
  for (int k = 0; k < kTapsPerThread; ++k) acc[k] = 0.f;
  for (std::int64_t b = j; b < B; b += S) {
    __syncthreads();  // the previous batch's tiles are no longer read
    for (std::int64_t t = threadIdx.y; t < T; t += kRows) {
      const std::int64_t at = (b * T + t) * D + c;
      gs[t * 32 + threadIdx.x] = c < D ? dy[at] : 0.f;
      us[t * 32 + threadIdx.x] = c < D ? u[at] : 0.f;
    }
    __syncthreads();
#pragma unroll
    for (int k = 0; k < kTapsPerThread; ++k) {
      const std::int64_t s = threadIdx.y + static_cast<std::int64_t>(k) * kRows;
      if (s < T)
        for (std::int64_t t = s; t < T; ++t)
          acc[k] = fmaf(gs[t * 32 + threadIdx.x], us[(t - s) * 32 + threadIdx.x], acc[k]);
    }
  }
  if (c >= D) return;
#pragma unroll
  for (int k = 0; k < kTapsPerThread; ++k) {
    const std::int64_t s = threadIdx.y + static_cast<std::int64_t>(k) * kRows;
    if (s < T) partial[(j * D + c) * T + s] = acc[k];
  }
}

// Pass 2's store: column i = c T + s of partial [S, D T] is dh[c, s] of dh [D, L].
struct DhStore {
  float* dh;
  std::int64_t T, L;
  __device__ void operator()(std::int64_t i, float v) const { dh[i / T * L + i % T] = v; }
};

// Batch slices: enough blocks of pass 1 to fill the GPU (about 2 per SM of an H100 for the channel tiles there are),
// at most B.
std::int64_t slices(const Problem& p) {
  const std::int64_t tiles = (p.D + 31) / 32;
  return std::clamp<std::int64_t>((264 + tiles - 1) / tiles, 1, std::max<std::int64_t>(p.B, 1));
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.T > kMaxT)
    return cat("long_conv direct_fp32: T = ", p.T, " unsupported (T <= ", kMaxT,
               "; longer sequences take fft_cufft)");
  if (p.D > 65535 * 32) return cat("long_conv direct_fp32: D = ", p.D, " unsupported (D <= ", 65535 * 32, ")");
  return {};
}

void forward(const Problem& p, const float* u, const float* h, float* y, cudaStream_t stream) {
  require_supported(unsupported, p);
  launch_tiles<Pass::forward>(p, u, h, y, stream);
}

std::size_t workspace_bytes(const Problem& p) {
  return static_cast<std::size_t>(slices(p) * p.D * p.T) * sizeof(float);
}

void backward(const Problem& p, const float* u, const float* h, const float* dy, float* du, float* dh, void* workspace,
              cudaStream_t stream) {
  require_supported(unsupported, p);
  launch_tiles<Pass::input_grad>(p, dy, h, du, stream);
  const std::int64_t S = slices(p);
  auto* partial = static_cast<float*>(workspace);
  const std::size_t bytes = tile_bytes(p.T);
  cuda::allow_dynamic_smem(dh_partial_kernel, bytes);
  const dim3 grid(static_cast<unsigned>(S), static_cast<unsigned>((p.D + 31) / 32));
  dh_partial_kernel<<<grid, dim3(32, kRows), bytes, stream>>>(dy, u, partial, p.B, p.T, p.D, S);
  MENAGERIE_LAUNCH_CHECK();
  fixed_column_sums(partial, S, p.D * p.T, DhStore{dh, p.T, p.L}, stream);
  if (p.L > p.T)
    MENAGERIE_CUDA_CHECK(cudaMemset2DAsync(dh + p.T, static_cast<std::size_t>(p.L) * sizeof(float), 0,
                                           static_cast<std::size_t>(p.L - p.T) * sizeof(float),
                                           static_cast<std::size_t>(p.D), stream));
}

}  // namespace menagerie::opt::long_conv::direct_fp32
