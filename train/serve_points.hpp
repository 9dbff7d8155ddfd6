// serve_points: the loop of a sweep's worker process (`menagerie sweep --worker-threads R`, cli/sweep_threads.hpp),
// with the training of one point given. `threads` host threads each read the next point id from `in` (one a line,
// until its end), call train_point(id) and write to `out`, one line each:
//   started ID   before train_point
//   done ID      it returned
//   failed ID    it threw
//   deferred ID  it threw an OutOfDeviceMemory error (core/out_of_device_memory.hpp) while another thread was in
//                train_point: the device's memory was shared, so the point may fit later with fewer beside it (the
//                parent hands it out again)
//   lost ID      it threw, another point having been in train_point beside it at some time, and context_lost() said
//                the process's device context is unusable: a sticky CUDA error (an illegal address in any thread's
//                kernel) fails every later call of every thread, so the failure need not be the point's own (the
//                parent trains it again in a fresh process, alone: train/point_dealer.hpp)
// context_lost() is asked after each throw. Once it has said yes, no thread starts another id (one read while
// waiting is dropped unstarted, for the parent to deal again); the points still in train_point end as lost (or done),
// and serve_points returns with context_lost set: the process must exit, its context being of no further use.
#pragma once
#include <cstdio>
#include <functional>
#include <istream>
#include <string>

namespace menagerie::train {

struct Served {
  int failed = 0;             // points reported failed (not deferred or lost)
  bool context_lost = false;  // context_lost() said yes
};

Served serve_points(int threads, std::istream& in, std::FILE* out,
                    const std::function<void(const std::string& id)>& train_point,
                    const std::function<bool()>& context_lost);

}  // namespace menagerie::train
