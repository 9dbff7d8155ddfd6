// `menagerie verify --gpu` in a build without CUDA: says so (exit 2).
#include "cli/verify_gpu.hpp"
#include "core/errors.hpp"

namespace menagerie::cli {

void verify_gpu(const GpuVerifyOptions&) {
  throw NotAvailableError("menagerie verify --gpu: this build has no CUDA kernels (configured without nvcc)");
}

}  // namespace menagerie::cli
