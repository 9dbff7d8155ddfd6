// Row-major fp32 (and fp64) GEMM and row/column sums through cuBLAS, for launchers that compose kernels with
// projections (the mixers' GPU variants). cuBLAS is column-major; a row-major X [r, c] is the column-major X^T, so
//   C = op(A) op(B)  (row-major, C [M, N], op(A) [M, K], op(B) [K, N])
// is computed as C^T = op(B)^T op(A)^T, i.e. cublasSgemm(opB, opA, N, M, K, B, ldb, A, lda, C, ldc = N).
// lda / ldb are the row strides of A and B as stored (their column counts). The fp32 GEMMs of a stream run in its
// GemmPrecision, fp32 until set_gemm_precision says otherwise (the GPU trainer's "precision"); it stays until set again:
//   fp32  cublasSgemm in cuBLAS's default math mode: FP32 arithmetic (no TF32), and the same bits on every run on one
//         architecture (cuBLAS documents its routines as bitwise reproducible there; no atomics mode is enabled)
//   tf32  cublasGemmEx, fp32 in and out, CUBLAS_COMPUTE_32F_FAST_TF32: tensor cores, operands rounded to TF32 (10
//         mantissa bits), fp32 accumulation
//   bf16  each operand rounded to bf16 (8 significant bits, nearest even: optimized/common/bf16_pack.hpp) into a
//         per-stream scratch, then cublasGemmEx bf16 x bf16 -> fp32, CUBLAS_COMPUTE_32F: tensor cores, exact
//         products, fp32 accumulation. PyTorch's bf16 autocast of a matmul, except that C stays fp32 (autocast rounds
//         it to bf16). (cuBLAS's CUBLAS_COMPUTE_32F_FAST_16BF on fp32 operands is a permission, not an order: on the
//         H100 it ran the TF32 kernels, session 24.) The scratch grows on a larger product, which allocates and waits
//         for the stream, so it is refused during graph capture: run a shape once uncaptured first. An outgrown
//         scratch that a captured graph uses is kept for it (the graph holds its address).
// column_sums and row_sums (GEMV) are fp32 in every precision.
// gemm_work() counts the products issued so far (every thread, stream and device): 2 M N K flops per product, by the
// arithmetic it was asked for, from gemm_rm and the attention's batched GEMMs (count_gemm); a FAST_TF32 product that
// cuBLAS ran in fp32 (it may: softmax_attention/gemm_cublas.cu) is still counted as tf32. bench train divides one
// step's count by the machine's measured GEMM rate: the least time any step issuing those products can take.
// The handle: one per (stream, device), created on first use and kept for the process (creation allocates, so warm a
// launcher once outside timing and graph capture, as with cuFFT plans).
#pragma once
#include <cstddef>
#include <cstdint>

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace menagerie::cuda {

cublasHandle_t cublas_for(cudaStream_t stream);

enum class GemmPrecision { fp32, tf32, bf16 };

// The precision of every later fp32 gemm_rm on `stream` (on the current device).
void set_gemm_precision(cudaStream_t stream, GemmPrecision precision);
GemmPrecision gemm_precision(cudaStream_t stream);

// The stream's bf16 operand scratch (bf16 precision), holding at least n elements, for launchers whose own GEMMs
// follow the stream's precision (softmax_attention/gemm_cublas.cu); its contents last until the stream's next GEMM.
// Growing it waits for the stream and allocates, so it is refused while the stream is captured into a CUDA graph.
__nv_bfloat16* bf16_operand_scratch(cudaStream_t stream, std::size_t n);

enum class Op { N, T };

// Flops issued, by arithmetic: fp32 (SIMT, cublasSgemm or pedantic), tf32 / bf16 / fp16 (tensor cores, fp32
// accumulation), fp64 (cublasDgemm).
struct GemmWork {
  std::uint64_t fp32 = 0, tf32 = 0, bf16 = 0, fp16 = 0, fp64 = 0;
};
// The work issued between two readings (later - earlier).
inline GemmWork operator-(const GemmWork& a, const GemmWork& b) {
  return {a.fp32 - b.fp32, a.tf32 - b.tf32, a.bf16 - b.bf16, a.fp16 - b.fp16, a.fp64 - b.fp64};
}
enum class GemmArith { fp32, tf32, bf16, fp16, fp64 };
GemmWork gemm_work();
// Adds batch x 2 M N K flops in `arith` to gemm_work() (for GEMMs issued outside gemm_rm).
void count_gemm(GemmArith arith, std::int64_t M, std::int64_t N, std::int64_t K, std::int64_t batch = 1);

// C [M, N] = alpha op(A) op(B) + beta C, row-major; ldc the row stride of C (0: N, C contiguous).
void gemm_rm(cudaStream_t stream, Op op_a, Op op_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
             const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
             std::int64_t ldc = 0);

// The same in fp64 (cublasDgemm), for the small double-precision parts of a composed variant (hyena's filter).
void gemm_rm(cudaStream_t stream, Op op_a, Op op_b, std::int64_t M, std::int64_t N, std::int64_t K, double alpha,
             const double* A, std::int64_t lda, const double* B, std::int64_t ldb, double beta, double* C,
             std::int64_t ldc = 0);

// out [cols] = sum over the rows of A [rows, cols] (row-major); ones holds >= rows ones.
void column_sums(cudaStream_t stream, std::int64_t rows, std::int64_t cols, const float* A, const float* ones,
                 float* out);
// out [rows] = sum over the columns of A [rows, cols] (row-major); ones holds >= cols ones.
void row_sums(cudaStream_t stream, std::int64_t rows, std::int64_t cols, const float* A, const float* ones,
              float* out);
// The fp64 sums.
void column_sums(cudaStream_t stream, std::int64_t rows, std::int64_t cols, const double* A, const double* ones,
                 double* out);
void row_sums(cudaStream_t stream, std::int64_t rows, std::int64_t cols, const double* A, const double* ones,
              double* out);

}  // namespace menagerie::cuda
