// direct_fp32: H3's shift-SSM filter (core/ops/shift_ssm_kernel.hpp) by its definition, in fp32:
//   forward    filter[c,τ] = sum_{n < N−τ} B[c,n] C[c,n+τ] for τ < min(N, T), 0 for N <= τ < T:
//              one thread per (c, τ), coalesced over τ; the zero tail written by the same threads
//   backward   dB[c,n] = sum_{τ < min(N−n, T)} df[c,τ] C[c,n+τ];  dC[c,m] = sum_{τ <= min(m, T−1)} df[c,τ] B[c,m−τ]:
//              one thread per (c, n) computing both, each sum in ascending τ (deterministic)
// O(N^2) work per channel (N <= a few hundred in practice): no FFT needed.
#include <cstdint>
#include <string>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/shift_ssm_kernel/variants.hpp"

namespace menagerie::opt::shift_ssm_kernel::direct_fp32 {
namespace {

constexpr int kThreads = 256;

__global__ void forward_kernel(const float* __restrict__ B, const float* __restrict__ C, float* __restrict__ filter,
                               std::int64_t D, std::int64_t N, std::int64_t T) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= D * T) return;
  const std::int64_t c = i / T, tau = i % T;
  float acc = 0.f;
  for (std::int64_t n = 0; n + tau < N; ++n) acc = fmaf(B[c * N + n], C[c * N + n + tau], acc);
  filter[i] = acc;
}

__global__ void backward_kernel(const float* __restrict__ B, const float* __restrict__ C,
                                const float* __restrict__ df, float* __restrict__ dB, float* __restrict__ dC,
                                std::int64_t D, std::int64_t N, std::int64_t T) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= D * N) return;
  const std::int64_t c = i / N, n = i % N;
  const float* g = df + c * T;
  float b = 0.f, cc = 0.f;
  for (std::int64_t tau = 0; n + tau < N && tau < T; ++tau) b = fmaf(g[tau], C[c * N + n + tau], b);
  for (std::int64_t tau = 0; tau <= n && tau < T; ++tau) cc = fmaf(g[tau], B[c * N + n - tau], cc);
  dB[i] = b;
  dC[i] = cc;
}

unsigned blocks(std::int64_t n) { return static_cast<unsigned>((n + kThreads - 1) / kThreads); }

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.D * p.T / kThreads >= (std::int64_t{1} << 31))
    return cat("shift_ssm_kernel direct_fp32: D * T = ", p.D * p.T, " exceeds the grid");
  return {};
}

void forward(const Problem& p, const float* B, const float* C, float* filter, cudaStream_t s) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  forward_kernel<<<blocks(p.D * p.T), kThreads, 0, s>>>(B, C, filter, p.D, p.N, p.T);
  MENAGERIE_LAUNCH_CHECK();
}

void backward(const Problem& p, const float* B, const float* C, const float* dfilter, float* dB, float* dC,
              cudaStream_t s) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  backward_kernel<<<blocks(p.D * p.N), kThreads, 0, s>>>(B, C, dfilter, dB, dC, p.D, p.N, p.T);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace menagerie::opt::shift_ssm_kernel::direct_fp32
