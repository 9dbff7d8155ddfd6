// Rounding fp32 GEMM operands to bf16 for gemm_rm's bf16 precision (optimized/common/gemm.hpp):
//   dst[r, c] = bf16_rn(src[r * ld + c])   for r < rows, c < cols; dst contiguous (row stride cols)
// bf16_rn: round to nearest, ties to even, to 8 significant bits (__float2bfloat16_rn), as PyTorch's autocast casts.
#pragma once
#include <cstdint>

#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace menagerie::cuda {

void pack_bf16(cudaStream_t stream, std::int64_t rows, std::int64_t cols, const float* src, std::int64_t ld,
               __nv_bfloat16* dst);

}  // namespace menagerie::cuda
