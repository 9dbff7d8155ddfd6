// GPU variant of affine layer normalisation over the last axis (contract: core/ops/layer_norm.hpp), x [B,T,D] -> y:
//   mu = mean_d x,  var = mean_d (x - mu)^2 (biased),  rstd = 1 / sqrt(var + eps),  xhat = (x - mu) rstd
//   y = xhat weight + bias
//   backward, with g = dy weight:  dx = rstd (g - mean_d g - xhat mean_d(g xhat))
//                                  dweight = sum_rows dy xhat,  dbias = sum_rows dy
//   rowwise_fp32   fp32 storage and arithmetic. One warp per row (R = B T rows, 8 warps per 256-thread block), any D:
//                  each lane strides the row, the warp sums by a fixed butterfly (__shfl_xor), two passes (mean, then
//                  the centred squares: no cancellation of E[x^2] - mu^2); mean and rstd saved for the backward. For
//                  D <= 1024 the row stays in registers (read once) and a warp takes 1-4 rows at once.
//                  dx by the same warp per row (sums of g and g xhat, xhat recomputed from the saved mean, rstd).
//                  dweight and dbias without atomics: per-chunk partial sums over fixed runs of rows into the
//                  workspace [2, chunks, D], then one fixed-order sum over the chunks per column: bitwise reproducible.
// Launchers take a stream, never allocate and never synchronise. The *_rows launchers take raw pointers (the trainer's
// layers, rows = B T); the Problem's launchers call them with the contract's tensors by name.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "core/ops/layer_norm.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::layer_norm {

using ops::layer_norm::Problem;
using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

namespace rowwise_fp32 {
std::string unsupported(const Problem& p);
// saved: "mean", "rstd" [B T]; scratch: "workspace" (workspace_bytes: the dweight/dbias partial sums).
std::vector<BufferSpec> buffers(const Problem& p);
void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
void backward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);

std::size_t workspace_bytes(std::int64_t rows, std::int64_t D);
void forward_rows(std::int64_t rows, std::int64_t D, float eps, const float* x, const float* weight, const float* bias,
                  float* y, float* mean, float* rstd, cudaStream_t stream);
void backward_rows(std::int64_t rows, std::int64_t D, const float* x, const float* weight, const float* mean,
                   const float* rstd, const float* dy, float* dx, float* dweight, float* dbias, void* workspace,
                   cudaStream_t stream);
}  // namespace rowwise_fp32

}  // namespace menagerie::opt::layer_norm

template <>
struct menagerie::opt::VariantTable<menagerie::ops::layer_norm::Problem> {
  static std::span<const opt::layer_norm::Variant> get() { return opt::layer_norm::variants(); }
};
