// CudaError and the throw helpers behind the MENAGERIE_*_CHECK macros (optimized/common/check.hpp), allocation
// failures also marked OutOfDeviceMemory (core/out_of_device_memory.hpp), with the table of cuFFT result names that
// the cuFFT library does not provide (values as in cufft.h of CUDA 12/13; 0xA, 0xC and 0xF are codes that older
// cuFFT releases defined and later ones retired).
#include "optimized/common/check.hpp"

#include <utility>

#include "core/out_of_device_memory.hpp"

namespace menagerie {

CudaError::CudaError(std::string api_name, long long status, std::string status_name, std::string description,
                     std::string call_text, std::string source_file, int source_line)
    : Error(cat(api_name, " error ", status_name, " (", status, "): ", description, " in `", call_text, "` at ",
                source_file, ":", source_line)),
      api(std::move(api_name)),
      code(status),
      name(std::move(status_name)),
      call(std::move(call_text)),
      file(std::move(source_file)),
      line(source_line) {}

namespace cuda {

namespace {
struct CufftEntry {
  int value;
  const char* name;
  const char* description;
};
constexpr CufftEntry kCufftTable[] = {
    {0x0, "CUFFT_SUCCESS", "the operation completed successfully"},
    {0x1, "CUFFT_INVALID_PLAN", "an invalid plan handle was passed"},
    {0x2, "CUFFT_ALLOC_FAILED", "cuFFT failed to allocate GPU or CPU memory"},
    {0x3, "CUFFT_INVALID_TYPE", "invalid transform type"},
    {0x4, "CUFFT_INVALID_VALUE", "an invalid pointer or parameter was passed"},
    {0x5, "CUFFT_INTERNAL_ERROR", "driver or internal cuFFT library error"},
    {0x6, "CUFFT_EXEC_FAILED", "failed to execute an FFT on the GPU"},
    {0x7, "CUFFT_SETUP_FAILED", "the cuFFT library failed to initialize"},
    {0x8, "CUFFT_INVALID_SIZE", "an invalid transform size was passed"},
    {0x9, "CUFFT_UNALIGNED_DATA", "unaligned data"},
    {0xA, "CUFFT_INCOMPLETE_PARAMETER_LIST", "missing parameters in the call"},
    {0xB, "CUFFT_INVALID_DEVICE", "execution of a plan on a different GPU than the one it was created on"},
    {0xC, "CUFFT_PARSE_ERROR", "internal plan database error"},
    {0xD, "CUFFT_NO_WORKSPACE", "no workspace was provided before execution"},
    {0xE, "CUFFT_NOT_IMPLEMENTED", "functionality not implemented"},
    {0xF, "CUFFT_LICENSE_ERROR", "license error"},
    {0x10, "CUFFT_NOT_SUPPORTED", "operation not supported for the given parameters"},
    {0x11, "CUFFT_MISSING_DEPENDENCY", "a required library dependency is missing"},
    {0x12, "CUFFT_NVRTC_FAILURE", "NVRTC failed while building a kernel"},
    {0x13, "CUFFT_NVJITLINK_FAILURE", "nvJitLink failed while linking a kernel"},
    {0x14, "CUFFT_NVSHMEM_FAILURE", "NVSHMEM failure"},
};

const CufftEntry* find_cufft(cufftResult r) noexcept {
  for (const auto& e : kCufftTable)
    if (e.value == static_cast<int>(r)) return &e;
  return nullptr;
}
}  // namespace

const char* cufft_result_name(cufftResult r) noexcept {
  const CufftEntry* e = find_cufft(r);
  return e ? e->name : "CUFFT_UNKNOWN_ERROR";
}

const char* cufft_result_description(cufftResult r) noexcept {
  const CufftEntry* e = find_cufft(r);
  return e ? e->description : "unknown cuFFT result code";
}

namespace {
// The CudaError of an allocation failure (core/out_of_device_memory.hpp).
struct CudaOutOfMemoryError : CudaError, OutOfDeviceMemory {
  using CudaError::CudaError;
};

template <class... Args>
[[noreturn]] void throw_error(bool out_of_memory, Args&&... args) {
  if (out_of_memory) throw CudaOutOfMemoryError(std::forward<Args>(args)...);
  throw CudaError(std::forward<Args>(args)...);
}
}  // namespace

void throw_cuda_error(cudaError_t e, const char* call, const char* file, int line) {
  cudaGetLastError();  // clear the (non-sticky) error so the next launch check starts clean
  throw_error(e == cudaErrorMemoryAllocation, "CUDA runtime", static_cast<long long>(e), cudaGetErrorName(e),
              cudaGetErrorString(e), call, file, line);
}

void throw_cublas_error(cublasStatus_t s, const char* call, const char* file, int line) {
  throw_error(s == CUBLAS_STATUS_ALLOC_FAILED, "cuBLAS", static_cast<long long>(s), cublasGetStatusName(s),
              cublasGetStatusString(s), call, file, line);
}

void throw_cufft_error(cufftResult r, const char* call, const char* file, int line) {
  throw_error(r == CUFFT_ALLOC_FAILED, "cuFFT", static_cast<long long>(r), cufft_result_name(r),
              cufft_result_description(r), call, file, line);
}

}  // namespace cuda
}  // namespace menagerie
