// train::serve_points (train/serve_points.hpp), the loop of a sweep's worker process, with stand-in trainers: a point
// that runs out of device memory while another point of the process trains is reported "deferred" (the parent
// starts it again later with fewer beside it) and not counted as failed; out of device memory with nothing else
// training, or any other error beside others, is "failed". When the device context is lost (the probe says so after a
// throw), the points that trained beside another end "lost" (the parent trains them again, alone), one that trained
// alone "failed", and no further id is read. Every id read gets one "started" line and one ending line.
// The points are made to overlap by waiting (at most 10 s) for each other (Overlap, ContextLoss).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/errors.hpp"
#include "core/out_of_device_memory.hpp"
#include "train/serve_points.hpp"

namespace menagerie::test {
namespace {

struct FakeOutOfMemory : Error, OutOfDeviceMemory {
  using Error::Error;
};

// Runs serve_points on `ids` (one a line) and returns its return value and the lines it wrote, by id.
struct Served {
  int failed = 0;
  bool context_lost = false;
  std::map<std::string, std::vector<std::string>> events;  // id -> its events in order
};

Served serve(int threads, const std::string& ids, const std::function<void(const std::string&)>& train_point,
             const std::function<bool()>& context_lost = [] { return false; }) {
  std::FILE* out = std::tmpfile();
  EXPECT_NE(out, nullptr);
  std::istringstream in(ids);
  Served s;
  const train::Served r = train::serve_points(threads, in, out, train_point, context_lost);
  s.failed = r.failed;
  s.context_lost = r.context_lost;
  std::rewind(out);
  char what[64], id[256];
  while (std::fscanf(out, "%63s %255s", what, id) == 2) s.events[id].push_back(what);
  std::fclose(out);
  return s;
}

// A stand-in trainer for points a, b and c on two threads: a waits until b has entered, then b throws `b_throws`;
// a returns only once c has entered, which b's thread does after writing b's ending, so a is still training when b
// ends; c returns at once.
class Overlap {
 public:
  explicit Overlap(std::function<void()> b_throws) : b_throws_(std::move(b_throws)) {}
  void operator()(const std::string& id) {
    std::unique_lock lock(m_);
    entered_.push_back(id);
    cv_.notify_all();
    const auto wait_for = [&](const std::string& other) {
      if (!cv_.wait_for(lock, std::chrono::seconds(10), [&] {
            return std::find(entered_.begin(), entered_.end(), other) != entered_.end();
          }))
        throw std::runtime_error(id + ": " + other + " did not start within 10 s");
    };
    if (id == "a") {
      wait_for("b");
      wait_for("c");
    } else if (id == "b") {
      wait_for("a");
      lock.unlock();
      b_throws_();
    }
  }

 private:
  std::function<void()> b_throws_;
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::string> entered_;
};

using Events = std::vector<std::string>;

// a, b and c on two threads, b throwing `b_throws` while a trains (Overlap); a and c must end "done".
Served serve_overlapping(std::function<void()> b_throws) {
  Overlap three(std::move(b_throws));
  Served s = serve(2, "a\nb\nc\n", std::ref(three));
  EXPECT_EQ(s.events.at("a"), (Events{"started", "done"}));
  EXPECT_EQ(s.events.at("c"), (Events{"started", "done"}));
  return s;
}

TEST(ServePoints, OutOfDeviceMemoryBesideAnotherPointIsDeferred) {
  const Served s = serve_overlapping([] { throw FakeOutOfMemory("cudaErrorMemoryAllocation (2): out of memory"); });
  EXPECT_EQ(s.events.at("b"), (Events{"started", "deferred"}));
  EXPECT_EQ(s.failed, 0) << "a deferred point is not a failure";
}

TEST(ServePoints, OtherErrorsBesideAnotherPointFail) {
  const Served s = serve_overlapping([] { throw Error("cuBLAS error CUBLAS_STATUS_INVALID_VALUE (7)"); });
  EXPECT_EQ(s.events.at("b"), (Events{"started", "failed"}));
  EXPECT_EQ(s.failed, 1);
}

TEST(ServePoints, OutOfDeviceMemoryAloneFails) {
  // One thread: nothing else is training when c runs out of memory, so waiting would not help.
  const Served s = serve(1, "a\n\nc\n", [](const std::string& id) {
    if (id == "c") throw FakeOutOfMemory("out of memory");
  });
  EXPECT_EQ(s.events.size(), 2u) << "the empty line is not a point";
  EXPECT_EQ(s.events.at("a"), (Events{"started", "done"}));
  EXPECT_EQ(s.events.at("c"), (Events{"started", "failed"}));
  EXPECT_EQ(s.failed, 1);
}

// a and b on two threads (then c and d in line): b throws once a has entered, and the probe says the context is
// lost; a throws once the probe has been asked, as every call of a process with a lost context does.
class ContextLoss {
 public:
  void operator()(const std::string& id) {
    std::unique_lock lock(m_);
    entered_.push_back(id);
    cv_.notify_all();
    const auto wait = [&](const auto& ready, const char* what) {
      if (!cv_.wait_for(lock, std::chrono::seconds(10), ready))
        throw std::runtime_error(id + ": " + what + " not within 10 s");
    };
    if (id == "b") {
      wait([&] { return std::find(entered_.begin(), entered_.end(), "a") != entered_.end(); }, "a entered");
      throw Error("CUDA runtime error cudaErrorIllegalAddress (700)");
    }
    if (id == "a") {
      wait([&] { return asked_; }, "the probe asked");
      throw Error("cuBLAS error CUBLAS_STATUS_INTERNAL_ERROR (14)");
    }
  }
  bool probe() {
    const std::lock_guard lock(m_);
    asked_ = true;
    cv_.notify_all();
    return true;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::string> entered_;
  bool asked_ = false;
};

TEST(ServePoints, ALostContextEndsThePointsBesideEachOtherAsLostAndReadsNoMore) {
  ContextLoss loss;
  const Served s = serve(2, "a\nb\nc\nd\n", std::ref(loss), [&] { return loss.probe(); });
  EXPECT_EQ(s.events.at("b"), (Events{"started", "lost"}));
  EXPECT_EQ(s.events.at("a"), (Events{"started", "lost"})) << "a trained beside b, though it failed last, alone";
  EXPECT_EQ(s.events.count("c") + s.events.count("d"), 0u) << "no point starts in a process whose context is lost";
  EXPECT_TRUE(s.context_lost);
  EXPECT_EQ(s.failed, 0) << "lost points are not failures";
}

TEST(ServePoints, APointThatLosesTheContextAloneFails) {
  const Served s = serve(1, "a\nb\n", [](const std::string& id) {
    if (id == "a") throw Error("CUDA runtime error cudaErrorIllegalAddress (700)");
  }, [] { return true; });
  EXPECT_EQ(s.events.at("a"), (Events{"started", "failed"})) << "nothing else trained: the failure is its own";
  EXPECT_EQ(s.events.count("b"), 0u);
  EXPECT_TRUE(s.context_lost);
  EXPECT_EQ(s.failed, 1);
}

TEST(ServePoints, TheProbeIsAskedOnlyAfterAThrowAndItsNoKeepsFailuresAsTheyWere) {
  int asked = 0;
  const Served s = serve(1, "a\nb\nc\n", [](const std::string& id) {
    if (id == "b") throw Error("a bad config");
  }, [&] { return ++asked, false; });
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(s.events.at("b"), (Events{"started", "failed"}));
  EXPECT_EQ(s.events.at("c"), (Events{"started", "done"}));
  EXPECT_FALSE(s.context_lost);
}

}  // namespace
}  // namespace menagerie::test
