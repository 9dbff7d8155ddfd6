// long_conv direct_fp32 (variants.hpp): the causal convolution as its defining sum, for short sequences, where it
// is cheaper than three FFTs of length 2T and has the error of the direct sum (component-wise, as the reference's)
// rather than the FFT's norm-wise error. fp32, one thread per output of y and du over tiles in shared memory, a block
// per tap of dh (below), every sum in a fixed order:
//   y[b, t, c]  = Σ_{s=0..t} h[c, s] u[b, t − s, c]
//   du[b, t, c] = Σ_{s=t..T−1} dy[b, s, c] h[c, s − t]
//   dh[c, s]    = Σ_b Σ_{t=s..T−1} dy[b, t, c] u[b, t − s, c]  for s < T;  dh[c, s] = 0 for T <= s < L
// O(T) per output of y and du and O(B T) per tap of dh: supported for T <= kMaxT (the tile: 2 T 32 floats, 64 KiB at
// T = 256; D <= 65535 32, the grid's y in tiles of 32). Bitwise deterministic and
// bitwise causal (an output reads only inputs at or before its position).
#include <algorithm>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
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
  MENAGERIE_CUDA_CHECK(cudaFuncSetAttribute(tile_kernel<P>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                            static_cast<int>(bytes)));
  const dim3 grid(static_cast<unsigned>(p.B), static_cast<unsigned>((p.D + 31) / 32));
  tile_kernel<P><<<grid, dim3(32, kRows), bytes, stream>>>(x, h, out, p.T, p.D, p.L);
  MENAGERIE_LAUNCH_CHECK();
}

// dh by blocks of 32 channels x kSlices batch slices, one block per tap s (grid-stride over s): thread (x, y) sums
// channel 32 blockIdx.x + x over the batches b = y, y + kSlices, ... and t = s .. T-1 (adjacent x: adjacent
// channels, coalesced reads of dy and u); the kSlices partial sums are then added in the order y = 0, 1, ... by
// thread y = 0. Fixed order: bitwise deterministic. (One thread per tap left B T dependent loads to each of only L D
// threads: at B 512, T = L = 64, D 64, 4096 threads of 32768 loads each, a few milliseconds of latency.)
constexpr int kSlices = 32;
__global__ void filter_grad_kernel(const float* __restrict__ dy, const float* __restrict__ u, float* __restrict__ dh,
                                   std::int64_t B, std::int64_t T, std::int64_t D, std::int64_t L) {
  __shared__ float part[kSlices][33];
  const std::int64_t c = blockIdx.x * 32 + threadIdx.x;
  for (std::int64_t s = blockIdx.y; s < L; s += gridDim.y) {
    float acc = 0.f;
    if (c < D && s < T)
      for (std::int64_t b = threadIdx.y; b < B; b += kSlices) {
        const float *gb = dy + b * T * D + c, *ub = u + b * T * D + c;
        for (std::int64_t t = s; t < T; ++t) acc = fmaf(gb[t * D], ub[(t - s) * D], acc);
      }
    part[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && c < D) {
      float sum = part[0][threadIdx.x];
      for (int y = 1; y < kSlices; ++y) sum += part[y][threadIdx.x];
      dh[c * L + s] = sum;
    }
    __syncthreads();
  }
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

void backward(const Problem& p, const float* u, const float* h, const float* dy, float* du, float* dh,
              cudaStream_t stream) {
  require_supported(unsupported, p);
  launch_tiles<Pass::input_grad>(p, dy, h, du, stream);
  const dim3 grid_dh(static_cast<unsigned>((p.D + 31) / 32), static_cast<unsigned>(std::min<std::int64_t>(p.L, 65535)));
  filter_grad_kernel<<<grid_dh, dim3(32, kSlices), 0, stream>>>(dy, u, dh, p.B, p.T, p.D, p.L);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace menagerie::opt::long_conv::direct_fp32
