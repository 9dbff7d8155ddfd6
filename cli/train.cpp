// menagerie train --config run.json [--out DIR] [--no-progress]: one MQAR training run on the reference (CPU)
// backend (train/trainer.hpp). The config is validated before anything is written (bad input: one line, exit 2).
// DIR (default runs/<name>) receives config.json, results.jsonl (one JSON line per evaluation, appended with
// fsync) and checkpoint/; running the same command again resumes from the last checkpoint, or says the run is
// finished.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/output_paths.hpp"
#include "train/run_config.hpp"
#include "train/trainer.hpp"

namespace menagerie::cli {

void add_train(CLI::App& app) {
  struct State {
    std::string config, out;
    bool no_progress = false;
  };
  auto st = std::make_shared<State>();
  auto* sub = app.add_subcommand("train", "train a model on MQAR from a run config (JSON; see docs/train.md)");
  sub->add_option("--config", st->config, "run config (JSON): model, mixers per layer, data, optimizer, epochs, seed")
      ->required();
  sub->add_option("--out", st->out, "run directory (default runs/<name>): config.json, results.jsonl, checkpoint/");
  sub->add_flag("--no-progress", st->no_progress, "no progress bar (it is drawn only on a terminal anyway)");
  sub->callback([st] {
    const auto config = train::read_run_config(st->config);
    train::TrainOptions opt;
    opt.run_dir = st->out.empty() ? std::filesystem::path("runs") / config.name : std::filesystem::path(st->out);
    require_output_dir(st->out.empty() ? "run directory (default of --out)" : "--out", opt.run_dir);
    opt.progress = !st->no_progress;
    opt.log = [](const std::string& line) {
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    };
    std::printf("seed %llu; results -> %s\n", static_cast<unsigned long long>(config.seed),
                (opt.run_dir / "results.jsonl").string().c_str());
    const auto s = train::train_run(config, opt);
    std::printf("%s: valid/accuracy %.4f after %lld epochs%s (%.1f s in this call)\n", config.name.c_str(),
                s.final_line.value("valid/accuracy", 0.0),
                static_cast<long long>(s.final_line.value("epoch", std::int64_t{0})),
                s.final_line.value("early_stopped", false) ? ", stopped early" : "", s.seconds);
  });
}

}  // namespace menagerie::cli
