// Device query of the CUDA build. Never throws: a missing driver or GPU is reported, not raised.
#include <cuda_runtime.h>

#include "optimized/common/device.hpp"

namespace menagerie {

bool gpu_available() noexcept {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

DeviceReport device_report() noexcept {
  DeviceReport r;
  r.built_with_cuda = true;
  cudaRuntimeGetVersion(&r.runtime_version);
  if (cudaDriverGetVersion(&r.driver_version) != cudaSuccess) r.driver_version = 0;
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    if (r.driver_version == 0 || e == cudaErrorInsufficientDriver)
      r.note = r.driver_version == 0 ? "no NVIDIA driver, so no GPU"
                                      : "the NVIDIA driver is older than this build's CUDA runtime, so no GPU";
    else if (e == cudaErrorNoDevice)
      r.note = "no GPU (an NVIDIA driver but no device)";
    else
      r.note = std::string("no GPU: ") + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")";
    cudaGetLastError();
    return r;
  }
  for (int i = 0; i < n; ++i) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    r.gpus.push_back({i, p.name, p.major, p.minor, p.multiProcessorCount, p.totalGlobalMem,
                      static_cast<std::size_t>(p.l2CacheSize)});
  }
  if (r.gpus.empty()) r.note = "no GPU visible";
  return r;
}

std::string cuda_version_string(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

}  // namespace menagerie
