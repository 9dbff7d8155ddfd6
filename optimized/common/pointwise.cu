// The element-wise helpers of optimized/common/pointwise.hpp.
#include "optimized/common/check.hpp"
#include "optimized/common/pointwise.hpp"

namespace menagerie::opt {
namespace {

__global__ void fill_kernel(float* __restrict__ x, std::int64_t n, float v) {
  const std::int64_t i = element_index();
  if (i < n) x[i] = v;
}

__global__ void add_bias_kernel(float* __restrict__ x, const float* __restrict__ bias, std::int64_t rows,
                                std::int64_t cols, bool along_rows) {
  const std::int64_t i = element_index();
  if (i < rows * cols) x[i] += bias[along_rows ? i / cols : i % cols];
}

}  // namespace

void fill(cudaStream_t stream, float* x, std::int64_t n, float v) {
  if (n <= 0) return;
  fill_kernel<<<pointwise_blocks(n), kPointwiseThreads, 0, stream>>>(x, n, v);
  MENAGERIE_LAUNCH_CHECK();
}

void add_bias(cudaStream_t stream, float* x, const float* bias, std::int64_t rows, std::int64_t cols,
              bool along_rows) {
  if (rows * cols <= 0) return;
  add_bias_kernel<<<pointwise_blocks(rows * cols), kPointwiseThreads, 0, stream>>>(x, bias, rows, cols, along_rows);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace menagerie::opt
