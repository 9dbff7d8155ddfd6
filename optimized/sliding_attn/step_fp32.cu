// step_fp32: Zoology's SlidingAttn mixer (core/mixers/sliding_attn.hpp) in its recurrent (decoding) form on the GPU,
// one token of B sequences per call. R = min(w + 1, T) ring slots: the keys and values a query can see (w + 1 at
// most, and never more than the T tokens of the sequence). Per token t of sequence b, n = tokens seen before it:
//   qkv = u_t Wqkv^T + b                                         (one GEMM over the B rows [B, 3d], then the bias)
//   ring_attend_kernel, one CTA per b:
//     K[n mod R] = k_t, V[n mod R] = v_t;  the visible keys j = max(0, n + 1 - R) .. n, oldest first:
//     s_j = (q_t . K[j mod R]) / sqrt(d);  p_j = exp(s_j - max s);  o = sum_j p_j V[j mod R] / sum_j p_j;  n += 1
//   y_t = o Wo^T + bo                                 (the bias written into y_t's rows first, then the GEMM on it)
// which is the parallel form's o[t] = sum_{s in [max(0, t - w), t]} softmax_s(q_t . k_s / sqrt(d)) v_s token by token.
// Dot products by warps (lanes over d, a fixed shuffle tree), the softmax's max and sum by one warp over the slots
// in a fixed order, exp in double rounded once, o's sum over the slots sequential: deterministic and bitwise
// causal. State per sequence: K [R, d], V [R, d], the count n (an int32 in the next float's slot); zeros = empty.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/common/pointwise.hpp"
#include "optimized/common/step_form.hpp"
#include "optimized/sliding_attn/variants.hpp"

namespace menagerie::opt::sliding_attn::step_fp32 {
namespace {

using cuda::Op;
constexpr int kThreads = 256, kWarps = kThreads / 32;
constexpr std::int64_t kMaxSmemFloats = 12 * 1024;  // 48 KiB of shared memory: q [d] and the scores [R]

std::int64_t ring(const Problem& p) { return std::min(p.window + 1, p.T); }
std::int64_t per_sequence(const Problem& p) { return 2 * ring(p) * p.d + 1; }

__global__ void __launch_bounds__(kThreads)
    ring_attend_kernel(const float* __restrict__ qkv, float* __restrict__ state, float* __restrict__ o, int d, int R,
                       std::int64_t stride, float scale) {
  extern __shared__ float sm[];
  float* sq = sm;      // [d]
  float* sp = sq + d;  // [R]: scores, then exp(s - max)
  __shared__ float s_sum;
  const std::int64_t b = blockIdx.x;
  float *K = state + b * stride, *V = K + static_cast<std::int64_t>(R) * d;
  int* count = reinterpret_cast<int*>(V + static_cast<std::int64_t>(R) * d);
  const int n = *count, slot = n % R, first = n + 1 - R > 0 ? n + 1 - R : 0, visible = n + 1 - first;
  const float* row = qkv + b * 3 * d;
  for (int e = threadIdx.x; e < d; e += kThreads) {
    sq[e] = row[e];
    K[static_cast<std::int64_t>(slot) * d + e] = row[d + e];
    V[static_cast<std::int64_t>(slot) * d + e] = row[2 * d + e];
  }
  __syncthreads();
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int j = warp; j < visible; j += kWarps) {
    const float* kj = K + static_cast<std::int64_t>((first + j) % R) * d;
    float acc = 0.f;
    for (int e = lane; e < d; e += 32) acc = fmaf(sq[e], kj[e], acc);
    for (int off = 16; off > 0; off >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, off);
    if (lane == 0) sp[j] = acc * scale;
  }
  __syncthreads();
  if (warp == 0) {
    float m = -INFINITY;
    for (int j = lane; j < visible; j += 32) m = fmaxf(m, sp[j]);
    for (int off = 16; off > 0; off >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, off));
    float sum = 0.f;
    for (int j = lane; j < visible; j += 32) {
      const float x = static_cast<float>(exp(static_cast<double>(sp[j] - m)));
      sp[j] = x;
      sum += x;
    }
    for (int off = 16; off > 0; off >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, off);
    if (lane == 0) s_sum = sum;
  }
  __syncthreads();
  for (int e = threadIdx.x; e < d; e += kThreads) {
    float acc = 0.f;
    for (int j = 0; j < visible; ++j) acc = fmaf(sp[j], V[static_cast<std::int64_t>((first + j) % R) * d + e], acc);
    o[b * d + e] = acc / s_sum;
  }
  if (threadIdx.x == 0) *count = n + 1;
}

// y_t[b, c] = bias[c] for the B rows of stride ld.
__global__ void bias_rows_kernel(const float* __restrict__ bias, float* __restrict__ y, std::int64_t ld,
                                 std::int64_t d, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i < n) y[i / d * ld + i % d] = bias[i % d];
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.B < 1 || p.T < 1 || p.d < 1 || p.window < 0)
    return cat("sliding_attn step_fp32: B, T, d, window = ", p.B, ", ", p.T, ", ", p.d, ", ", p.window,
               " unsupported (B, T, d >= 1, window >= 0)");
  if (p.d + ring(p) > kMaxSmemFloats)
    return cat("sliding_attn step_fp32: d + min(window + 1, T) = ", p.d + ring(p), " exceeds ", kMaxSmemFloats,
               " (q and the scores in shared memory)");
  if (p.B > 2147483647 || p.B * 3 * p.d > (std::int64_t{1} << 31) - 1 || p.B * p.T * p.d > (std::int64_t{1} << 31) - 1)
    return cat("sliding_attn step_fp32: B = ", p.B, " with d = ", p.d, " exceeds cuBLAS's 32-bit sizes");
  return {};
}

std::size_t state_bytes(const Problem& p) { return static_cast<std::size_t>(p.B * per_sequence(p)) * sizeof(float); }

std::size_t workspace_bytes(const Problem& p) { return static_cast<std::size_t>(4 * p.B * p.d) * sizeof(float); }

void reset(const Problem& p, float* state, cudaStream_t s) {
  MENAGERIE_CUDA_CHECK(cudaMemsetAsync(state, 0, state_bytes(p), s));
}

void step(const Problem& p, const DeviceArgs& a, float* state, const float* u_t, std::int64_t ld_u, float* y_t,
          std::int64_t ld_y, float* ws, cudaStream_t s) {
  require_supported(unsupported, p);
  const std::int64_t B = p.B, d = p.d, R = ring(p);
  float *qkv = ws, *o = ws + 3 * B * d;
  cuda::gemm_rm(s, Op::N, Op::T, B, 3 * d, d, 1.f, u_t, ld_u, a.as<float>("Wqkv.weight"), d, 0.f, qkv);
  add_bias(s, qkv, a.as<float>("Wqkv.bias"), B, 3 * d);
  const std::size_t smem = static_cast<std::size_t>(d + R) * sizeof(float);
  ring_attend_kernel<<<static_cast<unsigned>(B), kThreads, smem, s>>>(
      qkv, state, o, static_cast<int>(d), static_cast<int>(R), per_sequence(p),
      static_cast<float>(1.0 / std::sqrt(static_cast<double>(d))));
  MENAGERIE_LAUNCH_CHECK();
  bias_rows_kernel<<<pointwise_blocks(B * d), kPointwiseThreads, 0, s>>>(a.as<float>("out_proj.bias"), y_t, ld_y, d,
                                                                           B * d);
  MENAGERIE_LAUNCH_CHECK();
  cuda::gemm_rm(s, Op::N, Op::T, B, d, d, 1.f, o, d, a.as<float>("out_proj.weight"), d, 1.f, y_t, ld_y);
}

std::vector<BufferSpec> buffers(const Problem& p) {
  return step_buffers(StepForm<Problem>{state_bytes, workspace_bytes, reset, step}, p);
}

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  run_steps(StepForm<Problem>{state_bytes, workspace_bytes, reset, step}, p, p.T, p.d, a, s);
}

}  // namespace menagerie::opt::sliding_attn::step_fp32
