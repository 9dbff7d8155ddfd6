// Real CUDA, cuBLAS and cuFFT failures become the documented CudaError (optimized/common/check.hpp): the API,
// code, name, call text and this file's name:line all appear in what(), and the last-error state is clean after.
// Two cases provoke failing CUDA runtime calls on purpose, which compute-sanitizer reports as API errors; they skip
// themselves under the sanitizer (detected through its injection library), the others run there too.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <utility>

#include "core/errors.hpp"
#include "core/out_of_device_memory.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/cublas_handle.hpp"
#include "optimized/common/cufft_plan_cache.hpp"
#include "optimized/common/device.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

bool under_compute_sanitizer() {
  for (const char* var : {"CUDA_INJECTION64_PATH", "LD_PRELOAD"}) {
    const char* v = std::getenv(var);
    if (v && std::strstr(v, "anitizer")) return true;
  }
  return false;
}

#define SKIP_UNDER_SANITIZER()                                                                     \
  do {                                                                                             \
    if (under_compute_sanitizer()) GTEST_SKIP() << "provokes CUDA API errors that the sanitizer reports"; \
  } while (0)

__global__ void noop_kernel(int* p) {
  if (p) *p = 1;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string here(int line) { return cat("cuda_check_gpu_test.cu:", line); }

TEST(CudaCheck, GpuIsAvailable) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  EXPECT_TRUE(gpu_available());
  const DeviceReport r = device_report();
  EXPECT_TRUE(r.built_with_cuda);
  EXPECT_FALSE(r.gpus.empty());
  EXPECT_TRUE(r.note.empty()) << r.note;
}

TEST(CudaCheck, InvalidLaunchConfigurationThrows) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  SKIP_UNDER_SANITIZER();
  noop_kernel<<<1, 4096>>>(nullptr);  // at most 1024 threads per block
  int line = 0;
  try {
    line = __LINE__; MENAGERIE_LAUNCH_CHECK();
    FAIL() << "MENAGERIE_LAUNCH_CHECK did not throw";
  } catch (const CudaError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.api, "CUDA runtime");
    // CUDA 12 reports cudaErrorInvalidConfiguration here; CUDA 13.0 on the H100 reports cudaErrorInvalidValue.
    EXPECT_TRUE(e.code == cudaErrorInvalidConfiguration || e.code == cudaErrorInvalidValue) << what;
    EXPECT_EQ(e.name, cudaGetErrorName(static_cast<cudaError_t>(e.code)));
    EXPECT_EQ(e.line, line);
    EXPECT_TRUE(contains(what, e.name)) << what;
    EXPECT_TRUE(contains(what, "cudaGetLastError()")) << what;
    EXPECT_TRUE(contains(what, here(line))) << what;
    EXPECT_TRUE(contains(what, "CUDA runtime")) << what;
  }
  // The error was consumed: a good launch checks clean, and the context still works.
  noop_kernel<<<1, 32>>>(nullptr);
  EXPECT_NO_THROW(MENAGERIE_LAUNCH_CHECK());
  EXPECT_NO_THROW(MENAGERIE_CUDA_CHECK(cudaDeviceSynchronize()));
}

TEST(CudaCheck, AbsurdAllocationThrows) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  SKIP_UNDER_SANITIZER();
  void* p = nullptr;
  const std::size_t absurd = std::size_t{1} << 60;  // an exbibyte
  int line = 0;
  try {
    line = __LINE__; MENAGERIE_CUDA_CHECK(cudaMalloc(&p, absurd));
    cudaFree(p);
    FAIL() << "cudaMalloc of 2^60 bytes succeeded";
  } catch (const CudaError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.name, "cudaErrorMemoryAllocation");
    EXPECT_TRUE(out_of_device_memory(e)) << "a failed cudaMalloc must say the device ran out of memory";
    EXPECT_EQ(e.call, "cudaMalloc(&p, absurd)");
    EXPECT_TRUE(contains(what, "cudaErrorMemoryAllocation")) << what;
    EXPECT_TRUE(contains(what, "`cudaMalloc(&p, absurd)`")) << what;
    EXPECT_TRUE(contains(what, here(line))) << what;
  }
  noop_kernel<<<1, 32>>>(nullptr);
  EXPECT_NO_THROW(MENAGERIE_LAUNCH_CHECK()) << "a failed cudaMalloc left a stale last error";
}

TEST(CudaCheck, InvalidCublasArgumentThrows) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  cuda::CublasHandle handle;
  const float alpha = 1, beta = 0;
  int line = 0;
  try {
    line = __LINE__; MENAGERIE_CUBLAS_CHECK(cublasSgemm(handle.get(), CUBLAS_OP_N, CUBLAS_OP_N, -1, 4, 4, &alpha, nullptr, 4, nullptr, 4, &beta, nullptr, 4));
    FAIL() << "cublasSgemm with m = -1 succeeded";
  } catch (const CudaError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.api, "cuBLAS");
    EXPECT_EQ(e.code, static_cast<long long>(CUBLAS_STATUS_INVALID_VALUE));
    EXPECT_EQ(e.name, "CUBLAS_STATUS_INVALID_VALUE");
    EXPECT_TRUE(contains(what, "CUBLAS_STATUS_INVALID_VALUE")) << what;
    EXPECT_TRUE(contains(what, "cublasSgemm(handle.get(), CUBLAS_OP_N, CUBLAS_OP_N, -1,")) << what;
    EXPECT_TRUE(contains(what, here(line))) << what;
  }
}

TEST(CudaCheck, InvalidCufftSizeThrows) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  for (int n : {0, -8}) {
    cufftHandle plan = 0;
    int line = 0;
    try {
      line = __LINE__; MENAGERIE_CUFFT_CHECK(cufftPlan1d(&plan, n, CUFFT_C2C, 1));
      cufftDestroy(plan);
      FAIL() << "cufftPlan1d with n = " << n << " succeeded";
    } catch (const CudaError& e) {
      const std::string what = e.what();
      EXPECT_EQ(e.api, "cuFFT");
      EXPECT_EQ(e.name.rfind("CUFFT_", 0), 0u) << what;
      EXPECT_NE(e.name, "CUFFT_UNKNOWN_ERROR") << what;
      EXPECT_NE(e.name, "CUFFT_SUCCESS") << what;
      EXPECT_TRUE(contains(what, "cufftPlan1d(&plan, n, CUFFT_C2C, 1)")) << what;
      EXPECT_TRUE(contains(what, here(line))) << what;
      RecordProperty(cat("cufft_n", n < 0 ? "neg" : "0"), e.name);
    }
  }
  cuda::CufftPlanCache cache;
  EXPECT_THROW(cache.get(CUFFT_R2C, 0, 1, nullptr), CudaError);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(CudaCheck, CufftNamesCoverTheHeader) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  EXPECT_STREQ(cuda::cufft_result_name(CUFFT_INVALID_SIZE), "CUFFT_INVALID_SIZE");
  EXPECT_STREQ(cuda::cufft_result_name(CUFFT_INVALID_PLAN), "CUFFT_INVALID_PLAN");
  EXPECT_STREQ(cuda::cufft_result_name(CUFFT_NOT_SUPPORTED), "CUFFT_NOT_SUPPORTED");
  EXPECT_STREQ(cuda::cufft_result_name(CUFFT_NVSHMEM_FAILURE), "CUFFT_NVSHMEM_FAILURE");
  EXPECT_STREQ(cuda::cufft_result_name(static_cast<cufftResult>(0x7f)), "CUFFT_UNKNOWN_ERROR");
}

TEST(CudaCheck, CudaErrorIsAnInternalError) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  try {
    cuda::throw_cufft_error(CUFFT_EXEC_FAILED, "call()", "f.cu", 7);
  } catch (const InputError&) {
    FAIL() << "CudaError must not be an InputError (it maps to exit status 1, not 2)";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cuFFT error CUFFT_EXEC_FAILED (6): failed to execute an FFT on the GPU in `call()` at f.cu:7");
  }
}

// The allocation failures of the three libraries are out-of-device-memory errors (sweep --runs-per-worker starts
// such a point again later), and other failures are not. Needs no GPU: only the throw helpers run.
TEST(CudaCheck, AllocationFailuresSayTheDeviceRanOutOfMemory) {
  const auto thrown = [](const std::function<void()>& f) -> std::pair<bool, std::string> {
    try {
      f();
    } catch (const CudaError& e) {
      return {out_of_device_memory(e), e.name};
    }
    ADD_FAILURE() << "nothing was thrown";
    return {false, ""};
  };
  const std::pair<bool, std::string> cases[] = {
      thrown([] { cuda::throw_cuda_error(cudaErrorMemoryAllocation, "cudaMalloc()", "f.cu", 1); }),
      thrown([] { cuda::throw_cublas_error(CUBLAS_STATUS_ALLOC_FAILED, "cublasCreate()", "f.cu", 2); }),
      thrown([] { cuda::throw_cufft_error(CUFFT_ALLOC_FAILED, "cufftPlan1d()", "f.cu", 3); })};
  for (const auto& [oom, name] : cases) EXPECT_TRUE(oom) << name << " must say the device ran out of memory";
  const std::pair<bool, std::string> others[] = {
      thrown([] { cuda::throw_cuda_error(cudaErrorInvalidValue, "cudaMemcpy()", "f.cu", 4); }),
      thrown([] { cuda::throw_cublas_error(CUBLAS_STATUS_INVALID_VALUE, "cublasSgemm()", "f.cu", 5); }),
      thrown([] { cuda::throw_cufft_error(CUFFT_INVALID_SIZE, "cufftPlan1d()", "f.cu", 6); })};
  for (const auto& [oom, name] : others) EXPECT_FALSE(oom) << name << " is not the device running out of memory";
}

}  // namespace
}  // namespace menagerie
