// Row-major GEMM and sums of optimized/common/gemm.hpp.
#include "optimized/common/gemm.hpp"

#include <atomic>
#include <limits>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "core/errors.hpp"
#include "optimized/common/bf16_pack.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/cublas_handle.hpp"
#include "optimized/common/device_buffer.hpp"

namespace menagerie::cuda {
namespace {

int as_int(std::int64_t x, const char* what) {
  require<ShapeError>(x >= 0 && x <= std::numeric_limits<int>::max(), "cuBLAS: ", what, " = ", x,
                      " exceeds its 32-bit size limit (", std::numeric_limits<int>::max(), ")");
  return static_cast<int>(x);
}

cublasOperation_t to_cublas(Op op) { return op == Op::N ? CUBLAS_OP_N : CUBLAS_OP_T; }

// A stream's cuBLAS handle, the precision of its fp32 GEMMs and (bf16) the scratch its operands are rounded into.
struct StreamGemm {
  explicit StreamGemm(cudaStream_t stream) : handle(stream) {}
  CublasHandle handle;
  GemmPrecision precision = GemmPrecision::fp32;
  DeviceBuffer<__nv_bfloat16> bf16;
  bool bf16_captured = false;                          // a CUDA graph captured on the stream reads and writes bf16
  std::vector<DeviceBuffer<__nv_bfloat16>> bf16_kept;  // outgrown scratches that captured graphs still use
};

// The entry of (stream, current device), created on first use; the map's entries are never moved or destroyed.
StreamGemm& entry_for(cudaStream_t stream) {
  static std::mutex mutex;
  static auto* entries = new std::map<std::pair<std::uintptr_t, int>, StreamGemm>;  // never destroyed (as cuFFT's)
  int device = 0;
  MENAGERIE_CUDA_CHECK(cudaGetDevice(&device));
  const std::lock_guard lock(mutex);
  const auto key = std::make_pair(reinterpret_cast<std::uintptr_t>(stream), device);
  auto it = entries->find(key);
  if (it == entries->end()) it = entries->try_emplace(key, stream).first;
  return it->second;
}

std::atomic<std::uint64_t> work[5];  // by GemmArith

// The stream's bf16 scratch, grown to hold n elements. Growing waits for the stream (its earlier GEMMs may still read
// the old scratch) and allocates, so it is refused while the stream is being captured into a CUDA graph: a step runs
// plain before it is captured (train/gpu/step_graph.hpp), which sizes the scratch. A graph keeps the address it was
// captured with, so an outgrown scratch that a capture used is kept, not freed: a graph captured at a small step and
// replayed after a larger plain step (an evaluation batch larger than the training batch, or attention's T x T
// products) still packs into memory it owns. At most one is kept per growth after a capture.
__nv_bfloat16* bf16_scratch(cudaStream_t stream, StreamGemm& e, std::size_t n) {
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  MENAGERIE_CUDA_CHECK(cudaStreamIsCapturing(stream, &capture));
  const bool capturing = capture != cudaStreamCaptureStatusNone;
  if (e.bf16.size() >= n) {
    e.bf16_captured = e.bf16_captured || capturing;
    return e.bf16.data();
  }
  require<Error>(!capturing, "bf16 GEMM: the stream's operand scratch holds ", e.bf16.size(), " elements, ", n,
                 " needed, while the stream is captured into a CUDA graph (run the step once uncaptured first)");
  MENAGERIE_CUDA_CHECK(cudaStreamSynchronize(stream));
  if (e.bf16_captured) e.bf16_kept.push_back(std::move(e.bf16));
  e.bf16 = DeviceBuffer<__nv_bfloat16>(n);
  e.bf16_captured = false;
  return e.bf16.data();
}

GemmArith arith_of(GemmPrecision p) {
  return p == GemmPrecision::fp32 ? GemmArith::fp32 : p == GemmPrecision::tf32 ? GemmArith::tf32 : GemmArith::bf16;
}

}  // namespace

void count_gemm(GemmArith arith, std::int64_t M, std::int64_t N, std::int64_t K, std::int64_t batch) {
  work[static_cast<int>(arith)].fetch_add(2 * static_cast<std::uint64_t>(M) * static_cast<std::uint64_t>(N) *
                                              static_cast<std::uint64_t>(K) * static_cast<std::uint64_t>(batch),
                                          std::memory_order_relaxed);
}

GemmWork gemm_work() {
  auto at = [](GemmArith a) { return work[static_cast<int>(a)].load(std::memory_order_relaxed); };
  return {at(GemmArith::fp32), at(GemmArith::tf32), at(GemmArith::bf16), at(GemmArith::fp16), at(GemmArith::fp64)};
}

cublasHandle_t cublas_for(cudaStream_t stream) { return entry_for(stream).handle.get(); }

__nv_bfloat16* bf16_operand_scratch(cudaStream_t stream, std::size_t n) {
  return bf16_scratch(stream, entry_for(stream), n);
}

void set_gemm_precision(cudaStream_t stream, GemmPrecision precision) { entry_for(stream).precision = precision; }

GemmPrecision gemm_precision(cudaStream_t stream) { return entry_for(stream).precision; }

void gemm_rm(cudaStream_t stream, Op op_a, Op op_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
             const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
             std::int64_t ldc) {
  StreamGemm& e = entry_for(stream);
  const int n = as_int(N, "N"), m = as_int(M, "M"), k = as_int(K, "K"), ld_b = as_int(ldb, "ldb"),
            ld_a = as_int(lda, "lda"), ld_c = as_int(ldc > 0 ? ldc : N, "ldc");
  count_gemm(arith_of(e.precision), M, N, K);
  if (e.precision == GemmPrecision::fp32) {
    MENAGERIE_CUBLAS_CHECK(cublasSgemm(e.handle.get(), to_cublas(op_b), to_cublas(op_a), n, m, k, &alpha, B, ld_b, A,
                                       ld_a, &beta, C, ld_c));
    return;
  }
  if (e.precision == GemmPrecision::tf32) {
    MENAGERIE_CUBLAS_CHECK(cublasGemmEx(e.handle.get(), to_cublas(op_b), to_cublas(op_a), n, m, k, &alpha, B,
                                        CUDA_R_32F, ld_b, A, CUDA_R_32F, ld_a, &beta, C, CUDA_R_32F, ld_c,
                                        CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT));
    return;
  }
  // bf16: each operand rounded into the stream's scratch, packed (row stride = its stored column count), then a
  // bf16 x bf16 -> fp32 product; the scratch is reused by the stream's next GEMM, ordered after this one.
  const std::int64_t a_rows = op_a == Op::N ? M : K, a_cols = op_a == Op::N ? K : M;
  const std::int64_t b_rows = op_b == Op::N ? K : N, b_cols = op_b == Op::N ? N : K;
  const std::int64_t a_size = (a_rows * a_cols + 127) / 128 * 128;  // B's part 256-byte aligned
  __nv_bfloat16* scratch = bf16_scratch(stream, e, static_cast<std::size_t>(a_size + b_rows * b_cols));
  pack_bf16(stream, a_rows, a_cols, A, lda, scratch);
  pack_bf16(stream, b_rows, b_cols, B, ldb, scratch + a_size);
  MENAGERIE_CUBLAS_CHECK(cublasGemmEx(e.handle.get(), to_cublas(op_b), to_cublas(op_a), n, m, k, &alpha,
                                      scratch + a_size, CUDA_R_16BF, as_int(b_cols, "ldb"), scratch, CUDA_R_16BF,
                                      as_int(a_cols, "lda"), &beta, C, CUDA_R_32F, ld_c, CUBLAS_COMPUTE_32F,
                                      CUBLAS_GEMM_DEFAULT));
}

void gemm_rm(cudaStream_t stream, Op op_a, Op op_b, std::int64_t M, std::int64_t N, std::int64_t K, double alpha,
             const double* A, std::int64_t lda, const double* B, std::int64_t ldb, double beta, double* C,
             std::int64_t ldc) {
  count_gemm(GemmArith::fp64, M, N, K);
  MENAGERIE_CUBLAS_CHECK(cublasDgemm(cublas_for(stream), to_cublas(op_b), to_cublas(op_a), as_int(N, "N"),
                                     as_int(M, "M"), as_int(K, "K"), &alpha, B, as_int(ldb, "ldb"), A,
                                     as_int(lda, "lda"), &beta, C, as_int(ldc > 0 ? ldc : N, "ldc")));
}

void column_sums(cudaStream_t stream, std::int64_t rows, std::int64_t cols, const float* A, const float* ones,
                 float* out) {
  // Column-major A^T [cols, rows] times ones [rows].
  const float one = 1.f, zero = 0.f;
  MENAGERIE_CUBLAS_CHECK(cublasSgemv(cublas_for(stream), CUBLAS_OP_N, as_int(cols, "cols"), as_int(rows, "rows"),
                                     &one, A, as_int(cols, "lda"), ones, 1, &zero, out, 1));
}

void row_sums(cudaStream_t stream, std::int64_t rows, std::int64_t cols, const float* A, const float* ones,
              float* out) {
  const float one = 1.f, zero = 0.f;
  MENAGERIE_CUBLAS_CHECK(cublasSgemv(cublas_for(stream), CUBLAS_OP_T, as_int(cols, "cols"), as_int(rows, "rows"),
                                     &one, A, as_int(cols, "lda"), ones, 1, &zero, out, 1));
}

void column_sums(cudaStream_t stream, std::int64_t rows, std::int64_t cols, const double* A, const double* ones,
                 double* out) {
  const double one = 1, zero = 0;
  MENAGERIE_CUBLAS_CHECK(cublasDgemv(cublas_for(stream), CUBLAS_OP_N, as_int(cols, "cols"), as_int(rows, "rows"),
                                     &one, A, as_int(cols, "lda"), ones, 1, &zero, out, 1));
}

void row_sums(cudaStream_t stream, std::int64_t rows, std::int64_t cols, const double* A, const double* ones,
              double* out) {
  const double one = 1, zero = 0;
  MENAGERIE_CUBLAS_CHECK(cublasDgemv(cublas_for(stream), CUBLAS_OP_T, as_int(cols, "cols"), as_int(rows, "rows"),
                                     &one, A, as_int(cols, "lda"), ones, 1, &zero, out, 1));
}

}  // namespace menagerie::cuda
