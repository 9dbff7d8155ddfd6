// cuda::allow_dynamic_smem (optimized/common/dynamic_smem.hpp): the kernel's MaxDynamicSharedMemorySize only rises,
// so a launcher asking for a smaller size never takes a larger one away from another launch of the same kernel; and
// two host threads launching one kernel at two sizes above 48 KiB, each allowing its own size first (as two training
// runs of different shapes in one sweep worker do), never see a launch refused. Launches write and read back every
// float of their dynamic shared memory, so a launch that did not run shows in the sums.
#include <gtest/gtest.h>

#include <cstddef>
#include <functional>
#include <limits>
#include <thread>
#include <vector>

#include "optimized/common/check.hpp"
#include "optimized/common/device.hpp"
#include "optimized/common/device_buffer.hpp"
#include "optimized/common/dynamic_smem.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

// out[0] = sum over i < n of i, through shared memory (n floats of it).
__global__ void smem_sum_kernel(int n, float* out) {
  extern __shared__ float s[];
  for (int i = static_cast<int>(threadIdx.x); i < n; i += static_cast<int>(blockDim.x))
    s[i] = static_cast<float>(i % 7);
  __syncthreads();
  if (threadIdx.x == 0) {
    float sum = 0.f;
    for (int i = 0; i < n; ++i) sum += s[i];
    *out = sum;
  }
}

float expected_sum(int n) {
  float sum = 0.f;
  for (int i = 0; i < n; ++i) sum += static_cast<float>(i % 7);
  return sum;
}

// Launches smem_sum_kernel on `stream` with n floats of dynamic shared memory, after allowing them, and returns the
// launch's error (not thrown) and the sum it wrote (NaN first).
cudaError_t launch_sum(int n, cudaStream_t stream, cuda::DeviceBuffer<float>& out, float& sum) {
  const std::vector<float> nan(1, std::numeric_limits<float>::quiet_NaN());
  out.upload(nan, stream);
  cuda::allow_dynamic_smem(smem_sum_kernel, sizeof(float) * static_cast<std::size_t>(n));
  smem_sum_kernel<<<1, 128, sizeof(float) * static_cast<std::size_t>(n), stream>>>(n, out.data());
  const cudaError_t e = cudaGetLastError();
  MENAGERIE_CUDA_CHECK(cudaStreamSynchronize(stream));
  sum = out.download(stream)[0];
  return e;
}

constexpr int kLarge = 96 * 1024 / 4, kSmall = 56 * 1024 / 4;  // floats: 96 KiB and 56 KiB, both above 48 KiB

TEST(DynamicSmem, TheAllowedSizeOnlyRises) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  cuda::DeviceBuffer<float> out(1);
  float sum = 0.f;
  ASSERT_EQ(launch_sum(kLarge, nullptr, out, sum), cudaSuccess);
  EXPECT_EQ(sum, expected_sum(kLarge));
  ASSERT_EQ(launch_sum(kSmall, nullptr, out, sum), cudaSuccess);
  EXPECT_EQ(sum, expected_sum(kSmall));
  cudaFuncAttributes attr{};
  MENAGERIE_CUDA_CHECK(cudaFuncGetAttributes(&attr, smem_sum_kernel));
  EXPECT_GE(attr.maxDynamicSharedSizeBytes, static_cast<int>(sizeof(float) * kLarge))
      << "allowing 56 KiB after 96 KiB lowered the kernel's limit";
  ASSERT_EQ(launch_sum(kLarge, nullptr, out, sum), cudaSuccess) << "the larger launch again, without a new allowance";
}

TEST(DynamicSmem, TwoThreadsLaunchingTwoSizesAreNeverRefused) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  constexpr int kLaunches = 300;
  const auto hammer = [](int n, int& refused, int& wrong) {
    cudaStream_t stream = nullptr;
    MENAGERIE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    cuda::DeviceBuffer<float> out(1);
    for (int i = 0; i < kLaunches; ++i) {
      float sum = 0.f;
      if (launch_sum(n, stream, out, sum) != cudaSuccess)
        ++refused;
      else if (sum != expected_sum(n))
        ++wrong;
    }
    MENAGERIE_CUDA_CHECK(cudaStreamDestroy(stream));
  };
  int refused[2] = {0, 0}, wrong[2] = {0, 0};
  std::thread large(hammer, kLarge, std::ref(refused[0]), std::ref(wrong[0]));
  std::thread small(hammer, kSmall, std::ref(refused[1]), std::ref(wrong[1]));
  large.join();
  small.join();
  EXPECT_EQ(refused[0] + refused[1], 0) << "of " << 2 * kLaunches << " launches (96 KiB: " << refused[0] << ")";
  EXPECT_EQ(wrong[0] + wrong[1], 0);
}

}  // namespace
}  // namespace menagerie
