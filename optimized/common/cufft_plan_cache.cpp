// CufftPlanCache of optimized/common/cufft_plan_cache.hpp.
#include "optimized/common/cufft_plan_cache.hpp"

#include "optimized/common/check.hpp"

namespace menagerie::cuda {

CufftPlanCache::~CufftPlanCache() { clear(); }

cufftHandle CufftPlanCache::get(cufftType type, int n, int batch, cudaStream_t stream) {
  int device = 0;
  MENAGERIE_CUDA_CHECK(cudaGetDevice(&device));
  const Key key{static_cast<int>(type), n, batch, reinterpret_cast<std::uintptr_t>(stream), device};
  const std::lock_guard<std::mutex> lock(mutex_);
  if (const auto it = plans_.find(key); it != plans_.end()) return it->second;

  cufftHandle plan = 0;
  MENAGERIE_CUFFT_CHECK(cufftCreate(&plan));
  try {
    std::size_t work_bytes = 0;
    MENAGERIE_CUFFT_CHECK(
        cufftMakePlanMany(plan, 1, &n, nullptr, 1, 0, nullptr, 1, 0, type, batch, &work_bytes));
    MENAGERIE_CUFFT_CHECK(cufftSetStream(plan, stream));
  } catch (...) {
    cufftDestroy(plan);
    throw;
  }
  plans_.emplace(key, plan);
  return plan;
}

std::size_t CufftPlanCache::size() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return plans_.size();
}

void CufftPlanCache::clear() {
  const std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [key, plan] : plans_) cufftDestroy(plan);
  plans_.clear();
}

}  // namespace menagerie::cuda
