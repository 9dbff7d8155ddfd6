// Slurm's client commands; see slurm.hpp.
#include "cli/slurm.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <regex>
#include <sstream>

#include "cli/scripts.hpp"
#include "core/errors.hpp"

namespace menagerie::cli {

namespace fs = std::filesystem;

namespace {

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr together
};

CommandResult run_shell(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) throw Error(cat("cannot run ", command));
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
  const int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(line);
  while (std::getline(in, part, sep)) parts.push_back(part);
  if (!line.empty() && line.back() == sep) parts.emplace_back();
  return parts;
}

bool executable_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  for (const auto& dir : split(path, ':'))
    if (!dir.empty() && ::access((fs::path(dir) / program).c_str(), X_OK) == 0) return true;
  return false;
}

}  // namespace

void validate_slurm_options(const SlurmJobOptions& o, bool parallelism_given) {
  static const std::regex partition(R"([A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*)");
  static const std::regex time(
      R"(UNLIMITED|INFINITE|\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2})");
  require<InputError>(o.partition.empty() || std::regex_match(o.partition, partition), "--partition \"",
                      o.partition, "\": expected a partition name or a comma-separated list of them");
  require<InputError>(o.time.empty() || std::regex_match(o.time, time), "--time \"", o.time,
                      "\": expected Slurm's forms: minutes, minutes:seconds, hours:minutes:seconds, days-hours, "
                      "days-hours:minutes, days-hours:minutes:seconds");
  require<InputError>(o.gpus_per_task >= 0, "--gpus-per-task ", o.gpus_per_task, ": expected 0 or more");
  require<InputError>(!parallelism_given || o.array_parallelism >= 1, "--array-parallelism ", o.array_parallelism,
                      ": expected at least 1 (tasks running at once)");
}

void require_programs(const std::string& flag, const std::vector<std::string>& programs) {
  for (const auto& p : programs)
    require<InputError>(executable_on_path(p), flag, ": ", p,
                        " not found on PATH (Slurm's client commands; Debian: slurm-client)");
}

void require_sbatch_safe_path(const std::string& flag, const fs::path& path) {
  const std::string s = path.string();
  const auto bad = s.find_first_of(" \t\n\r'\"%$`\\");
  require<InputError>(bad == std::string::npos, flag, " ", s, ": contains '", bad == std::string::npos ? ' ' : s[bad],
                      "'; a Slurm job's paths must have no whitespace, quotes, %, $, ` or backslash");
}

std::string array_script(const ArrayScript& a, const SlurmJobOptions& o) {
  std::string name;
  for (char c : a.job_name) name += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ? c : '_';
  std::string s = "#!/bin/bash\n";
  for (const auto& h : a.header) s += cat("# ", h, "\n");
  s += cat("#SBATCH --job-name=", name, "\n");
  s += cat("#SBATCH --array=0-", a.task_args.size() - 1,
           o.array_parallelism > 0 ? cat("%", o.array_parallelism) : std::string(), "\n");
  s += cat("#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=", o.cpus_per_task, "\n");
  s += cat("#SBATCH --output=", (a.log_dir / "task-%a.log").string(), "\n#SBATCH --open-mode=append\n");
  if (!o.partition.empty()) s += cat("#SBATCH --partition=", o.partition, "\n");
  if (o.gpus_per_task > 0) s += cat("#SBATCH --gpus-per-task=", o.gpus_per_task, "\n");
  if (!o.time.empty()) s += cat("#SBATCH --time=", o.time, "\n");
  s += "\ntasks=(\n";
  for (const auto& t : a.task_args) s += cat("  ", cli::quoted(fs::path(t)), "\n");
  s += ")\n\nexec";
  for (const auto& arg : a.command)
    s += arg == "{task}" ? std::string(" \"${tasks[$SLURM_ARRAY_TASK_ID]}\"") : " " + cli::quoted(fs::path(arg));
  return s + "\n";
}

std::string sbatch(const fs::path& script) {
  const auto r = run_shell(cat("sbatch --parsable ", cli::quoted(script)));
  const auto lines = split_lines(r.output);
  static const std::regex job_id(R"((\d+)(;.*)?)");
  std::smatch m;
  if (r.status == 0 && !lines.empty() && std::regex_match(lines.back(), m, job_id)) return m[1];
  throw InputError(cat("sbatch refused ", script.string(), ": ", lines.empty() ? "no output" : lines.back()));
}

std::map<std::string, QueuedTask> queued_tasks() {
  const auto r = run_shell("squeue -h -r -o '%F|%K|%T|%N'");
  if (r.status != 0) throw Error(cat("squeue failed: ", r.output.substr(0, r.output.find('\n'))));
  std::map<std::string, QueuedTask> tasks;
  for (const auto& line : split_lines(r.output)) {
    const auto f = split(line, '|');
    if (f.size() == 4) tasks[cat(f[0], "_", f[1])] = {f[2], f[3]};
  }
  return tasks;
}

std::map<std::string, std::string> finished_task_states(const std::vector<std::string>& jobs) {
  std::map<std::string, std::string> states;
  if (jobs.empty() || !executable_on_path("sacct")) return states;
  std::string list;
  for (const auto& j : jobs) list += (list.empty() ? "" : ",") + j;
  const auto r = run_shell(cat("sacct -n -P -X -o JobID,State -j ", cli::quoted(fs::path(list))));
  if (r.status != 0) return states;
  for (const auto& line : split_lines(r.output)) {
    const auto f = split(line, '|');
    if (f.size() == 2) states[f[0]] = f[1].substr(0, f[1].find(' '));  // "CANCELLED by 0" -> CANCELLED
  }
  return states;
}

std::vector<std::string> last_lines(const fs::path& path, std::size_t n) {
  std::ifstream in(path);
  std::deque<std::string> tail;
  for (std::string line; std::getline(in, line);) {
    const auto cr = line.rfind('\r');  // progress redraws: keep what the line ended showing
    if (cr != std::string::npos) line = line.substr(cr + 1);
    tail.push_back(line);
    if (tail.size() > n) tail.pop_front();
  }
  return {tail.begin(), tail.end()};
}

}  // namespace menagerie::cli
