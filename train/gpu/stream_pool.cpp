// StreamLease and the pool of train/gpu/stream_pool.hpp: a mutex-guarded free list per device.
#include "train/gpu/stream_pool.hpp"

#include <map>
#include <mutex>
#include <vector>

#include "optimized/common/check.hpp"

namespace menagerie::train::gpu {
namespace {

struct Pool {
  std::mutex mutex;
  std::map<int, std::vector<cudaStream_t>> free;  // by device
  int created = 0;
};

Pool& pool() {
  static auto* p = new Pool;  // never destroyed: its streams outlive every backend
  return *p;
}

}  // namespace

StreamLease::StreamLease() {
  MENAGERIE_CUDA_CHECK(cudaGetDevice(&device_));
  Pool& p = pool();
  {
    const std::lock_guard lock(p.mutex);
    auto& list = p.free[device_];
    if (!list.empty()) {
      stream_ = list.back();
      list.pop_back();
      return;
    }
  }
  MENAGERIE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  const std::lock_guard lock(pool().mutex);
  ++pool().created;
}

StreamLease::~StreamLease() {
  // A stream with work in flight goes back only once that work is done; if that fails the context is lost and
  // the stream is dropped rather than handed to the next backend.
  if (cudaStreamSynchronize(stream_) != cudaSuccess) return;
  const std::lock_guard lock(pool().mutex);
  pool().free[device_].push_back(stream_);
}

void StreamLease::synchronize() const { MENAGERIE_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

int pooled_streams() {
  const std::lock_guard lock(pool().mutex);
  return pool().created;
}

bool context_lost() {
  if (pooled_streams() == 0) return false;
  void* probe = nullptr;
  cudaError_t e = cudaMalloc(&probe, 256);
  if (e == cudaSuccess) e = cudaFree(probe);
  if (e == cudaErrorMemoryAllocation) (void)cudaGetLastError();  // not sticky: clear it
  return e != cudaSuccess && e != cudaErrorMemoryAllocation;
}

}  // namespace menagerie::train::gpu
