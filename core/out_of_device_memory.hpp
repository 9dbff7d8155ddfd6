// OutOfDeviceMemory: mixed into an Error that says the device ran out of memory (optimized/common/check.cpp throws
// such a CudaError for cudaErrorMemoryAllocation, CUBLAS_STATUS_ALLOC_FAILED and CUFFT_ALLOC_FAILED). Unlike other
// internal failures it may pass once less else holds the device's memory: sweep --runs-per-worker starts such a
// point again later, with fewer points beside it (cli/sweep_threads.hpp).
#pragma once
#include <exception>

namespace menagerie {

struct OutOfDeviceMemory {
  virtual ~OutOfDeviceMemory() = default;
};

inline bool out_of_device_memory(const std::exception& e) {
  return dynamic_cast<const OutOfDeviceMemory*>(&e) != nullptr;
}

}  // namespace menagerie
