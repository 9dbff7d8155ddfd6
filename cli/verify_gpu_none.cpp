// `menagerie verify --gpu` in a build without CUDA: says so (exit 2); it has no GPU kernel ids.
#include "cli/verify_gpu.hpp"
#include "core/errors.hpp"

namespace menagerie::cli {

std::string gpu_kernel_ids() { return ""; }

void verify_gpu(const GpuVerifyOptions&) {
  throw NotAvailableError("menagerie verify --gpu: this build has no CUDA kernels (configured without nvcc)");
}

}  // namespace menagerie::cli
