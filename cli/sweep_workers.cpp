// menagerie sweep --workers N [--gpus LIST] (cli/sweep_workers.hpp): a small process pool over the sweep's points.
#include "cli/sweep_workers.hpp"

#include <fcntl.h>
#include <fnmatch.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <sstream>
#include <cstring>

#include "core/errors.hpp"
#include "train/checkpoint.hpp"
#include "train/run_config.hpp"
#include "train/sweep_plan.hpp"

extern char** environ;

namespace menagerie::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Running {
  std::string id;
  int slot = 0;
  Clock::time_point start;
};

// Starts `argv` with stdout and stderr appended to `log` and CUDA_VISIBLE_DEVICES = gpu (unless empty).
pid_t spawn(const std::vector<std::string>& argv, const fs::path& log, const std::string& gpu) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = 0;
  const int rc = spawn_on_gpu(pid, argv, gpu, fa);
  posix_spawn_file_actions_destroy(&fa);
  require<Error>(rc == 0, "sweep --workers: cannot start ", argv[0], ": ", std::strerror(rc));
  return pid;
}

}  // namespace

int spawn_on_gpu(pid_t& pid, const std::vector<std::string>& argv, const std::string& gpu,
                 const posix_spawn_file_actions_t& actions, const std::vector<std::string>& defaults) {
  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e)
    if (gpu.empty() || std::string_view(*e).rfind("CUDA_VISIBLE_DEVICES=", 0) != 0) env_store.emplace_back(*e);
  if (!gpu.empty()) env_store.push_back("CUDA_VISIBLE_DEVICES=" + gpu);
  for (const std::string& d : defaults)
    if (std::getenv(d.substr(0, d.find('=')).c_str()) == nullptr) env_store.push_back(d);
  std::vector<char*> envp, args;
  for (auto& s : env_store) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_store = argv;
  for (auto& s : argv_store) args.push_back(s.data());
  args.push_back(nullptr);
  return posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
}

std::vector<std::string> parse_gpu_list(const std::string& list) {
  std::vector<std::string> gpus;
  std::stringstream ss(list);
  for (std::string g; std::getline(ss, g, ',');) {
    require<InputError>(!g.empty() && g.size() <= 4 && g.find_first_not_of("0123456789") == std::string::npos,
                        "--gpus ", list, ": expected comma-separated GPU ordinals such as 0,1,2,3");
    gpus.push_back(g);
  }
  require<InputError>(!gpus.empty() && list.back() != ',', "--gpus ", list,
                      ": expected comma-separated GPU ordinals such as 0,1,2,3");
  return gpus;
}

fs::path self_executable() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  require<Error>(!ec, "sweep --workers: cannot find this program's path (/proc/self/exe: ", ec.message(), ")");
  return p;
}

namespace {

bool matches(const std::string& id, const std::vector<std::string>& globs) {
  if (globs.empty()) return true;
  for (const auto& g : globs)
    if (fnmatch(g.c_str(), id.c_str(), 0) == 0) return true;
  return false;
}

}  // namespace

void validate_match(const train::Sweep& sweep, const std::vector<std::string>& globs) {
  for (const auto& g : globs) {
    bool any = false;
    for (const auto& p : sweep.points) any = any || matches(p.id, {g});
    require<InputError>(any, "--match ", g, ": matches no point of sweep ", sweep.name, " (its ",
                        sweep.points.size(), " point ids look like ", sweep.points.front().id, ")");
  }
}

std::vector<std::string> unfinished_points_cheapest_first(const SlurmSweep& s, const std::vector<std::string>& match) {
  std::vector<std::pair<double, std::string>> order;
  for (const auto& row : train::collect(s.sweep, s.runs_dir)) {
    if (row.finished || !matches(row.point.id, match)) continue;
    double left = 1;
    const auto state = train::read_loop_state(s.runs_dir / row.point.id / "checkpoint");
    if (state && row.point.config.epochs > 0) {
      const double done = static_cast<double>(state->epochs_done) / static_cast<double>(row.point.config.epochs);
      left = std::clamp(1 - done, 0.0, 1.0);
    }
    order.emplace_back(static_cast<double>(train::point_cost(row.point)) * left, row.point.id);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> ids;
  for (auto& [cost, id] : order) ids.push_back(std::move(id));
  return ids;
}

void print_sweep_plan(const SlurmSweep& s, const WorkerOptions& o) {
  const auto line = unfinished_points_cheapest_first(s, o.match);
  const int slots = o.workers * o.runs_per_worker;
  std::printf("sweep %s plan: %zu of %zu points unfinished%s, %d at once (%d worker(s) x %d run(s) each), %s; "
              "expected durations from %s (nothing is trained)\n\n%s",
              s.sweep.name.c_str(), line.size(), s.sweep.points.size(),
              o.match.empty() ? "" : " (of those --match names)", slots, o.workers, o.runs_per_worker,
              o.deadline_s > 0 ? cat("--deadline-s ", o.deadline_s).c_str() : "no deadline",
              s.runs_dir.string().c_str(),
              train::plan_markdown(train::plan_pool(s.sweep, s.runs_dir, line, slots, o.deadline_s), o.deadline_s)
                  .c_str());
}

int run_sweep_workers(const SlurmSweep& s, const std::string& config_path, const WorkerOptions& o) {
  const fs::path exe = self_executable();
  const fs::path logs = s.runs_dir / ".workers";
  fs::create_directories(logs);
  const auto order = unfinished_points_cheapest_first(s, o.match);
  std::deque<std::string> todo(order.begin(), order.end());
  std::printf("sweep %s: %zu of %zu points unfinished%s, %d workers%s%s; logs in %s\n", s.sweep.name.c_str(),
              todo.size(), s.sweep.points.size(), o.match.empty() ? "" : " (of those --match names)", o.workers,
              o.gpus.empty() ? "" : " on GPUs ",
              [&] {
                std::string g;
                for (const auto& x : o.gpus) g += (g.empty() ? "" : ",") + x;
                return g;
              }().c_str(),
              logs.string().c_str());
  std::fflush(stdout);
  const std::string config = fs::absolute(config_path).string();
  std::map<pid_t, Running> running;
  std::vector<bool> busy(static_cast<std::size_t>(o.workers), false);
  std::vector<std::string> failed;
  train::SweepDeadline deadline(s.sweep, o.deadline_s, s.runs_dir);
  const auto t0 = Clock::now();
  const auto seconds = [](Clock::time_point a) {
    return std::chrono::duration<double>(Clock::now() - a).count();
  };
  std::deque<std::string> held_back;  // refused by the deadline (for good: elapsed time and rates only grow)
  while (!todo.empty() || !running.empty()) {
    for (int slot = 0; slot < o.workers && !todo.empty(); ++slot) {
      if (busy[static_cast<std::size_t>(slot)]) continue;
      while (!todo.empty() && !deadline.may_start(todo.front(), seconds(t0))) {
        held_back.push_back(todo.front());
        todo.pop_front();
      }
      if (todo.empty()) break;
      const std::string id = todo.front();
      todo.pop_front();
      const std::string gpu = o.gpus.empty() ? "" : o.gpus[static_cast<std::size_t>(slot) % o.gpus.size()];
      const pid_t pid = spawn({exe.string(), "sweep", "--config", config, "--runs", s.runs_dir.string(), "--out",
                               s.out_dir.string(), "--point", id, "--no-plot", "--no-progress"},
                              logs / (id + ".log"), gpu);
      busy[static_cast<std::size_t>(slot)] = true;
      running[pid] = {id, slot, Clock::now()};
      std::printf("[%7.1f s] worker %d%s: %s started\n", seconds(t0), slot, gpu.empty() ? "" : (" (GPU " + gpu + ")").c_str(),
                  id.c_str());
      std::fflush(stdout);
    }
    if (running.empty()) break;  // the deadline held back every point left
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw Error(cat("sweep --workers: waitpid: ", std::strerror(errno)));
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const Running r = it->second;
    running.erase(it);
    busy[static_cast<std::size_t>(r.slot)] = false;
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    const std::string how = WIFEXITED(status) ? cat("exit ", WEXITSTATUS(status)) : cat("signal ", WTERMSIG(status));
    std::printf("[%7.1f s] worker %d: %s %s (%s) after %.1f s\n", seconds(t0), r.slot, r.id.c_str(),
                ok ? "done" : "FAILED", how.c_str(), seconds(r.start));
    if (ok) deadline.finished(r.id, seconds(r.start));
    if (!ok) {
      failed.push_back(r.id);
      std::printf("  last lines of %s:\n", (logs / (r.id + ".log")).string().c_str());
      for (const auto& line : last_lines(logs / (r.id + ".log"), 5)) std::printf("    %s\n", line.c_str());
    }
    std::fflush(stdout);
  }
  report_unstarted(held_back, o.deadline_s, seconds(t0));
  std::printf("sweep %s: workers finished in %.1f s, %zu failed\n", s.sweep.name.c_str(), seconds(t0),
              failed.size());
  return static_cast<int>(failed.size());
}

void report_unstarted(const std::deque<std::string>& todo, double deadline_s, double elapsed) {
  if (todo.empty()) return;
  std::printf("[%7.1f s] %zu point(s) not started: expected to end after --deadline-s %g (a later sweep trains them): "
              "%s%s\n", elapsed, todo.size(), deadline_s, todo.front().c_str(), todo.size() > 1 ? ", ..." : "");
}

}  // namespace menagerie::cli
