// CublasHandle of optimized/common/cublas_handle.hpp.
#include "optimized/common/cublas_handle.hpp"

#include <utility>

#include "optimized/common/check.hpp"

namespace menagerie::cuda {
namespace {
cublasMath_t to_cublas(MathMode m) {
  switch (m) {
    case MathMode::pedantic: return CUBLAS_PEDANTIC_MATH;
    case MathMode::tf32: return CUBLAS_TF32_TENSOR_OP_MATH;
    case MathMode::default_math: break;
  }
  return CUBLAS_DEFAULT_MATH;
}
}  // namespace

CublasHandle::CublasHandle(cudaStream_t stream, MathMode mode) {
  MENAGERIE_CUBLAS_CHECK(cublasCreate(&handle_));
  try {
    MENAGERIE_CUDA_CHECK(cudaMalloc(&workspace_, kCublasWorkspaceBytes));
    set_stream(stream);
    set_math_mode(mode);
  } catch (...) {
    release();
    throw;
  }
}

CublasHandle::~CublasHandle() { release(); }

void CublasHandle::release() noexcept {
  if (handle_) cublasDestroy(handle_);  // synchronises the device: no kernel of the handle still uses the workspace
  if (workspace_) cudaFree(workspace_);
  handle_ = nullptr;
  workspace_ = nullptr;
}

CublasHandle::CublasHandle(CublasHandle&& o) noexcept
    : handle_(std::exchange(o.handle_, nullptr)),
      workspace_(std::exchange(o.workspace_, nullptr)),
      stream_(std::exchange(o.stream_, nullptr)),
      mode_(o.mode_) {}

CublasHandle& CublasHandle::operator=(CublasHandle&& o) noexcept {
  if (this != &o) {
    release();
    handle_ = std::exchange(o.handle_, nullptr);
    workspace_ = std::exchange(o.workspace_, nullptr);
    stream_ = std::exchange(o.stream_, nullptr);
    mode_ = o.mode_;
  }
  return *this;
}

void CublasHandle::set_stream(cudaStream_t stream) {
  MENAGERIE_CUBLAS_CHECK(cublasSetStream(handle_, stream));
  MENAGERIE_CUBLAS_CHECK(cublasSetWorkspace(handle_, workspace_, kCublasWorkspaceBytes));  // SetStream reset it
  stream_ = stream;
}

void CublasHandle::set_math_mode(MathMode mode) {
  MENAGERIE_CUBLAS_CHECK(cublasSetMathMode(handle_, to_cublas(mode)));
  mode_ = mode;
}

}  // namespace menagerie::cuda
