// The kernel of optimized/common/bf16_pack.hpp: one thread per element of dst, in row-major order.
#include "optimized/common/bf16_pack.hpp"

#include "optimized/common/check.hpp"
#include "optimized/common/pointwise.hpp"

namespace menagerie::cuda {
namespace {

__global__ void pack_kernel(std::int64_t n, std::int64_t cols, const float* __restrict__ src, std::int64_t ld,
                            __nv_bfloat16* __restrict__ dst) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const std::int64_t r = i / cols, c = i - r * cols;
  dst[i] = __float2bfloat16_rn(src[r * ld + c]);
}

}  // namespace

void pack_bf16(cudaStream_t stream, std::int64_t rows, std::int64_t cols, const float* src, std::int64_t ld,
               __nv_bfloat16* dst) {
  const std::int64_t n = rows * cols;
  if (n == 0) return;
  pack_kernel<<<opt::pointwise_blocks(n), opt::kPointwiseThreads, 0, stream>>>(n, cols, src, ld, dst);
  MENAGERIE_CUDA_CHECK(cudaGetLastError());
}

}  // namespace menagerie::cuda
