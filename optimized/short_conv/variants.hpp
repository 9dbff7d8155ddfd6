// GPU variants of the short depthwise causal convolution (contract: core/ops/short_conv.hpp):
//   y[b,t,c] = bias[c] + sum_{j<K} weight[c,0,j] u[b, t-K+1+j, c]        (u = 0 at negative times)
//   direct_fp32   fp32 storage and arithmetic
//   direct_bf16   bf16 storage (u, weight, bias, y and every gradient), fp32 arithmetic
// Both evaluate the sum directly (K <= 8 taps, a template argument): each thread owns one channel and a run of
// consecutive tokens, keeps the last K inputs in registers and reads every input once per run (coalesced over the
// channel axis, which is innermost). Backward: du by the same sliding window run backwards in time; dweight and dbias
// reduced deterministically: per-chunk partial sums in the workspace [chunks, K+1, D], then a fixed-order sum over the
// chunks (no atomics, bitwise reproducible). Launchers take a stream, never allocate and never synchronise.
#pragma once
#include <span>
#include <string>

#include <cuda_runtime.h>

#include "core/ops/short_conv.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::short_conv {

using ops::short_conv::Problem;
using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

inline constexpr std::int64_t kMaxTaps = 8;

// The storage type T is float or __nv_bfloat16 (passed as void* to keep this header host-only).
struct ForwardArgs {
  const void* u;       // [B, T, D]
  const void* weight;  // [D, 1, K]
  const void* bias;    // [D]
  void* y;             // [B, T, D]
};
struct BackwardArgs {
  const void* u;       // [B, T, D]
  const void* weight;  // [D, 1, K]
  const void* dy;      // [B, T, D]
  void* du;            // [B, T, D]
  void* dweight;       // [D, 1, K]
  void* dbias;         // [D]
  float* partial;      // workspace [chunks, K+1, D], chunks = workspace_chunks(p)
};

std::string unsupported(const Problem& p);
std::int64_t chunks(const Problem& p);  // rows of the dweight/dbias partial sums
void forward(const Problem& p, DType dtype, const ForwardArgs& a, cudaStream_t stream);
void backward(const Problem& p, DType dtype, const BackwardArgs& a, cudaStream_t stream);

}  // namespace menagerie::opt::short_conv

template <>
struct menagerie::opt::VariantTable<menagerie::ops::short_conv::Problem> {
  static std::span<const opt::short_conv::Variant> get() { return opt::short_conv::variants(); }
};
