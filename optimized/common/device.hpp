// What GPUs this process sees. Safe to call in any build: in the cpu-only build gpu_available() is false and
// device_report() says "built without CUDA". Neither function throws.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace menagerie {

struct GpuInfo {
  int index = 0;
  std::string name;
  int cc_major = 0, cc_minor = 0;
  int sm_count = 0;
  std::size_t memory_bytes = 0;
  std::size_t l2_bytes = 0;
};

struct DeviceReport {
  bool built_with_cuda = false;
  int runtime_version = 0;  // CUDA runtime, e.g. 13000; 0 when unknown
  int driver_version = 0;   // highest CUDA version the driver supports; 0 when no driver
  std::vector<GpuInfo> gpus;
  std::string note;         // why no GPU is listed ("no CUDA driver", "built without CUDA", ...), else empty
};

bool gpu_available() noexcept;
DeviceReport device_report() noexcept;

// "13.0" from 13000.
std::string cuda_version_string(int v);

}  // namespace menagerie

#include "core/provenance.hpp"

namespace menagerie {

// host_provenance() with the GPU and CUDA fields filled from device_report().
Provenance current_provenance();

}  // namespace menagerie
