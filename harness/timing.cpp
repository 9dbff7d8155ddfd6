// Timer: CUDA-event timing with an L2 flush before each call (see timing.hpp).
#include "harness/timing.hpp"

#include <algorithm>

#include "optimized/common/device.hpp"

namespace menagerie::harness {

Timer::Timer() : flush_(2 * std::max<std::size_t>(device_report().gpus.at(0).l2_bytes, 1 << 20)) {}

double Timer::once(const std::function<void()>& f) {
  flush_.fill_bytes(++fill_, nullptr);
  start_.record(nullptr);
  f();
  stop_.record(nullptr);
  return cuda::elapsed_ms(start_, stop_);
}

double Timer::median(const std::function<void()>& f, int reps) {
  f();
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) ms.push_back(once(f));
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace menagerie::harness
