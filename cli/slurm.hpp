// Slurm's client commands as `menagerie sweep` uses them (cli/sweep_slurm.hpp): checking the job options up front,
// writing a job-array script, submitting it with `sbatch --parsable`, and reading the queue (`squeue -r`, one line
// per array task) and, where the cluster keeps accounting, the end states of tasks (`sacct`). Only the commands'
// documented, stable output formats are read (squeue -h -o, sacct -n -P).
#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace menagerie::cli {

struct SlurmJobOptions {
  std::string partition;      // --partition; empty: the cluster's default
  std::string time;           // --time, Slurm's forms (minutes, [days-]hours:minutes:seconds, ...); empty: default
  int gpus_per_task = 0;      // --gpus-per-task; 0: none asked
  int array_parallelism = 0;  // the array's %K (at most K tasks at once); 0: no limit
  long cpus_per_task = 1;     // --cpus-per-task: the largest `threads` of the points submitted
};

// Throws InputError naming the flag and value (a partition with spaces, --time "5 min", --array-parallelism 0).
void validate_slurm_options(const SlurmJobOptions& options, bool parallelism_given);

// Throws InputError unless every program (e.g. sbatch, squeue) is an executable on PATH; `flag` names the request.
void require_programs(const std::string& flag, const std::vector<std::string>& programs);

// Throws InputError unless `path` is usable in an #SBATCH line (no whitespace, quotes, %, $, ` or backslash).
void require_sbatch_safe_path(const std::string& flag, const std::filesystem::path& path);

struct ArrayScript {
  std::string job_name;                 // any text; reduced to [A-Za-z0-9._-]
  std::filesystem::path log_dir;        // task i logs to <log_dir>/task-<i>.log (appended on requeue)
  std::vector<std::string> task_args;   // per array task: the argument that differs (a point id)
  std::vector<std::string> command;     // the task's command; the literal "{task}" is replaced by its argument
  std::vector<std::string> header;      // comment lines at the top
};
std::string array_script(const ArrayScript& script, const SlurmJobOptions& options);

// sbatch --parsable SCRIPT; returns the job id. A refusal (bad partition, --time over the limit, more CPUs than any
// node has) is an InputError carrying sbatch's last line.
std::string sbatch(const std::filesystem::path& script);

struct QueuedTask {
  std::string state;  // squeue's %T: PENDING, RUNNING, COMPLETING, SUSPENDED, ...
  std::string node;   // %N, empty while pending
};
// Every array task in the queue, keyed "<array job id>_<task id>"; throws Error if squeue fails.
std::map<std::string, QueuedTask> queued_tasks();

// End states (CANCELLED, PREEMPTED, TIMEOUT, FAILED, NODE_FAIL, ...) of the array tasks of `jobs`, keyed like
// queued_tasks; empty where the cluster keeps no accounting (sacct fails) or sacct is missing.
std::map<std::string, std::string> finished_task_states(const std::vector<std::string>& jobs);

// The last `n` lines of a text file (empty if missing).
std::vector<std::string> last_lines(const std::filesystem::path& path, std::size_t n);

}  // namespace menagerie::cli
