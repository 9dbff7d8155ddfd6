// The one timing function of the GPU benchmarks (docs/kernels.md §4): a call bracketed by CUDA events on the default
// stream after the L2 cache is flushed (a memset of twice its size, the value changing each time), so each
// repetition reads its operands from HBM. Callers run their warm-up calls first and take the median of repeats.
#pragma once
#include <cstddef>
#include <functional>
#include <vector>

#include "optimized/common/device_buffer.hpp"
#include "optimized/common/stream.hpp"

namespace menagerie::harness {

class Timer {
 public:
  Timer();
  // Milliseconds of one call of f, L2 flushed before it.
  double once(const std::function<void()>& f);
  // The median of `reps` calls (after one untimed call).
  double median(const std::function<void()>& f, int reps);

 private:
  cuda::DeviceBuffer<unsigned char> flush_;
  cuda::Event start_, stop_;
  unsigned char fill_ = 0;
};

}  // namespace menagerie::harness
