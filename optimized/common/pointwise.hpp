// Launch helpers shared by the composed GPU variants (the mixers built from cuBLAS, the operators' kernels and
// element-wise kernels): the grid of a one-thread-per-element kernel, a fill, a bias broadcast, the support check
// every launcher starts with, and the carving of one workspace into 64-float-aligned sections.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include <cuda_runtime.h>

#include "core/errors.hpp"

namespace menagerie::opt {

inline constexpr int kPointwiseThreads = 256;

// Blocks of kPointwiseThreads covering n elements; the element of a thread is blockIdx.x * kPointwiseThreads +
// threadIdx.x (element_index() in device code).
inline unsigned pointwise_blocks(std::int64_t n) {
  return static_cast<unsigned>((n + kPointwiseThreads - 1) / kPointwiseThreads);
}

#ifdef __CUDACC__
__device__ __forceinline__ std::int64_t element_index() {
  return static_cast<std::int64_t>(blockIdx.x) * kPointwiseThreads + threadIdx.x;
}
#endif

// x[0 .. n) = v.
void fill(cudaStream_t stream, float* x, std::int64_t n, float v);

// x [rows, cols] row-major: x[r, c] += bias[c], or bias[r] when along_rows.
void add_bias(cudaStream_t stream, float* x, const float* bias, std::int64_t rows, std::int64_t cols,
              bool along_rows = false);

// Throws ShapeError with the variant's own one-line reason when it does not support p.
template <class Problem>
void require_supported(std::string (*unsupported)(const Problem&), const Problem& p) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
}

// Sections of one float workspace, each starting on a 64-float (256-byte) boundary: take(n) returns the offset of
// a new section of n floats; total() the floats of all sections so far.
class Carve {
 public:
  std::size_t take(std::size_t floats) {
    const std::size_t start = at_;
    at_ += (floats + 63) / 64 * 64;
    return start;
  }
  std::size_t total() const { return at_; }

 private:
  std::size_t at_ = 0;
};

}  // namespace menagerie::opt
