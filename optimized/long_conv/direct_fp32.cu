// long_conv direct_fp32 (variants.hpp): the causal convolution as its defining sum, for short sequences, where it
// is cheaper than three FFTs of length 2T and has the error of the direct sum (component-wise, as the reference's)
// rather than the FFT's norm-wise error. fp32, one thread per output of y and du, a block per tap of dh (below),
// every sum in a fixed order:
//   y[b, t, c]  = Σ_{s=0..t} h[c, s] u[b, t − s, c]
//   du[b, t, c] = Σ_{s=t..T−1} dy[b, s, c] h[c, s − t]
//   dh[c, s]    = Σ_b Σ_{t=s..T−1} dy[b, t, c] u[b, t − s, c]  for s < T;  dh[c, s] = 0 for T <= s < L
// O(T) per output of y and du and O(B T) per tap of dh: supported for T <= kMaxT. Bitwise deterministic and
// bitwise causal (an output reads only inputs at or before its position).
#include <algorithm>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/pointwise.hpp"
#include "optimized/long_conv/variants.hpp"

namespace menagerie::opt::long_conv::direct_fp32 {
namespace {

__global__ void forward_kernel(const float* __restrict__ u, const float* __restrict__ h, float* __restrict__ y,
                               std::int64_t B, std::int64_t T, std::int64_t D, std::int64_t L) {
  const std::int64_t i = element_index();
  if (i >= B * T * D) return;
  const std::int64_t c = i % D, t = i / D % T, b = i / (D * T);
  const float* ub = u + b * T * D + c;
  float acc = 0.f;
  for (std::int64_t s = 0; s <= t; ++s) acc = fmaf(h[c * L + s], ub[(t - s) * D], acc);
  y[i] = acc;
}

__global__ void input_grad_kernel(const float* __restrict__ dy, const float* __restrict__ h, float* __restrict__ du,
                                  std::int64_t B, std::int64_t T, std::int64_t D, std::int64_t L) {
  const std::int64_t i = element_index();
  if (i >= B * T * D) return;
  const std::int64_t c = i % D, t = i / D % T, b = i / (D * T);
  const float* gb = dy + b * T * D + c;
  float acc = 0.f;
  for (std::int64_t s = t; s < T; ++s) acc = fmaf(gb[s * D], h[c * L + s - t], acc);
  du[i] = acc;
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
  return {};
}

void forward(const Problem& p, const float* u, const float* h, float* y, cudaStream_t stream) {
  require_supported(unsupported, p);
  const std::int64_t n = p.B * p.T * p.D;
  forward_kernel<<<pointwise_blocks(n), kPointwiseThreads, 0, stream>>>(u, h, y, p.B, p.T, p.D, p.L);
  MENAGERIE_LAUNCH_CHECK();
}

void backward(const Problem& p, const float* u, const float* h, const float* dy, float* du, float* dh,
              cudaStream_t stream) {
  require_supported(unsupported, p);
  const std::int64_t n = p.B * p.T * p.D;
  input_grad_kernel<<<pointwise_blocks(n), kPointwiseThreads, 0, stream>>>(dy, h, du, p.B, p.T, p.D, p.L);
  MENAGERIE_LAUNCH_CHECK();
  const dim3 grid(static_cast<unsigned>((p.D + 31) / 32), static_cast<unsigned>(std::min<std::int64_t>(p.L, 65535)));
  filter_grad_kernel<<<grid, dim3(32, kSlices), 0, stream>>>(dy, u, dh, p.B, p.T, p.D, p.L);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace menagerie::opt::long_conv::direct_fp32
