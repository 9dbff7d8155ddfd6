// `menagerie sweep --workers N [--gpus LIST]`: a sweep's points trained by N processes at once on this host.
// Each worker is a child `menagerie sweep --config C --runs R --out O --point ID --no-plot --no-progress` (the
// command a Slurm array task runs, cli/sweep_slurm.hpp), started as earlier ones exit, for every point that is not
// finished, cheapest first (by d_model x the data's longest sequence; ties in grid order), or with --match GLOB
// (repeatable) only those whose id matches one of the globs (fnmatch: `'attention-d64-*'`, `'*-N128-D8'`); worker
// slot k (0 <= k < N) sees only GPU gpus[k mod |gpus|] (CUDA_VISIBLE_DEVICES); with --deadline-s S no point starts
// that is expected to end after S seconds (train::SweepDeadline), so
// `--workers 8 --gpus 0,1,2,3,4,5,6,7` is one worker per GPU of an 8-GPU host, and `--workers 4 --gpus 0` four runs
// sharing one GPU (small models leave most of an H100 idle). A point runs only while its worker holds the point's
// lock (train/sweep.hpp), so workers, serial sweeps and Slurm tasks may share one runs directory; each run is the
// same deterministic computation as in a serial sweep, so the results are those of the serial sweep. A child's
// output goes to <runs>/.workers/<id>.log; this process prints a line as each point starts and ends, and at the
// end rewrites the tables and the plot once. A point that fails is reported with its log's last lines and the
// command exits 1 after the others finish; a point held by another process is left to it.
#pragma once
#include <spawn.h>

#include <deque>
#include <string>
#include <vector>

#include "cli/sweep_slurm.hpp"

namespace menagerie::cli {

struct WorkerOptions {
  int workers = 1;
  std::vector<std::string> gpus;  // CUDA device ordinals; empty: the workers inherit the environment's devices
  int runs_per_worker = 1;        // > 1: threads of one worker process (cli/sweep_threads.hpp)
  std::vector<std::string> match; // --match: fnmatch globs over point ids; empty: every point
  double deadline_s = 0;          // --deadline-s: start no point expected to end after it (train::SweepDeadline)
};

// --match: a one-line InputError for a glob that matches no point id of the sweep (nothing trained).
void validate_match(const train::Sweep& sweep, const std::vector<std::string>& globs);

// "0,1,3" -> {"0", "1", "3"}; a one-line InputError for anything but comma-separated non-negative integers.
std::vector<std::string> parse_gpu_list(const std::string& list);

// posix_spawn of argv (argv[0] a path) with this process's environment, CUDA_VISIBLE_DEVICES replaced by `gpu` unless
// it is empty, each "NAME=VALUE" of `defaults` added where the environment does not set NAME (the user's setting
// wins), and the file actions `actions`; posix_spawn's status (0 on success), the child in `pid`.
int spawn_on_gpu(pid_t& pid, const std::vector<std::string>& argv, const std::string& gpu,
                 const posix_spawn_file_actions_t& actions, const std::vector<std::string>& defaults = {});

// Runs the unfinished points of s with o.workers processes at once (one point each); returns the number of failed
// points. With o.runs_per_worker > 1 the caller uses run_sweep_thread_workers (cli/sweep_threads.hpp) instead.
int run_sweep_workers(const SlurmSweep& s, const std::string& config_path, const WorkerOptions& o);

// --plan: prints what a pool of o (workers x runs per worker, --match, --deadline-s) would do with the unfinished
// points of s, from what s.runs_dir knows (train/sweep_plan.hpp); trains and writes nothing.
void print_sweep_plan(const SlurmSweep& s, const WorkerOptions& o);

// The line that names the points --deadline-s left unstarted (none: nothing printed).
void report_unstarted(const std::deque<std::string>& todo, double deadline_s, double elapsed);

// The unfinished points of s whose id matches one of `match` (all if empty), cheapest to finish first: by d_model x
// the data's longest sequence (train::point_cost) x the fraction of the point's epochs its checkpoint has still to
// train (all of them without one); ties in grid order. A run cut off in an earlier pool (or session: the checkpoints
// carried by bench/gpu_sweeps.sh) so resumes before fresh points of its size start.
std::vector<std::string> unfinished_points_cheapest_first(const SlurmSweep& s, const std::vector<std::string>& match);

// The path of this program (/proc/self/exe).
std::filesystem::path self_executable();

}  // namespace menagerie::cli
