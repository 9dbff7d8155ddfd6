// Several training runs in one worker process, one host thread each: `menagerie sweep --workers N
// --runs-per-worker R [--gpus LIST]`. Processes sharing a GPU time-slice it (their kernels never overlap); threads
// of one process share its CUDA context, so R runs on their own streams (train/gpu/stream_pool.hpp) overlap, which
// is what small models need to fill an H100.
//   parent: N children `menagerie sweep --config C --runs D --out O --worker-threads R --no-plot --no-progress`
//     (CUDA_VISIBLE_DEVICES = gpus[k mod |gpus|] as --workers); it writes point ids, one a line, to a child's stdin
//     (R at first, then one more each time one of its points ends; the unfinished points cheapest first, exactly
//     the order of --workers) and closes a child's stdin once none is left and the child holds none; each child
//     reports on its stdout "started ID", "done ID", "failed ID", "deferred ID" or "lost ID", which the parent
//     prints as --workers does ("worker k: ID started").
//   deferred: the point ran out of device memory (core/out_of_device_memory.hpp) while other points of its process
//     were training. The parent puts it first in line again and lowers that child's cap to the points it still holds
//     (at least 1), so it starts again once one of them ends, with fewer beside it; the cap stays lowered
//     (train/point_dealer.hpp deals the ids). Its run directory resumes from its last checkpoint, if it had one. Out
//     of memory with nothing else running in its process is a failure.
//   lost: the child's CUDA context was lost (a sticky error such as an illegal address in any one run's kernel fails
//     every later call of every run in the process, session 32), so the points that trained beside others are
//     reported lost, not failed, and the child exits with kContextLostExit. The parent starts a fresh child in its
//     place, and the lost points, first in line in the order their loss was reported, train there one at a time
//     (train/point_dealer.hpp's suspects) until one fails alone: the run whose error it was; the others then train
//     beside each other again. Points sent but never read go back in line.
//   child (--worker-threads R, train/serve_points.hpp): R threads; each reads the next id from stdin and trains that
//     point exactly as `--point ID` does (its lock, task record, run directory, tables), its log lines in
//     <runs>/.workers/<ID>.log; a thread ends at the end of stdin. A point's failure is its own (logged, reported,
//     the others go on).
// Each run is the computation of a serial sweep (backends share nothing), so the tables are the serial sweep's;
// resuming, locks and unfinished cells are as for --point. Each run's memory check (train/memory.hpp) is its own:
// R runs at once need R times one run's memory.
#pragma once
#include <filesystem>
#include <functional>
#include <string>

#include "cli/sweep_workers.hpp"
#include "train/serve_points.hpp"
#include "train/sweep.hpp"

namespace menagerie::cli {

// --point ID's work: trains the point while holding its lock (left to its holder otherwise), keeps the task record,
// rewrites the tables and calls `after_tables` while still holding the tables' lock.
void train_locked_point(const train::Sweep& sweep, const std::string& id, const train::SweepOptions& opt,
                        const std::function<void()>& after_tables);

// The parent side: o.workers children of o.runs_per_worker threads; returns the number of failed points.
int run_sweep_thread_workers(const SlurmSweep& s, const std::string& config_path, const WorkerOptions& o);

// The child side (--worker-threads R): trains the ids read from stdin on R threads; returns how many failed and
// whether the device context was lost (the child then exits with kContextLostExit).
train::Served serve_sweep_points(const train::Sweep& sweep, const train::SweepOptions& opt, int threads);
constexpr int kContextLostExit = 3;

}  // namespace menagerie::cli
