// serve_points: the loop of a sweep's worker process (`menagerie sweep --worker-threads R`, cli/sweep_threads.hpp),
// with the training of one point given. `threads` host threads each read the next point id from `in` (one a line,
// until its end), call train_point(id) and write to `out`, one line each:
//   started ID   before train_point
//   done ID      it returned
//   failed ID    it threw
//   deferred ID  it threw an OutOfDeviceMemory error (core/out_of_device_memory.hpp) while another thread was in
//                train_point: the device's memory was shared, so the point may fit later with fewer beside it (the
//                parent hands it out again)
// Returns the number that failed (deferred points are not counted).
#pragma once
#include <cstdio>
#include <functional>
#include <istream>
#include <string>

namespace menagerie::train {

int serve_points(int threads, std::istream& in, std::FILE* out,
                 const std::function<void(const std::string& id)>& train_point);

}  // namespace menagerie::train
