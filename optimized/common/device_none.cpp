// The device query of the cpu-only build (MENAGERIE_WITH_CUDA=OFF): no kernels, no GPU.
#include "optimized/common/device.hpp"

namespace menagerie {

bool gpu_available() noexcept { return false; }

DeviceReport device_report() noexcept {
  DeviceReport r;
  r.note = "built without CUDA (cpu-only build)";
  return r;
}

std::string cuda_version_string(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

}  // namespace menagerie
