// `menagerie verify --gpu` (cli/verify_gpu.cpp; cli/verify_gpu_none.cpp in a build without CUDA).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace menagerie::cli {

struct GpuVerifyOptions {
  std::vector<std::string> only;
  bool full = false, verbose = false;
  std::uint64_t seed = 20261123;
  std::string report_dir;  // empty: no report file
  int repeats = 3;         // determinism: reruns compared bit for bit with the first
  std::vector<std::string> variants;  // empty: every variant of the selected ids
};

// Throws InputError for an unknown --only id or a --variant none of the selected ids has, NotAvailableError without a GPU (or CUDA), Error on a failure.
void verify_gpu(const GpuVerifyOptions& options);

// The ids of the operators and mixers with GPU variants in this build (harness::KernelContracts), ", "-separated;
// empty in a build without CUDA. `menagerie bench` times only those of a family.
std::string gpu_kernel_ids();

}  // namespace menagerie::cli
