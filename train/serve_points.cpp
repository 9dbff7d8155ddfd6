// The worker loop of train/serve_points.hpp.
#include "train/serve_points.hpp"

#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "core/out_of_device_memory.hpp"

namespace menagerie::train {

int serve_points(int threads, std::istream& in, std::FILE* out,
                 const std::function<void(const std::string& id)>& train_point) {
  // Two locks: a thread waiting in getline (the parent keeps `in` open while points run, since one may come back
  // deferred) holds only `reading`, so the others can still report.
  std::mutex reading, io;  // `in`; `out` and the counts
  int failed = 0, active = 0;
  const auto event = [&](const char* what, const std::string& id) {
    const std::lock_guard lock(io);
    std::fprintf(out, "%s %s\n", what, id.c_str());
    std::fflush(out);
  };
  const auto serve = [&] {
    for (;;) {
      std::string id;
      {
        const std::lock_guard lock(reading);
        if (!std::getline(in, id)) return;
      }
      if (id.empty()) continue;
      {
        const std::lock_guard lock(io);
        ++active;
      }
      event("started", id);
      const char* end = "done";
      try {
        train_point(id);
      } catch (const std::exception& e) {
        const std::lock_guard lock(io);
        end = out_of_device_memory(e) && active > 1 ? "deferred" : "failed";
      }
      {
        const std::lock_guard lock(io);
        --active;
        failed += std::strcmp(end, "failed") == 0 ? 1 : 0;
      }
      event(end, id);
    }
  };
  std::vector<std::thread> pool;
  for (int k = 0; k < threads; ++k) pool.emplace_back(serve);
  for (auto& t : pool) t.join();
  return failed;
}

}  // namespace menagerie::train
