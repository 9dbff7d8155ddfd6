// menagerie sweep --workers N --runs-per-worker R (cli/sweep_threads.hpp): the parent feeds point ids to N
// children through their stdin and reads their events from their stdout (poll); each child trains R points at once,
// one host thread each.
#include "cli/sweep_threads.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "cli/sweep_slurm.hpp"
#include "core/errors.hpp"
#include "core/io/file_lock.hpp"
#include "core/out_of_device_memory.hpp"
#include "train/point_dealer.hpp"
#include "train/serve_points.hpp"
#include "train/gpu_backend.hpp"
#include "train/trainer.hpp"

namespace menagerie::cli {

namespace fs = std::filesystem;

void train_locked_point(const train::Sweep& sweep, const std::string& id, const train::SweepOptions& opt,
                        const std::function<void()>& after_tables) {
  const train::SweepPoint* p = train::find_point(sweep, id);
  require<InputError>(p != nullptr, "--point ", id, ": not a point of sweep ", sweep.name, " (its ",
                      sweep.points.size(), " points are named like ", sweep.points.front().id, ")");
  fs::create_directories(opt.runs_dir / ".locks");
  const std::string owner = train::process_owner_note();
  const fs::path lock_path = train::point_lock_path(opt.runs_dir, id);
  const auto lock = FileLock::try_acquire(lock_path, owner);
  if (!lock)
    return opt.log(cat(id, ": being trained by another process (", FileLock::read_note(lock_path), "); left to it"));
  opt.log(cat(id, ": trained by ", owner));
  write_task_record(opt.runs_dir, id, "running");
  train::TrainSummary summary;
  try {
    summary = train::train_run(p->config, {opt.runs_dir / id, opt.progress, opt.log, {}});
  } catch (const std::exception& e) {
    write_task_record(opt.runs_dir, id, "failed", e.what());
    throw;
  }
  write_task_record(opt.runs_dir, id, "done");
  opt.log(cat(id, ": valid/accuracy ", summary.final_line.value("valid/accuracy", 0.0), " after ",
              summary.final_line.value("epoch", std::int64_t{0}), " epochs"));
  train::write_sweep_tables(sweep, opt.runs_dir, opt.out_dir, owner, after_tables);
  opt.log(cat("wrote ", (opt.out_dir / (sweep.name + ".csv")).string()));
}

// ---- the child ----

// MENAGERIE_TEST_LOSE_CONTEXT=ID (for verify/cli_sweep_lost_context.sh only): this worker behaves as if point ID's
// kernel had left a sticky CUDA error, on a machine without a GPU. ID throws once another point of the worker has
// started (or after 2 s alone), the context-lost probe says yes from then on, and every other point of the worker
// throws at its next log line, as every CUDA call would.
train::Served serve_sweep_points(const train::Sweep& sweep, const train::SweepOptions& opt, int threads) {
  const fs::path logs = opt.runs_dir / ".workers";
  fs::create_directories(logs);
  for (const char* name : {"CUDA_MODULE_LOADING", "CUDA_VISIBLE_DEVICES"}) {
    const char* value = std::getenv(name);
    std::fprintf(stderr, "worker: %s=%s\n", name, value ? value : "(unset)");
  }
  const char* fault = std::getenv("MENAGERIE_TEST_LOSE_CONTEXT");
  std::atomic<bool> faulted{false};
  std::atomic<int> entered{0};
  const auto lost_here = [&] {
    faulted = true;
    return Error("the device context was lost (MENAGERIE_TEST_LOSE_CONTEXT)");
  };
  return train::serve_points(threads, std::cin, stdout, [&](const std::string& id) {
    std::unique_ptr<FILE, int (*)(FILE*)> log(std::fopen((logs / (id + ".log")).c_str(), "a"), &std::fclose);
    const auto write = [f = log.get()](const std::string& line) {
      if (!f) return;
      std::fprintf(f, "%s\n", line.c_str());
      std::fflush(f);
    };
    train::SweepOptions mine = opt;
    mine.progress = false;
    mine.log = [&](const std::string& line) {
      write(line);
      if (faulted) throw lost_here();
    };
    ++entered;
    try {
      if (fault && id == fault) {
        for (int i = 0; i < 200 && entered < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        throw lost_here();
      }
      train_locked_point(sweep, id, mine, {});
    } catch (const std::exception& e) {
      write(cat(out_of_device_memory(e) ? "out of device memory (started again later if other runs held it): "
                                        : "menagerie: error: ",
                e.what()));
      throw;
    }
  }, [&] { return faulted || train::gpu_context_lost(); });
}

// ---- the parent ----

namespace {

using Clock = std::chrono::steady_clock;

struct Child {
  pid_t pid = -1;
  int in = -1, out = -1;  // our ends: its stdin (ids), its stdout (events)
  std::string gpu, pending;
  int handed = 0;
};

// The child's CUDA modules load eagerly, at its context's creation, unless the user's environment says otherwise. With
// lazy loading (CUDA's default since 12.2) a kernel loads at its first launch, and a load may need the context
// synchronised; in session 33 the cuFFT runs of a 12-run worker stalled for about 70 s in cufftMakePlanMany and
// cufftExecR2C while the others trained, before the worker's illegal address. Not yet shown to be its cause.
const std::vector<std::string> kChildDefaults = {"CUDA_MODULE_LOADING=EAGER"};

// Starts the child with stdin and stdout on pipes and stderr appended to `log`; CUDA_VISIBLE_DEVICES = gpu.
Child spawn_child(const std::vector<std::string>& argv, const fs::path& log, const std::string& gpu) {
  int to_child[2], from_child[2];
  require<Error>(pipe2(to_child, O_CLOEXEC) == 0 && pipe2(from_child, O_CLOEXEC) == 0,
                 "sweep --runs-per-worker: pipe: ", std::strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, to_child[0], 0);
  posix_spawn_file_actions_adddup2(&fa, from_child[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  Child c;
  const int rc = spawn_on_gpu(c.pid, argv, gpu, fa, kChildDefaults);
  posix_spawn_file_actions_destroy(&fa);
  close(to_child[0]);
  close(from_child[1]);
  if (rc != 0) {
    close(to_child[1]);
    close(from_child[0]);
    throw Error(cat("sweep --runs-per-worker: cannot start ", argv[0], ": ", std::strerror(rc)));
  }
  c.in = to_child[1], c.out = from_child[0], c.gpu = gpu;
  return c;
}

bool send_line(int fd, const std::string& line) {
  const std::string text = line + "\n";
  std::size_t at = 0;
  while (at < text.size()) {
    const ssize_t n = write(fd, text.data() + at, text.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    at += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

int run_sweep_thread_workers(const SlurmSweep& s, const std::string& config_path, const WorkerOptions& o) {
  const fs::path exe = self_executable(), logs = s.runs_dir / ".workers";
  fs::create_directories(logs);
  const auto order = unfinished_points_cheapest_first(s, o.match);
  const std::size_t points = order.size();
  std::string gpus;
  for (const auto& g : o.gpus) gpus += (gpus.empty() ? "" : ",") + g;
  std::printf("sweep %s: %zu of %zu points unfinished%s, %d workers x %d runs each%s%s; logs in %s\n",
              s.sweep.name.c_str(), points, s.sweep.points.size(),
              o.match.empty() ? "" : " (of those --match names)", o.workers, o.runs_per_worker,
              gpus.empty() ? "" : " on GPUs ", gpus.c_str(), logs.string().c_str());
  std::fflush(stdout);
  signal(SIGPIPE, SIG_IGN);  // a child that died is seen at its stdout's end, not as a signal here
  train::SweepDeadline deadline(s.sweep, o.deadline_s, s.runs_dir);
  const auto t0 = Clock::now();
  const auto seconds = [](Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); };
  std::vector<Child> children;
  std::map<std::string, Clock::time_point> started;
  std::vector<std::string> failed;
  const int n = std::min<int>(o.workers, static_cast<int>((points + static_cast<std::size_t>(o.runs_per_worker) - 1) /
                                                          static_cast<std::size_t>(o.runs_per_worker)));
  train::PointDealer dealer(std::deque<std::string>(order.begin(), order.end()), static_cast<std::size_t>(n),
                            o.runs_per_worker);
  const auto may_start = [&](const std::string& id) { return deadline.may_start(id, seconds(t0)); };
  // Tops child k up to its cap, then closes its stdin if the dealer is done with it.
  const auto hand_out = [&](std::size_t k) {
    Child& c = children[k];
    while (c.in >= 0) {
      const auto id = dealer.next(k, may_start);
      if (!id) break;
      if (!send_line(c.in, *id)) {
        dealer.give_back(k, *id);
        break;
      }
    }
    if (dealer.done_with(k) && c.in >= 0) close(std::exchange(c.in, -1));
  };
  const std::vector<std::string> child_argv{exe.string(), "sweep", "--config", fs::absolute(config_path).string(),
                                            "--runs", s.runs_dir.string(), "--out", s.out_dir.string(),
                                            "--worker-threads", std::to_string(o.runs_per_worker), "--no-plot",
                                            "--no-progress"};
  for (int k = 0; k < n; ++k) {
    const std::string gpu = o.gpus.empty() ? "" : o.gpus[static_cast<std::size_t>(k) % o.gpus.size()];
    children.push_back(spawn_child(child_argv, logs / cat("worker-", k, ".log"), gpu));
  }
  for (std::size_t k = 0; k < children.size(); ++k) hand_out(k);
  const auto end_point = [&](std::size_t k, const std::string& id, bool ok, const std::string& why) {
    dealer.ended(k, id);
    const double took = started.count(id) ? seconds(started[id]) : 0.0;
    std::printf("[%7.1f s] worker %zu: %s %s%s after %.1f s\n", seconds(t0), k, id.c_str(), ok ? "done" : "FAILED",
                why.c_str(), took);
    if (ok) deadline.finished(id, took);
    if (!ok) {
      failed.push_back(id);
      std::printf("  last lines of %s:\n", (logs / (id + ".log")).string().c_str());
      for (const auto& line : last_lines(logs / (id + ".log"), 5)) std::printf("    %s\n", line.c_str());
    }
  };
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<std::size_t> owner;
    for (std::size_t k = 0; k < children.size(); ++k)
      if (children[k].out >= 0) fds.push_back({children[k].out, POLLIN, 0}), owner.push_back(k);
    if (fds.empty()) break;
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw Error(cat("sweep --runs-per-worker: poll: ", std::strerror(errno)));
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      const std::size_t k = owner[i];
      Child& c = children[k];
      char buf[4096];
      const ssize_t got = read(c.out, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got > 0) {
        c.pending.append(buf, static_cast<std::size_t>(got));
        for (std::size_t nl; (nl = c.pending.find('\n')) != std::string::npos;) {
          const std::string line = c.pending.substr(0, nl);
          c.pending.erase(0, nl + 1);
          const auto sp = line.find(' ');
          if (sp == std::string::npos) continue;
          const std::string what = line.substr(0, sp), id = line.substr(sp + 1);
          if (what == "started") {
            started[id] = Clock::now();
            std::printf("[%7.1f s] worker %zu%s: %s started\n", seconds(t0), k,
                        c.gpu.empty() ? "" : (" (GPU " + c.gpu + ")").c_str(), id.c_str());
          } else if (what == "done" || what == "failed") {
            end_point(k, id, what == "done", "");
            hand_out(k);
          } else if (what == "lost") {  // another run's sticky error, maybe: again in a fresh worker, suspects first
            dealer.lost(k, id);
            started.erase(id);  // so that, sent again and not read before the next loss, it is given back again
            if (c.in >= 0) close(std::exchange(c.in, -1));
            std::printf("[%7.1f s] worker %zu: %s lost with the worker's device context (a run beside it may have "
                        "caused it); it trains again in a fresh worker, the first suspect alone\n",
                        seconds(t0), k, id.c_str());
          } else if (what == "deferred") {  // out of device memory beside others: again later, fewer at once
            dealer.deferred(k, id);
            std::printf("[%7.1f s] worker %zu: %s ran out of device memory beside %zu other run(s); it starts again "
                        "when one ends, this worker holding at most %d at once from now\n",
                        seconds(t0), k, id.c_str(), dealer.holds(k).size(), dealer.cap(k));
            hand_out(k);
          }
          std::fflush(stdout);
        }
        continue;
      }
      // The child's stdout ended: it exited (or died); what it still held failed with it.
      close(std::exchange(c.out, -1));
      if (c.in >= 0) close(std::exchange(c.in, -1));
      int status = 0;
      while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
      }
      const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      const bool lost = WIFEXITED(status) && WEXITSTATUS(status) == kContextLostExit;
      const std::string how = WIFEXITED(status) ? cat("exit ", WEXITSTATUS(status)) : cat("signal ", WTERMSIG(status));
      for (const auto& id : std::set<std::string>(dealer.holds(k))) {
        if (lost && !started.count(id))
          dealer.give_back(k, id);  // sent, never read: the replacement may take it
        else
          end_point(k, id, false, cat(" (worker ", how, ")"));
      }
      if (lost) {
        dealer.replaced(k);
        if (!dealer.done_with(k)) {
          children[k] = spawn_child(child_argv, logs / cat("worker-", k, ".log"), c.gpu);
          std::printf("[%7.1f s] worker %zu: its device context was lost; a fresh worker takes its place\n",
                      seconds(t0), k);
          hand_out(k);
          std::fflush(stdout);
          continue;
        }
      }
      if (!ok && dealer.holds(k).empty())
        std::printf("[%7.1f s] worker %zu ended with %s (its log: %s)\n", seconds(t0), k, how.c_str(),
                    (logs / cat("worker-", k, ".log")).string().c_str());
      std::fflush(stdout);
    }
  }
  // Points the deadline held back are not failures; those a dead worker never took are (not trained).
  report_unstarted(dealer.held_back(), o.deadline_s, seconds(t0));
  for (const auto& id : dealer.line()) {
    failed.push_back(id);
    std::printf("[%7.1f s] %s FAILED (no worker left to train it)\n", seconds(t0), id.c_str());
  }
  std::printf("sweep %s: workers finished in %.1f s, %zu failed\n", s.sweep.name.c_str(), seconds(t0),
              failed.size());
  return static_cast<int>(failed.size());
}

}  // namespace menagerie::cli
