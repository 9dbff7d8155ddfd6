// step_fp32: Zoology's BaseConv mixer (core/mixers/base_conv.hpp) with the short conv, in its recurrent (decoding)
// form on the GPU, one token of B sequences per call. The short conv's recurrent form (core/ops/short_conv.hpp): the
// state s [B, D, K - 1] holds the last K - 1 inputs, oldest first (zeros before t = 0). Per token:
//   gate = u_t W^T                                          (one GEMM over the B rows)
//   step_kernel, per (b, c):  c_t = conv.bias + sum_{j < K-1} w[c, j] s[j] + w[c, K-1] u_t;  s <- (s[1:], u_t);
//                             y_t = c_t (gate + projection.bias) + u_t
// which is the parallel form's y = short_conv(u) ⊙ (u W^T + b) + u token by token. The long convolutions have no
// state of fixed size here (unsupported). base_conv's contract declares no recurrent form, so the reference has no
// step form to take as yardstick: the variant is not flagged `recurrent` and is checked against the parallel form's
// double oracle with its float reference as yardstick. Deterministic (fixed-order sums) and bitwise causal.
#include <cstdint>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "optimized/base_conv/variants.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/common/pointwise.hpp"
#include "optimized/common/step_form.hpp"

namespace menagerie::opt::base_conv::step_fp32 {
namespace {

using cuda::Op;
using mixers::base_conv::Conv;

__global__ void step_kernel(const float* __restrict__ u, std::int64_t ld_u, const float* __restrict__ gate,
                            const float* __restrict__ w, const float* __restrict__ conv_bias,
                            const float* __restrict__ proj_bias, float* __restrict__ state, float* __restrict__ y,
                            std::int64_t ld_y, std::int64_t D, std::int64_t K, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const std::int64_t b = i / D, c = i % D;
  const float ut = u[b * ld_u + c];
  const float* wc = w + c * K;
  float* s = state + i * (K - 1);
  float acc = conv_bias[c];
  for (std::int64_t j = 0; j + 1 < K; ++j) acc = fmaf(wc[j], s[j], acc);
  acc = fmaf(wc[K - 1], ut, acc);
  for (std::int64_t j = 0; j + 2 < K; ++j) s[j] = s[j + 1];
  if (K > 1) s[K - 2] = ut;
  y[b * ld_y + c] = fmaf(acc, gate[i] + proj_bias[c], ut);
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.conv != Conv::short_conv)
    return "base_conv step_fp32: a long convolution is unsupported (only the short conv has a fixed-size state)";
  if (p.B < 1 || p.T < 1 || p.D < 1 || p.kernel_size < 1)
    return cat("base_conv step_fp32: B, T, D, kernel_size = ", p.B, ", ", p.T, ", ", p.D, ", ", p.kernel_size,
               " unsupported (each must be >= 1)");
  if (p.B * p.T * p.D > (std::int64_t{1} << 31) - 1)
    return cat("base_conv step_fp32: B T D = ", p.B * p.T * p.D, " exceeds cuBLAS's 32-bit sizes (2^31 - 1)");
  return {};
}

std::size_t state_bytes(const Problem& p) {
  return static_cast<std::size_t>(p.B * p.D * (p.kernel_size - 1)) * sizeof(float);
}

std::size_t workspace_bytes(const Problem& p) { return static_cast<std::size_t>(p.B * p.D) * sizeof(float); }

void reset(const Problem& p, float* state, cudaStream_t s) {
  if (state_bytes(p) > 0) MENAGERIE_CUDA_CHECK(cudaMemsetAsync(state, 0, state_bytes(p), s));
}

void step(const Problem& p, const DeviceArgs& a, float* state, const float* u_t, std::int64_t ld_u, float* y_t,
          std::int64_t ld_y, float* ws, cudaStream_t s) {
  require_supported(unsupported, p);
  const std::int64_t B = p.B, D = p.D, n = B * D;
  cuda::gemm_rm(s, Op::N, Op::T, B, D, D, 1.f, u_t, ld_u, a.as<float>("projection.weight"), D, 0.f, ws);
  step_kernel<<<pointwise_blocks(n), kPointwiseThreads, 0, s>>>(
      u_t, ld_u, ws, a.as<float>("conv.conv.weight"), a.as<float>("conv.conv.bias"), a.as<float>("projection.bias"),
      state, y_t, ld_y, D, p.kernel_size, n);
  MENAGERIE_LAUNCH_CHECK();
}

std::vector<BufferSpec> buffers(const Problem& p) {
  return step_buffers(StepForm<Problem>{state_bytes, workspace_bytes, reset, step}, p);
}

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  run_steps(StepForm<Problem>{state_bytes, workspace_bytes, reset, step}, p, p.T, p.D, a, s);
}

}  // namespace menagerie::opt::base_conv::step_fp32
