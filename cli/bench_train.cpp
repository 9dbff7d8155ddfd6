// menagerie bench train [--out DIR] [--config FILE] [--only NAMES] [--budget-s S] [--graph] [--precision P]:
// the GPU backend's training step beside zoology's own training step, in one invocation on one GPU (issue 16 item 4):
//   1. build/bench/train_steps --config FILE --out DIR/train_steps.json: for each mixer x d_model x (T, B) of the
//      config (default bench/throughput-train.json) the GpuBackend's step (forward, backward, AdamW) on one
//      fixed MQAR batch, median ms of host-synchronised steps after warm-up (bench/train_steps.cpp). A row that
//      fails is kept with its error (exit 1 of train_steps is not fatal here; exit 2, bad input, is); with --graph
//      each row is also timed with the step replayed as a CUDA graph (train_steps --graph); --precision tf32 or bf16
//      gives every row that "precision" (its cuBLAS GEMMs on tensor cores; default float, zoology's mode);
//   2. bench/train_torch.py on that file with a python3 that has torch: zoology's LanguageModel built from each row's
//      model, AdamW, fp32 with TF32 off (on for tf32 rows; bf16 rows: forward and loss under bf16 autocast), a
//      step = zero_grad, forward, cross-entropy, backward, optimizer.step, timed the same way under a time budget
//      (--budget-s, default 240 s); without torch the report has no peer columns;
//   3. bench/train_report.py: DIR/throughput-train.md, .csv and (with matplotlib) .png; its precision line names the
//      mode of both sides.
// A cpu-only build or a machine without a visible GPU: a one-line refusal, exit 2.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "cli/commands.hpp"
#include "cli/output_paths.hpp"
#include "cli/scripts.hpp"
#include "core/build_info.hpp"
#include "core/errors.hpp"
#include "optimized/common/device.hpp"

namespace menagerie::cli {

namespace {

struct Options {
  std::string out = "reports", config, only, precision = "float";
  double budget_s = 240;
  bool graph = false;
};

// The exit status of cmd (-1 if it did not exit normally).
int status_of(const std::string& cmd) {
  const int s = std::system(cmd.c_str());
  return s != -1 && WIFEXITED(s) ? WEXITSTATUS(s) : -1;
}

std::filesystem::path script(const std::string& relative) {
  const auto p = project_file(relative);
  require<NotAvailableError>(!p.empty(), "menagerie bench train: ", relative, " not found");
  return p;
}

void run_bench_train(const Options& o) {
  namespace fs = std::filesystem;
  require_output_dir("--out", o.out);
  require<InputError>(o.budget_s > 0, "menagerie bench train: --budget-s = ", o.budget_s, " must be > 0");
  require<InputError>(o.precision == "float" || o.precision == "tf32" || o.precision == "bf16",
                      "menagerie bench train: --precision ", o.precision, ": expected float, tf32 or bf16");
  const fs::path config = o.config.empty() ? script("bench/throughput-train.json") : fs::path(o.config);
  require<InputError>(fs::is_regular_file(config), "menagerie bench train: --config ", config.string(),
                      ": no such file");
  require<NotAvailableError>(build::with_cuda(),
                             "menagerie bench train: this build has no CUDA (cpu-only); the GPU trainer's benchmark "
                             "needs a CUDA build");
  require<NotAvailableError>(gpu_available(), "menagerie bench train: no GPU visible");
  const fs::path torch_py = script("bench/train_torch.py"), report_py = script("bench/train_report.py");
  const fs::path bin = fs::canonical("/proc/self/exe").parent_path().parent_path() / "bench" / "train_steps";
  require<NotAvailableError>(fs::exists(bin), "menagerie bench train: ", bin.string(), " is not built");
  fs::create_directories(o.out);
  const fs::path dir(o.out), steps = dir / "train_steps.json", peers = dir / "train_torch.json";
  const std::string cmd = quoted(bin) + " --config " + quoted(config) + " --out " + quoted(steps) +
                          (o.only.empty() ? std::string() : " --only " + cli::quoted(fs::path(o.only))) +
                          (o.graph ? " --graph" : "") + " --precision " + o.precision;
  const int rc = status_of(cmd);
  if (rc == 2) throw InputError(cat("menagerie bench train: train_steps refused its input: ", cmd));
  if (rc != 0 && rc != 1) throw Error(cat("menagerie bench train: train_steps failed (exit ", rc, "): ", cmd));
  if (rc == 1) std::printf("bench train: some of our rows failed (the report lists them)\n");
  const std::string torch = python_with("torch");
  if (torch.empty()) {
    std::printf("bench train: no python3 with torch; the report has no zoology peer\n");
    fs::remove(peers);
  } else if (status_of(torch + " " + quoted(torch_py) + " --steps " + quoted(steps) + " --out " + quoted(peers) +
                       " --budget-s " + std::to_string(o.budget_s)) != 0) {
    throw Error("menagerie bench train: bench/train_torch.py failed");
  }
  const std::string plot = python_with("matplotlib");
  if (status_of((plot.empty() ? std::string("python3") : plot) + " " + quoted(report_py) + " " + quoted(steps) + " " +
                quoted(peers) + " " + quoted(dir)) != 0)
    throw Error("menagerie bench train: bench/train_report.py failed");
}

}  // namespace

void add_bench_train(CLI::App& bench) {
  static Options o;
  auto* sub = bench.add_subcommand(
      "train", "the GPU backend's training step (forward, backward, AdamW) beside zoology's own training step, per "
               "mixer and shape (GPU build and a GPU needed)");
  sub->add_option("--out", o.out, "directory for throughput-train.md, .csv, .png and the JSON (default reports)");
  sub->add_option("--config", o.config, "the benchmark's config (default bench/throughput-train.json)");
  sub->add_option("--only", o.only, "comma-separated mixer names of the config to time (default all)");
  sub->add_option("--budget-s", o.budget_s, "the zoology peer's time budget in seconds (default 240)");
  sub->add_flag("--graph", o.graph,
                "also time each row with the step replayed as a CUDA graph (\"cuda_graph\": true; train_steps "
                "--graph): the report adds its ms and ratio and judges the target on them too");
  sub->add_option("--precision", o.precision,
                  "float (default; zoology's fp32, TF32 off on both sides), tf32 (our cuBLAS GEMMs on TF32 tensor "
                  "cores, PyTorch's allow_tf32 on) or bf16 (our GEMMs on bf16 tensor cores, zoology under bf16 "
                  "autocast)");
  sub->callback([] { run_bench_train(o); });
}

}  // namespace menagerie::cli
