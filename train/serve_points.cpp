// The worker loop of train/serve_points.hpp.
#include "train/serve_points.hpp"

#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "core/out_of_device_memory.hpp"

namespace menagerie::train {

Served serve_points(int threads, std::istream& in, std::FILE* out,
                    const std::function<void(const std::string& id)>& train_point,
                    const std::function<bool()>& context_lost) {
  // Two locks: a thread waiting in getline (the parent keeps `in` open while points run, since one may come back
  // deferred) holds only `reading`, so the others can still report.
  std::mutex reading, io;  // `in`; `out`, `running` and `served`
  std::map<std::string, bool> running;  // the points in train_point: has another been in it beside this one?
  Served served;
  const auto event = [&](const char* what, const std::string& id) {
    const std::lock_guard lock(io);
    std::fprintf(out, "%s %s\n", what, id.c_str());
    std::fflush(out);
  };
  const auto lost = [&] {
    const std::lock_guard lock(io);
    return served.context_lost;
  };
  const auto serve = [&] {
    for (;;) {
      std::string id;
      {
        const std::lock_guard lock(reading);
        if (lost() || !std::getline(in, id)) return;
      }
      if (lost()) return;  // read while waiting, after the loss: never started (the parent deals it again)
      if (id.empty()) continue;
      {
        const std::lock_guard lock(io);
        const bool beside = !running.empty();
        for (auto& entry : running) entry.second = true;
        running[id] = beside;
      }
      event("started", id);
      const char* end = "done";
      try {
        train_point(id);
      } catch (const std::exception& e) {
        const bool gone = context_lost();  // outside the lock: it may wait for the device
        const std::lock_guard lock(io);
        served.context_lost = served.context_lost || gone;
        if (served.context_lost)
          end = running.at(id) ? "lost" : "failed";
        else
          end = out_of_device_memory(e) && running.size() > 1 ? "deferred" : "failed";
      }
      {
        const std::lock_guard lock(io);
        running.erase(id);
        served.failed += std::strcmp(end, "failed") == 0 ? 1 : 0;
      }
      event(end, id);
    }
  };
  std::vector<std::thread> pool;
  for (int k = 0; k < threads; ++k) pool.emplace_back(serve);
  for (auto& t : pool) t.join();
  return served;
}

}  // namespace menagerie::train
