// allow_dynamic_smem(kernel, bytes): lets `kernel` launch with `bytes` of dynamic shared memory on the current device
// (cudaFuncAttributeMaxDynamicSharedMemorySize, needed above 48 KiB). The attribute is per (kernel, context), shared
// by every host thread: a launcher that set it to its own problem's size before each launch could lower it under
// another thread's launch of a larger problem of the same kernel (several training runs in one process, each its own
// shapes), which then fails. So the attribute only ever rises, to the largest size asked for on that device so far,
// under one lock; a size already allowed costs a map lookup.
#pragma once
#include <cstddef>

#include <cuda_runtime.h>

namespace menagerie::cuda {

void allow_dynamic_smem(const void* kernel, std::size_t bytes);

template <class... Params>
void allow_dynamic_smem(void (*kernel)(Params...), std::size_t bytes) {
  allow_dynamic_smem(reinterpret_cast<const void*>(kernel), bytes);
}

}  // namespace menagerie::cuda
