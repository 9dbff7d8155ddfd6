// menagerie sweep --config sweep.json [--runs DIR] [--out DIR] [--no-plot]: a grid of MQAR training runs
// (train/sweep.hpp), one after another. Every grid point is validated before the first run (bad input: one line,
// exit 2, nothing written). Finished runs are skipped and a killed run resumes from its checkpoint, so the command
// can be re-run after kill -9. Writes <out>/<name>.csv and <name>.md after every run and, when python3 with
// matplotlib is present, <out>/<name>.png (train/plot_sweep.py: accuracy against d_model, Zoology Fig. 2 style).
// On a Slurm cluster (cli/sweep_slurm.hpp): --slurm [--partition P --gpus-per-task G --time T --array-parallelism K]
// submits a job array, one task per unfinished point, each running --point ID; --status prints the points' states;
// --resubmit submits the points that failed or stopped; --tables trains nothing and rewrites the tables and plot
// from the runs directory (results carried back from another machine). On one host: --workers N [--gpus LIST] trains N
// points at once, each in its own `--point` process (cli/sweep_workers.hpp), one per GPU or several sharing one; with
// --runs-per-worker R each worker process trains R points at once on R threads (cli/sweep_threads.hpp); --match GLOB
// (repeatable) restricts them to the points whose id matches (a short GPU lease spent on the cells that test a claim),
// and --deadline-s S starts no point expected to end after S seconds (the lease's end); --plan prints what such a
// pool would do, from the runs directory (train/sweep_plan.hpp), and trains nothing.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/output_paths.hpp"
#include "cli/scripts.hpp"
#include "cli/sweep_slurm.hpp"
#include "cli/sweep_threads.hpp"
#include "cli/sweep_workers.hpp"
#include "core/errors.hpp"
#include "core/io/file_lock.hpp"
#include "optimized/common/device.hpp"
#include "train/sweep.hpp"
#include "train/trainer.hpp"

namespace menagerie::cli {

namespace {

namespace fs = std::filesystem;

void plot(const fs::path& csv, const fs::path& png) {
  const fs::path script = project_file("train/plot_sweep.py");
  if (script.empty()) {
    std::printf("plot: train/plot_sweep.py not found; no %s\n", png.string().c_str());
    return;
  }
  const std::string python = python_with("matplotlib");
  if (python.empty()) {
    std::printf("plot: python3 with matplotlib not found (Debian: python3-matplotlib); no %s\n", png.string().c_str());
    return;
  }
  const std::string cmd = cat(python, " ", quoted(script), " ", quoted(csv), " ", quoted(png));
  if (std::system(cmd.c_str()) == 0)
    std::printf("wrote %s\n", png.string().c_str());
  else
    std::printf("plot: %s failed; the tables are written\n", cmd.c_str());
}

// --point ID: train one point while holding its lock, keep the task record, rewrite the tables (and the plot).
void train_one_point(const train::Sweep& sweep, const std::string& id, const train::SweepOptions& opt, bool plot_on) {
  const fs::path csv = opt.out_dir / (sweep.name + ".csv");
  train_locked_point(sweep, id, opt, [&] {
    if (plot_on) plot(csv, opt.out_dir / (sweep.name + ".png"));
  });
}

}  // namespace

void add_sweep(CLI::App& app) {
  struct State {
    std::string config, runs, out, point, gpus;
    std::vector<std::string> match;
    int workers = 0, runs_per_worker = 1, worker_threads = 0;
    double deadline_s = 0;
    bool no_plot = false, no_progress = false, slurm = false, status = false, resubmit = false, tables = false,
         plan = false;
    SlurmJobOptions job;
  };
  auto st = std::make_shared<State>();
  auto* sub = app.add_subcommand("sweep", "run a grid of MQAR training runs (mixers x d_model x lr x data), resumable");
  sub->add_option("--config", st->config, "sweep config (JSON; see docs/train.md)")->required();
  sub->add_option("--runs", st->runs, "directory of the run directories (default runs/<name>)");
  sub->add_option("--out", st->out, "directory for <name>.md, .csv, .png (default: the runs directory)");
  sub->add_flag("--no-plot", st->no_plot, "do not call train/plot_sweep.py");
  sub->add_flag("--no-progress", st->no_progress, "no progress bar");
  auto* slurm = sub->add_flag("--slurm", st->slurm, "submit the unfinished points to Slurm as one job array");
  auto* status = sub->add_flag("--status", st->status, "print each point's state (runs directory, squeue, sacct)");
  auto* resubmit = sub->add_flag("--resubmit", st->resubmit, "submit the points that failed or stopped again");
  auto* tables = sub->add_flag("--tables", st->tables,
                               "train nothing: rewrite <name>.md, .csv (and the plot) from the runs directory");
  auto* point = sub->add_option("--point", st->point, "train this one point (what a Slurm array task runs)");
  auto* workers = sub->add_option("--workers", st->workers,
                                  "train N points at once on this host, each in its own process (--point)");
  auto* gpu_list = sub->add_option("--gpus", st->gpus, "GPU ordinals for the workers, e.g. 0,1,2,3 (--workers)");
  auto* match = sub->add_option("--match", st->match,
                                "train only the points whose id matches this glob, e.g. 'attention-d64-*' or "
                                "'*-N128-D8' (repeatable; --workers); the tables still cover the whole grid");
  auto* deadline = sub->add_option("--deadline-s", st->deadline_s,
                                   "start no point expected to end more than S seconds after the pool started, from "
                                   "the durations of the points finished so far (--workers; for a GPU lease of fixed "
                                   "length: no run is cut off mid-way)");
  auto* plan = sub->add_flag("--plan", st->plan,
                             "train nothing: print what this pool (--workers, --runs-per-worker, --match, --deadline-s) "
                             "would start and when each point is expected to end, from the runs directory");
  auto* per_worker = sub->add_option("--runs-per-worker", st->runs_per_worker,
                                     "train R points at once in each worker process, one thread and CUDA stream each "
                                     "(--workers; default 1: one process per point)");
  auto* serve = sub->add_option("--worker-threads", st->worker_threads,
                                "internal: the worker process of --runs-per-worker (point ids on stdin)")
                    ->group("");
  auto* partition = sub->add_option("--partition", st->job.partition, "Slurm partition (--slurm, --resubmit)");
  auto* gpus = sub->add_option("--gpus-per-task", st->job.gpus_per_task, "GPUs per array task (--slurm, --resubmit)");
  auto* time = sub->add_option("--time", st->job.time, "time limit per task, Slurm's forms (--slurm, --resubmit)");
  auto* parallelism = sub->add_option("--array-parallelism", st->job.array_parallelism,
                                      "at most K tasks at once (--slurm, --resubmit)");
  for (auto* a : {slurm, status, resubmit, point, workers, tables})
    for (auto* b : {slurm, status, resubmit, point, workers, tables})
      if (a != b) a->excludes(b);
  sub->callback([=] {
    for (auto* f : {partition, gpus, time, parallelism})
      require<InputError>(slurm->count() + resubmit->count() > 0 || f->count() == 0, f->get_name(),
                          ": only with --slurm or --resubmit");
    validate_slurm_options(st->job, parallelism->count() > 0);
    require<InputError>(workers->count() == 0 || (st->workers >= 1 && st->workers <= 256), "--workers ",
                        st->workers, ": expected 1 to 256 processes");
    require<InputError>(workers->count() > 0 || gpu_list->count() == 0, "--gpus: only with --workers");
    require<InputError>(workers->count() > 0 || match->count() == 0, "--match: only with --workers");
    require<InputError>(workers->count() > 0 || deadline->count() == 0, "--deadline-s: only with --workers");
    require<InputError>(deadline->count() == 0 || (std::isfinite(st->deadline_s) && st->deadline_s > 0),
                        "--deadline-s ", st->deadline_s, ": expected a number of seconds > 0");
    require<InputError>(workers->count() > 0 || per_worker->count() == 0, "--runs-per-worker: only with --workers");
    require<InputError>(workers->count() > 0 || plan->count() == 0, "--plan: only with --workers");
    require<InputError>(st->runs_per_worker >= 1 && st->runs_per_worker <= 64, "--runs-per-worker ",
                        st->runs_per_worker, ": expected 1 to 64 runs per worker process");
    require<InputError>(serve->count() == 0 || (st->worker_threads >= 1 && st->worker_threads <= 64),
                        "--worker-threads ", st->worker_threads, ": expected 1 to 64 threads");
    for (auto* mode : {slurm, status, resubmit, point, workers, tables})
      require<InputError>(serve->count() == 0 || mode->count() == 0, "--worker-threads (the worker process of ",
                          "--runs-per-worker) excludes ", mode->get_name());
    WorkerOptions pool{st->workers, gpu_list->count() ? parse_gpu_list(st->gpus) : std::vector<std::string>{},
                       st->runs_per_worker, st->match, st->deadline_s};
    const auto sweep = train::read_sweep(st->config);
    validate_match(sweep, st->match);
    train::SweepOptions opt;
    opt.runs_dir = st->runs.empty() ? fs::path("runs") / sweep.name : fs::path(st->runs);
    opt.out_dir = st->out.empty() ? opt.runs_dir : fs::path(st->out);
    const SlurmSweep s{sweep, opt.runs_dir, opt.out_dir, !st->no_plot};
    const auto flags = [=](SlurmJobOptions& o) {  // the job options given on the command line
      if (partition->count()) o.partition = st->job.partition;
      if (gpus->count()) o.gpus_per_task = st->job.gpus_per_task;
      if (time->count()) o.time = st->job.time;
      if (parallelism->count()) o.array_parallelism = st->job.array_parallelism;
    };
    if (st->status) return print_sweep_status(s);
    if (st->plan) return print_sweep_plan(s, pool);
    require_output_dir(st->runs.empty() ? "runs directory (default of --runs)" : "--runs", opt.runs_dir);
    require_output_dir(st->out.empty() ? "--out (default: the runs directory)" : "--out", opt.out_dir);
    if (st->slurm) return submit_sweep(s, flags);
    if (st->resubmit) return resubmit_sweep(s, flags);
    if (st->tables) {
      const fs::path csv = opt.out_dir / (sweep.name + ".csv");
      const auto rows = train::write_sweep_tables(sweep, opt.runs_dir, opt.out_dir, train::process_owner_note(), [&] {
        if (!st->no_plot) plot(csv, opt.out_dir / (sweep.name + ".png"));
      });
      std::printf("%s\nwrote %s\n", train::sweep_markdown_tables(sweep, rows).c_str(), csv.string().c_str());
      return;
    }
    // Training here: points on the GPU backend need a GPU (else each would fail on its own, one after another).
    const auto on_gpu = std::count_if(sweep.points.begin(), sweep.points.end(),
                                      [](const auto& p) { return p.config.backend == "gpu"; });
    require<NotAvailableError>(on_gpu == 0 || gpu_available(), "sweep ", sweep.name, ": ", on_gpu, " of its ",
                               sweep.points.size(), " points train on the GPU backend and no GPU is visible (",
                               device_report().note, "); run it on a GPU machine or submit it with --slurm");
    opt.progress = !st->no_progress;
    opt.log = [](const std::string& line) {
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    };
    if (!st->point.empty()) return train_one_point(sweep, st->point, opt, !st->no_plot);
    if (serve->count()) {
      const train::Served served = serve_sweep_points(sweep, opt, st->worker_threads);
      std::fprintf(stderr, "worker: %d point(s) failed (reported to the parent)\n", served.failed);
      if (served.context_lost) {  // no CUDA call may follow, not even a destructor's
        std::fprintf(stderr, "worker: the device context was lost; exiting for a fresh process\n");
        std::fflush(stdout);
        std::fflush(stderr);
        std::_Exit(kContextLostExit);
      }
      return;
    }
    if (workers->count()) {
      const int failed = pool.runs_per_worker > 1 ? run_sweep_thread_workers(s, st->config, pool)
                                                  : run_sweep_workers(s, st->config, pool);
      const fs::path csv = opt.out_dir / (sweep.name + ".csv");
      const auto rows = train::write_sweep_tables(sweep, opt.runs_dir, opt.out_dir, train::process_owner_note(), [&] {
        if (!st->no_plot) plot(csv, opt.out_dir / (sweep.name + ".png"));
      });
      std::printf("\n%s\nwrote %s\n", train::sweep_markdown_tables(sweep, rows).c_str(), csv.string().c_str());
      require<Error>(failed == 0, "sweep ", sweep.name, ": ", failed, " point(s) failed (their logs: ",
                     (opt.runs_dir / ".workers").string(), ")");
      return;
    }
    std::printf("sweep %s: %zu runs in %s\n", sweep.name.c_str(), sweep.points.size(), opt.runs_dir.string().c_str());
    const auto rows = train::run_sweep(sweep, opt);
    const fs::path csv = opt.out_dir / (sweep.name + ".csv"), md = opt.out_dir / (sweep.name + ".md");
    std::printf("\n%s\nwrote %s and %s\n", train::sweep_markdown_tables(sweep, rows).c_str(), md.string().c_str(),
                csv.string().c_str());
    if (!st->no_plot) plot(csv, opt.out_dir / (sweep.name + ".png"));
  });
}

}  // namespace menagerie::cli
