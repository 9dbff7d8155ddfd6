// RAII cuBLAS handle bound to one stream, with its math mode:
//   MathMode::default_math  CUBLAS_DEFAULT_MATH: FP32 GEMMs in full FP32 (no TF32 unless NVIDIA_TF32_OVERRIDE=1)
//   MathMode::pedantic      CUBLAS_PEDANTIC_MATH: prescribed precision everywhere, no TF32, no reduced-precision
//                           reductions (what verification runs use)
//   MathMode::tf32          CUBLAS_TF32_TENSOR_OP_MATH: FP32 GEMMs may use TF32 tensor cores
// Each handle owns a fixed workspace of kCublasWorkspaceBytes (cublasSetWorkspace, re-applied after every
// cublasSetStream, which resets it to cuBLAS's default pool): cuBLAS then never allocates in a call, so its calls can
// be captured into a CUDA graph (train/gpu: "cuda_graph"), and a graph's kernels keep using memory that lives as
// long as the handle. 32 MiB is cuBLAS's own default on Hopper (4 MiB elsewhere).
// Move-only; the handle and its workspace are destroyed with the object (errors ignored there).
#pragma once
#include <cstddef>

#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace menagerie::cuda {

enum class MathMode { default_math, pedantic, tf32 };

inline constexpr std::size_t kCublasWorkspaceBytes = std::size_t{32} << 20;

class CublasHandle {
 public:
  explicit CublasHandle(cudaStream_t stream = nullptr, MathMode mode = MathMode::default_math);
  ~CublasHandle();
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  CublasHandle(CublasHandle&& o) noexcept;
  CublasHandle& operator=(CublasHandle&& o) noexcept;

  cublasHandle_t get() const { return handle_; }
  cudaStream_t stream() const { return stream_; }
  MathMode math_mode() const { return mode_; }
  void set_stream(cudaStream_t stream);
  void set_math_mode(MathMode mode);

 private:
  void release() noexcept;

  cublasHandle_t handle_ = nullptr;
  void* workspace_ = nullptr;
  cudaStream_t stream_ = nullptr;
  MathMode mode_ = MathMode::default_math;
};

}  // namespace menagerie::cuda
