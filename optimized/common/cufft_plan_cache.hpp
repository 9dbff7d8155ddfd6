// A thread-safe cache of 1-D cuFFT plans keyed by (type, n, batch, stream, device). A plan is made on first use
// with cufftMakePlanMany(rank 1, n, basic contiguous layout, batch): for R2C/D2Z the input rows are n reals and the
// output rows n/2 + 1 complex values (C2R/Z2D the reverse), for C2C/Z2Z both n complex values; rows follow each
// other. The plan is bound to `stream` (cufftSetStream) and owns its work area; every plan is destroyed with the
// cache. Creating a plan allocates, so a launcher takes a warmed cache (call get() once outside timing/graphs).
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>

#include <cuda_runtime.h>
#include <cufft.h>

namespace menagerie::cuda {

class CufftPlanCache {
 public:
  CufftPlanCache() = default;
  ~CufftPlanCache();
  CufftPlanCache(const CufftPlanCache&) = delete;
  CufftPlanCache& operator=(const CufftPlanCache&) = delete;

  // The plan for (type, n, batch) on `stream` and the current device; throws CudaError (cuFFT) when cuFFT
  // refuses the size (e.g. n <= 0 gives CUFFT_INVALID_SIZE).
  cufftHandle get(cufftType type, int n, int batch, cudaStream_t stream);
  std::size_t size() const;  // number of cached plans
  void clear();              // destroys every plan

 private:
  using Key = std::tuple<int, int, int, std::uintptr_t, int>;  // type, n, batch, stream, device
  mutable std::mutex mutex_;
  std::map<Key, cufftHandle> plans_;
};

}  // namespace menagerie::cuda
