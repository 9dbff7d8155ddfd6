// The shared-memory GEMM of linear_attention's chunked_smem and quadratic kernels: 256 threads as a 16 x 16 grid
// (tx = thread % 16, ty = thread / 16), each holding an RM x RN register tile of the output at rows ty + 16 i and
// columns tx + 16 j, every element one thread's running sum in increasing k (fixed order: deterministic).
//   mm:   acc[i][j] += sum_{k < K} A[k ak + (ty + 16 i) am] B[k ldb + tx + 16 j]
//         (A row-major with am = pitch, ak = 1, or column-major with ak = pitch, am = 1)
//   zero: acc = 0
#pragma once
#include <cuda_runtime.h>

namespace menagerie::opt::linear_attention {

template <int RM, int RN>
__device__ __forceinline__ void mm(float (&acc)[RM][RN], const float* A, int ak, int am, const float* B, int ldb,
                                   int K) {
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
#pragma unroll 2
  for (int k = 0; k < K; ++k) {
    float a[RM], b[RN];
#pragma unroll
    for (int i = 0; i < RM; ++i) a[i] = A[k * ak + (ty + 16 * i) * am];
#pragma unroll
    for (int j = 0; j < RN; ++j) b[j] = B[k * ldb + tx + 16 * j];
#pragma unroll
    for (int i = 0; i < RM; ++i)
#pragma unroll
      for (int j = 0; j < RN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
  }
}

template <int RM, int RN>
__device__ __forceinline__ void zero(float (&acc)[RM][RN]) {
#pragma unroll
  for (int i = 0; i < RM; ++i)
#pragma unroll
    for (int j = 0; j < RN; ++j) acc[i][j] = 0.f;
}

}  // namespace menagerie::opt::linear_attention
