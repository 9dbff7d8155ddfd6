// `menagerie sweep` on a Slurm cluster (docs/train.md, "Sweeps on a Slurm cluster"):
//   --slurm     writes one job-array script, <runs>/slurm/<n>/job.sbatch (n = 1, 2, ... per submission), with one
//               array task per grid point that is neither finished nor queued, and submits it with sbatch; task i
//               runs `menagerie sweep --config <runs>/slurm/<n>/sweep.json --runs R --out O --point <its point>`
//               and logs to <runs>/slurm/<n>/task-<i>.log. <n>/job.json records the job id, the points in array
//               order and the job options.
//   --point     (what an array task runs) trains one point while holding its lock (train/sweep.hpp): a second
//               task, a resubmission or a serial sweep that meets a held lock leaves the point to its owner. The task
//               keeps a record, <runs>/slurm/tasks/<id>.json (its job, node, running / done / failed with the error),
//               then rewrites the tables (and the plot) under the tables' lock.
//   --status    per point: done (epochs, accuracy), the queue's state (PENDING, RUNNING, ...; squeue), failed (its
//               task ended with an error: the error and its log's last lines are printed), stopped (its last task
//               left the queue unfinished: scancel, preemption, time limit, node failure, a kill; sacct's state
//               where the cluster keeps accounting) or not submitted.
//   --resubmit  submits the points that failed or stopped, with the last submission's job options unless flags
//               override them; a failed point's error and log tail are printed, never retried behind the user's
//               back. Nothing to resubmit is an error (exit 2), as is --status on a missing runs directory.
#pragma once
#include <filesystem>
#include <functional>
#include <string>

#include "cli/slurm.hpp"
#include "train/sweep.hpp"

namespace menagerie::cli {

struct SlurmSweep {
  const train::Sweep& sweep;
  std::filesystem::path runs_dir, out_dir;
  bool plot = true;
};

// --slurm: `flags` sets the options given on the command line.
void submit_sweep(const SlurmSweep& s, const std::function<void(SlurmJobOptions&)>& flags);
// --resubmit: starts from the last submission's options, then applies `flags`.
void resubmit_sweep(const SlurmSweep& s, const std::function<void(SlurmJobOptions&)>& flags);
// --status
void print_sweep_status(const SlurmSweep& s);

// The record an array task keeps of its point: state "running", "done" or "failed" (with `error`).
void write_task_record(const std::filesystem::path& runs_dir, const std::string& id, const std::string& state,
                       const std::string& error = {});

}  // namespace menagerie::cli
