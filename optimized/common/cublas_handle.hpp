// RAII cuBLAS handle bound to one stream, with its math mode:
//   MathMode::default_math  CUBLAS_DEFAULT_MATH: FP32 GEMMs in full FP32 (no TF32 unless NVIDIA_TF32_OVERRIDE=1)
//   MathMode::pedantic      CUBLAS_PEDANTIC_MATH: prescribed precision everywhere, no TF32, no reduced-precision
//                           reductions (what verification runs use)
//   MathMode::tf32          CUBLAS_TF32_TENSOR_OP_MATH: FP32 GEMMs may use TF32 tensor cores
// Move-only; the handle is destroyed with the object (errors ignored there).
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace menagerie::cuda {

enum class MathMode { default_math, pedantic, tf32 };

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
  cublasHandle_t handle_ = nullptr;
  cudaStream_t stream_ = nullptr;
  MathMode mode_ = MathMode::default_math;
};

}  // namespace menagerie::cuda
