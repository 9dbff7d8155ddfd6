// long_conv direct_fp32 (variants.hpp): the causal convolution as its defining sum, for short sequences, where it
// is cheaper than three FFTs of length 2T and has the error of the direct sum (component-wise, as the reference's)
// rather than the FFT's norm-wise error. fp32, one thread per output, every sum in a fixed order:
//   y[b, t, c]  = Σ_{s=0..t} h[c, s] u[b, t − s, c]
//   du[b, t, c] = Σ_{s=t..T−1} dy[b, s, c] h[c, s − t]
//   dh[c, s]    = Σ_b Σ_{t=s..T−1} dy[b, t, c] u[b, t − s, c]  for s < T;  dh[c, s] = 0 for T <= s < L
// O(T) per output of y and du and O(B T) per tap of dh: supported for T <= kMaxT. Bitwise deterministic and
// bitwise causal (an output reads only inputs at or before its position).
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

// Thread (s, c), s < L: adjacent threads take adjacent channels, so the reads of dy and u are coalesced.
__global__ void filter_grad_kernel(const float* __restrict__ dy, const float* __restrict__ u, float* __restrict__ dh,
                                   std::int64_t B, std::int64_t T, std::int64_t D, std::int64_t L) {
  const std::int64_t i = element_index();
  if (i >= L * D) return;
  const std::int64_t c = i % D, s = i / D;
  float acc = 0.f;
  if (s < T)
    for (std::int64_t b = 0; b < B; ++b) {
      const float *gb = dy + b * T * D + c, *ub = u + b * T * D + c;
      for (std::int64_t t = s; t < T; ++t) acc = fmaf(gb[t * D], ub[(t - s) * D], acc);
    }
  dh[c * L + s] = acc;
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
  filter_grad_kernel<<<pointwise_blocks(p.L * p.D), kPointwiseThreads, 0, stream>>>(dy, u, dh, p.B, p.T, p.D, p.L);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace menagerie::opt::long_conv::direct_fp32
