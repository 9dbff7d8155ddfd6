// menagerie sweep --config sweep.json [--runs DIR] [--out DIR] [--no-plot]: a grid of MQAR training runs
// (train/sweep.hpp), one after another. Every grid point is validated before the first run (bad input: one line,
// exit 2, nothing written). Finished runs are skipped and a killed run resumes from its checkpoint, so the command
// can be re-run after kill -9. Writes <out>/<name>.csv and <name>.md after every run and, when python3 with
// matplotlib is present, <out>/<name>.png (train/plot_sweep.py: accuracy against d_model, Zoology Fig. 2 style).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/output_paths.hpp"
#include "cli/scripts.hpp"
#include "train/sweep.hpp"

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

}  // namespace

void add_sweep(CLI::App& app) {
  struct State {
    std::string config, runs, out;
    bool no_plot = false, no_progress = false;
  };
  auto st = std::make_shared<State>();
  auto* sub = app.add_subcommand("sweep", "run a grid of MQAR training runs (mixers x d_model x lr x data), resumable");
  sub->add_option("--config", st->config, "sweep config (JSON; see docs/train.md)")->required();
  sub->add_option("--runs", st->runs, "directory of the run directories (default runs/<name>)");
  sub->add_option("--out", st->out, "directory for <name>.md, .csv, .png (default: the runs directory)");
  sub->add_flag("--no-plot", st->no_plot, "do not call train/plot_sweep.py");
  sub->add_flag("--no-progress", st->no_progress, "no progress bar");
  sub->callback([st] {
    const auto sweep = train::read_sweep(st->config);
    train::SweepOptions opt;
    opt.runs_dir = st->runs.empty() ? fs::path("runs") / sweep.name : fs::path(st->runs);
    opt.out_dir = st->out.empty() ? opt.runs_dir : fs::path(st->out);
    require_output_dir(st->runs.empty() ? "runs directory (default of --runs)" : "--runs", opt.runs_dir);
    require_output_dir(st->out.empty() ? "--out (default: the runs directory)" : "--out", opt.out_dir);
    opt.progress = !st->no_progress;
    opt.log = [](const std::string& line) {
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    };
    std::printf("sweep %s: %zu runs in %s\n", sweep.name.c_str(), sweep.points.size(), opt.runs_dir.string().c_str());
    const auto rows = train::run_sweep(sweep, opt);
    const fs::path csv = opt.out_dir / (sweep.name + ".csv"), md = opt.out_dir / (sweep.name + ".md");
    std::printf("\n%s\nwrote %s and %s\n", train::sweep_markdown_tables(sweep, rows).c_str(), md.string().c_str(),
                csv.string().c_str());
    if (!st->no_plot) plot(csv, opt.out_dir / (sweep.name + ".png"));
  });
}

}  // namespace menagerie::cli
