// Sweeps on a Slurm cluster: submission, status, resubmission; see sweep_slurm.hpp.
#include "cli/sweep_slurm.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include "core/io/atomic_file.hpp"
#include "core/provenance.hpp"
#include "train/results.hpp"
#include "train/trainer.hpp"

namespace menagerie::cli {

namespace fs = std::filesystem;

namespace {

void write_text(const fs::path& path, const std::string& text) {
  write_file_atomic(path, std::as_bytes(std::span(text.data(), text.size())));
}

fs::path slurm_dir(const fs::path& runs) { return runs / "slurm"; }
fs::path record_path(const fs::path& runs, const std::string& id) { return slurm_dir(runs) / "tasks" / (id + ".json"); }

struct Submission {
  long number = 0;
  std::string job_id;
  std::vector<std::string> points;  // array order
  json options;
};

// The complete submissions (those whose sbatch succeeded: job.json written), oldest first.
std::vector<Submission> read_submissions(const fs::path& runs) {
  std::vector<Submission> subs;
  if (!fs::is_directory(slurm_dir(runs))) return subs;
  for (const auto& e : fs::directory_iterator(slurm_dir(runs))) {
    const std::string name = e.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit) || !fs::exists(e.path() / "job.json"))
      continue;
    const json j = read_json_file(e.path() / "job.json");
    subs.push_back({std::stol(name), j.at("job_id").get<std::string>(), j.at("points").get<std::vector<std::string>>(),
                    j.at("options")});
  }
  std::sort(subs.begin(), subs.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
  return subs;
}

struct PointState {
  std::string id, state, detail, task, node;  // task: "<job>_<index>" of its last submission
  fs::path log;
  std::int64_t epochs = 0;
  std::optional<double> accuracy;
  bool resubmittable() const { return state == "failed" || state == "stopped"; }
};

std::vector<PointState> point_states(const SlurmSweep& s, const std::vector<Submission>& subs) {
  std::map<std::string, std::pair<const Submission*, std::size_t>> last;
  std::vector<std::string> jobs;
  for (const auto& sub : subs) {
    jobs.push_back(sub.job_id);
    for (std::size_t i = 0; i < sub.points.size(); ++i) last[sub.points[i]] = {&sub, i};
  }
  const auto queue = subs.empty() ? std::map<std::string, QueuedTask>{} : queued_tasks();
  std::optional<std::map<std::string, std::string>> ended;  // sacct, asked only when a task stopped
  std::vector<PointState> states;
  for (const auto& p : s.sweep.points) {
    PointState st{p.id, "not submitted", "", "", "", {}, 0, {}};
    const fs::path run = s.runs_dir / p.id;
    json record;
    if (fs::exists(record_path(s.runs_dir, p.id))) record = read_json_file(record_path(s.runs_dir, p.id));
    if (const auto it = last.find(p.id); it != last.end()) {
      st.task = cat(it->second.first->job_id, "_", it->second.second);
      st.log = slurm_dir(s.runs_dir) / std::to_string(it->second.first->number) /
               cat("task-", it->second.second, ".log");
    }
    const bool own_record = record.is_object() && record.value("task", "") == st.task && !st.task.empty();
    if (record.is_object()) st.node = record.value("node", "");
    if (const auto line = train::finished_line(run)) {
      st.state = "done";
      st.epochs = line->value("epoch", std::int64_t{0});
      st.accuracy = line->value("valid/accuracy", 0.0);
    } else {
      if (fs::is_regular_file(run / "results.jsonl")) {
        const auto lines = train::read_json_lines(run / "results.jsonl");
        if (!lines.empty()) {
          st.epochs = lines.back().value("epoch", std::int64_t{0});
          st.accuracy = lines.back().value("valid/accuracy", 0.0);
        }
      }
      if (const auto q = queue.find(st.task); !st.task.empty() && q != queue.end()) {
        st.state = q->second.state;
        if (!q->second.node.empty()) st.node = q->second.node;
      } else if (own_record && record.value("state", "") == "failed") {
        st.state = "failed";
        st.detail = record.value("error", "");
      } else if (!st.task.empty()) {
        st.state = "stopped";
        if (!ended) ended = finished_task_states(jobs);
        if (const auto e = ended->find(st.task); e != ended->end()) st.detail = e->second;
      }
    }
    states.push_back(std::move(st));
  }
  return states;
}

void print_failure(const PointState& p) {
  std::printf("%s failed (task %s%s%s): %s\n", p.id.c_str(), p.task.c_str(), p.node.empty() ? "" : " on ",
              p.node.c_str(), p.detail.c_str());
  const auto tail = last_lines(p.log, 10);
  std::printf("  last lines of %s:\n", p.log.string().c_str());
  for (const auto& line : tail) std::printf("  | %s\n", line.c_str());
}

json options_json(const SlurmJobOptions& o) {
  return {{"partition", o.partition},
          {"time", o.time},
          {"gpus_per_task", o.gpus_per_task},
          {"array_parallelism", o.array_parallelism}};
}

// Writes <runs>/slurm/<n>/{sweep.json, job.sbatch}, submits, records job.json; on a refusal removes what it wrote.
void submit(const SlurmSweep& s, SlurmJobOptions o, const std::vector<const train::SweepPoint*>& points) {
  const fs::path runs = fs::absolute(s.runs_dir).lexically_normal(), out = fs::absolute(s.out_dir).lexically_normal();
  const fs::path exe = fs::read_symlink("/proc/self/exe");
  require_sbatch_safe_path("--runs", runs);
  require_sbatch_safe_path("the menagerie binary", exe);
  for (const auto* p : points) o.cpus_per_task = std::max<long>(o.cpus_per_task, p->config.threads);
  const bool new_runs = !fs::exists(runs);
  fs::create_directories(slurm_dir(runs));
  long n = 1;
  while (!fs::create_directory(slurm_dir(runs) / std::to_string(n))) ++n;
  const fs::path dir = slurm_dir(runs) / std::to_string(n);
  try {
    write_text(dir / "sweep.json", s.sweep.source.dump(2) + "\n");
    ArrayScript a;
    a.job_name = "menagerie-" + s.sweep.name;
    a.log_dir = dir;
    for (const auto* p : points) a.task_args.push_back(p->id);
    a.command = {exe.string(), "sweep", "--config", (dir / "sweep.json").string(), "--runs", runs.string(), "--out",
                 out.string(), "--point", "{task}", "--no-progress"};
    if (!s.plot) a.command.push_back("--no-plot");
    a.header = {cat("Sweep ", s.sweep.name, ", submission ", n, ": written by `menagerie sweep --slurm` ",
                    "(cli/sweep_slurm.hpp); do not edit."),
                "Array task i trains tasks[i] (resuming from its checkpoint), then rewrites the sweep's tables."};
    write_text(dir / "job.sbatch", array_script(a, o));
    const std::string job = sbatch(dir / "job.sbatch");
    json record = {{"job_id", job}, {"points", a.task_args}, {"options", options_json(o)},
                   {"submitted", host_provenance().date_utc}};
    write_text(dir / "job.json", record.dump(2) + "\n");
    std::printf("submitted job %s: %zu array task%s%s, script %s\n", job.c_str(), points.size(),
                points.size() == 1 ? "" : "s",
                o.array_parallelism > 0 ? cat(" (at most ", o.array_parallelism, " at once)").c_str() : "",
                (dir / "job.sbatch").string().c_str());
    for (std::size_t i = 0; i < points.size(); ++i)
      std::printf("  %s_%zu %s\n", job.c_str(), i, points[i]->id.c_str());
  } catch (...) {
    fs::remove_all(dir);
    if (new_runs) fs::remove_all(runs);
    throw;
  }
}

std::vector<const train::SweepPoint*> points_where(const SlurmSweep& s, const std::vector<PointState>& states,
                                                   bool (*pick)(const PointState&)) {
  std::vector<const train::SweepPoint*> out;
  for (std::size_t i = 0; i < states.size(); ++i)
    if (pick(states[i])) out.push_back(&s.sweep.points[i]);
  return out;
}

std::string counts(const std::vector<PointState>& states) {
  std::map<std::string, int> n;
  for (const auto& p : states) {
    const bool known = p.state == "done" || p.resubmittable() || p.state == "not submitted";
    ++n[known ? p.state : "queued"];
  }
  return cat(n["done"], " done, ", n["queued"], " queued or running, ", n["stopped"], " stopped, ", n["failed"],
             " failed, ", n["not submitted"], " not submitted");
}

}  // namespace

void write_task_record(const fs::path& runs, const std::string& id, const std::string& state, const std::string& error) {
  const char* job = std::getenv("SLURM_ARRAY_JOB_ID");
  const char* task = std::getenv("SLURM_ARRAY_TASK_ID");
  char host[256] = {};
  json record = {{"task", job && task ? cat(job, "_", task) : ""},
                 {"node", gethostname(host, sizeof host - 1) == 0 ? host : "unknown"},
                 {"state", state},
                 {"time", host_provenance().date_utc}};
  if (!error.empty()) record["error"] = error;
  fs::create_directories(record_path(runs, id).parent_path());
  write_text(record_path(runs, id), record.dump() + "\n");
}

void submit_sweep(const SlurmSweep& s, const std::function<void(SlurmJobOptions&)>& flags) {
  require_programs("--slurm", {"sbatch", "squeue"});
  SlurmJobOptions o;
  flags(o);
  const auto states = point_states(s, read_submissions(s.runs_dir));
  for (const auto& p : states)
    if (p.state == "failed") print_failure(p);
  const auto points = points_where(s, states, [](const PointState& p) {
    return p.resubmittable() || p.state == "not submitted";
  });
  if (points.empty()) {
    std::printf("sweep %s: nothing to submit (%s)\n", s.sweep.name.c_str(), counts(states).c_str());
    return;
  }
  submit(s, o, points);
}

void resubmit_sweep(const SlurmSweep& s, const std::function<void(SlurmJobOptions&)>& flags) {
  require_programs("--resubmit", {"sbatch", "squeue"});
  const auto subs = read_submissions(s.runs_dir);
  require<InputError>(!subs.empty(), "--resubmit: nothing was submitted from ", s.runs_dir.string(),
                      " (submit with --slurm first)");
  const auto states = point_states(s, subs);
  const auto points = points_where(s, states, [](const PointState& p) { return p.resubmittable(); });
  require<InputError>(!points.empty(), "--resubmit: nothing to resubmit in ", s.runs_dir.string(), " (",
                      counts(states), ")");
  for (const auto& p : states)
    if (p.state == "failed") print_failure(p);
  const json& last = subs.back().options;
  SlurmJobOptions o;
  o.partition = last.value("partition", "");
  o.time = last.value("time", "");
  o.gpus_per_task = last.value("gpus_per_task", 0);
  o.array_parallelism = last.value("array_parallelism", 0);
  flags(o);
  submit(s, o, points);
}

void print_sweep_status(const SlurmSweep& s) {
  require<InputError>(fs::is_directory(s.runs_dir), "--status: runs directory ", s.runs_dir.string(),
                      " does not exist (nothing was run or submitted there)");
  const auto subs = read_submissions(s.runs_dir);
  if (!subs.empty()) require_programs("--status", {"squeue"});
  const auto states = point_states(s, subs);
  std::size_t w = 5;
  for (const auto& p : states) w = std::max(w, p.id.size());
  std::printf("sweep %s in %s: %zu points, %zu submissions\n\n", s.sweep.name.c_str(), s.runs_dir.string().c_str(),
              states.size(), subs.size());
  std::printf("%-*s  %-13s  %6s  %8s  %-12s  %s\n", static_cast<int>(w), "point", "state", "epochs", "accuracy",
              "node", "task");
  for (const auto& p : states) {
    const std::string state = p.state == "stopped" && !p.detail.empty() ? cat("stopped:", p.detail) : p.state;
    char accuracy[32] = "-";
    if (p.accuracy) std::snprintf(accuracy, sizeof accuracy, "%.4f", *p.accuracy);
    std::printf("%-*s  %-13s  %6lld  %8s  %-12s  %s\n", static_cast<int>(w), p.id.c_str(), state.c_str(),
                static_cast<long long>(p.epochs), accuracy, p.node.empty() ? "-" : p.node.c_str(),
                p.task.empty() ? "-" : p.task.c_str());
  }
  std::printf("\n%s\n", counts(states).c_str());
  for (const auto& p : states)
    if (p.state == "failed") print_failure(p);
}

}  // namespace menagerie::cli
