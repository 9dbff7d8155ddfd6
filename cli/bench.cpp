// menagerie bench attention [--out DIR]: runs the attention harness on this machine's GPU:
// the attention_bench executable (JSON), bench/attention_torch.py when python3 is present (the PyTorch peers, same
// shapes, same invocation), then bench/attention_report.py, which writes reports/throughput-attention.md (+ PNG).
#include <cstdlib>
#include <filesystem>
#include <string>

#include "cli/commands.hpp"
#include "core/errors.hpp"
#include "optimized/common/device.hpp"

namespace menagerie::cli {

namespace {

std::string shell_quote(const std::string& s) { return "'" + s + "'"; }

void run_or_throw(const std::string& cmd, const char* what) {
  if (std::system(cmd.c_str()) != 0) throw Error(cat("menagerie bench: ", what, " failed: ", cmd));
}

}  // namespace

void add_bench(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "benchmark kernels against PyTorch and the machine's ceilings");
  bench->require_subcommand(1);
  auto* att = bench->add_subcommand("attention", "softmax and linear attention kernels beside torch SDPA and Based");
  static std::string out = "reports";
  att->add_option("--out", out, "directory for throughput-attention.md and the JSON (default reports)");
  att->callback([] {
    require<NotAvailableError>(gpu_available(), "menagerie bench attention: no GPU visible");
    namespace fs = std::filesystem;
    const fs::path exe = fs::canonical("/proc/self/exe").parent_path();
    const fs::path bin = exe.parent_path() / "bench" / "attention_bench";
    require<NotAvailableError>(fs::exists(bin), "menagerie bench attention: ", bin.string(), " is not built");
    const fs::path src = fs::path(__FILE__).is_absolute() ? fs::path(__FILE__).parent_path().parent_path()
                                                          : fs::current_path();
    fs::create_directories(out);
    const std::string bj = (fs::path(out) / "attention_bench.json").string();
    const std::string tj = (fs::path(out) / "attention_torch.json").string();
    run_or_throw(shell_quote(bin.string()) + " --benchmark_out=" + shell_quote(bj) + " --benchmark_out_format=json",
                 "attention_bench");
    run_or_throw("python3 " + shell_quote((src / "bench" / "attention_torch.py").string()) + " --out " + shell_quote(tj),
                 "attention_torch.py");
    run_or_throw("python3 " + shell_quote((src / "bench" / "attention_report.py").string()) + " " + shell_quote(bj) + " " +
                     shell_quote(tj) + " " + shell_quote(out),
                 "attention_report.py");
  });
}

}  // namespace menagerie::cli
