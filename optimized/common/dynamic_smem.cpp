// The raise-only shared-memory attribute of optimized/common/dynamic_smem.hpp.
#include "optimized/common/dynamic_smem.hpp"

#include <map>
#include <mutex>
#include <utility>

#include "optimized/common/check.hpp"

namespace menagerie::cuda {

void allow_dynamic_smem(const void* kernel, std::size_t bytes) {
  static std::mutex mutex;
  static auto* allowed = new std::map<std::pair<int, const void*>, std::size_t>;  // (device, kernel) -> bytes
  int device = 0;
  MENAGERIE_CUDA_CHECK(cudaGetDevice(&device));
  const std::lock_guard lock(mutex);
  std::size_t& now = (*allowed)[{device, kernel}];
  if (bytes <= now) return;
  MENAGERIE_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                            static_cast<int>(bytes)));
  now = bytes;
}

}  // namespace menagerie::cuda
