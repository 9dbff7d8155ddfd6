// Provenance with the GPU part: compiled in both the CUDA and the cpu-only build.
#include "optimized/common/device.hpp"

namespace menagerie {

Provenance current_provenance() {
  Provenance p = host_provenance();
  const DeviceReport r = device_report();
  p.cuda_runtime = r.runtime_version ? cuda_version_string(r.runtime_version)
                                     : r.built_with_cuda ? "unknown" : "none (cpu-only build)";
  p.cuda_driver = r.driver_version ? cuda_version_string(r.driver_version) : "none";
  if (!r.gpus.empty()) {
    const GpuInfo& g = r.gpus.front();
    p.gpu = g.name + " (sm_" + std::to_string(g.cc_major) + std::to_string(g.cc_minor) + ", " +
            std::to_string(g.sm_count) + " SMs)";
    if (r.gpus.size() > 1) p.gpu += " x" + std::to_string(r.gpus.size());
  } else {
    p.gpu = "none (" + r.note + ")";
  }
  return p;
}

}  // namespace menagerie
