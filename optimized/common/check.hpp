// Checked CUDA, cuBLAS and cuFFT calls. Every call is wrapped; a failure throws CudaError carrying the API, the
// numeric code, its name, the library's description, the call text and file:line, all of them in what():
//   CUDA runtime error cudaErrorInvalidConfiguration (9): invalid configuration argument
//     in `cudaGetLastError() after a kernel launch` at /path/verify/cuda_check_gpu_test.cu:42
// (one line; wrapped here for width). After a failed CUDA runtime call the thread's last-error state is cleared
// (cudaGetLastError), so a later launch check does not report a stale error; sticky errors (a kernel fault) leave
// the context unusable whatever we do.
//   MENAGERIE_CUDA_CHECK(cudaMalloc(&p, bytes));
//   kernel<<<grid, block, 0, stream>>>(...);
//   MENAGERIE_LAUNCH_CHECK();                       // launch configuration errors, reported at once
//   MENAGERIE_CUBLAS_CHECK(cublasSgemm(h, ...));
//   MENAGERIE_CUFFT_CHECK(cufftExecR2C(plan, in, out));
#pragma once
#include <string>

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cufft.h>

#include "core/errors.hpp"

namespace menagerie {

// An internal failure (exit status 1), not a user error.
struct CudaError : Error {
  CudaError(std::string api_name, long long status, std::string status_name, std::string description,
            std::string call_text, std::string source_file, int source_line);

  std::string api;   // "CUDA runtime", "cuBLAS" or "cuFFT"
  long long code;    // the numeric status
  std::string name;  // e.g. cudaErrorMemoryAllocation, CUBLAS_STATUS_INVALID_VALUE, CUFFT_INVALID_SIZE
  std::string call;  // the call's source text
  std::string file;  // __FILE__ of the check
  int line;          // __LINE__ of the check
};

namespace cuda {

// cuFFT has no name function: "CUFFT_INVALID_SIZE" for CUFFT_INVALID_SIZE, "CUFFT_UNKNOWN_ERROR" for others.
const char* cufft_result_name(cufftResult r) noexcept;
const char* cufft_result_description(cufftResult r) noexcept;

[[noreturn]] void throw_cuda_error(cudaError_t e, const char* call, const char* file, int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t s, const char* call, const char* file, int line);
[[noreturn]] void throw_cufft_error(cufftResult r, const char* call, const char* file, int line);

}  // namespace cuda
}  // namespace menagerie

#define MENAGERIE_CUDA_CHECK(call)                                                        \
  do {                                                                                    \
    const cudaError_t menagerie_status_ = (call);                                         \
    if (menagerie_status_ != cudaSuccess)                                                 \
      ::menagerie::cuda::throw_cuda_error(menagerie_status_, #call, __FILE__, __LINE__);  \
  } while (0)

#define MENAGERIE_LAUNCH_CHECK()                                                                               \
  do {                                                                                                         \
    const cudaError_t menagerie_status_ = cudaGetLastError();                                                  \
    if (menagerie_status_ != cudaSuccess)                                                                      \
      ::menagerie::cuda::throw_cuda_error(menagerie_status_, "cudaGetLastError() after a kernel launch", __FILE__, \
                                          __LINE__);                                                           \
  } while (0)

#define MENAGERIE_CUBLAS_CHECK(call)                                                        \
  do {                                                                                      \
    const cublasStatus_t menagerie_status_ = (call);                                        \
    if (menagerie_status_ != CUBLAS_STATUS_SUCCESS)                                         \
      ::menagerie::cuda::throw_cublas_error(menagerie_status_, #call, __FILE__, __LINE__);  \
  } while (0)

#define MENAGERIE_CUFFT_CHECK(call)                                                        \
  do {                                                                                     \
    const cufftResult menagerie_status_ = (call);                                          \
    if (menagerie_status_ != CUFFT_SUCCESS)                                                \
      ::menagerie::cuda::throw_cufft_error(menagerie_status_, #call, __FILE__, __LINE__);  \
  } while (0)
