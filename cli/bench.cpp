// menagerie bench kernels [--out DIR]: times every GPU kernel variant on this machine's GPU: the kernels_bench
// executable (its JSON, and the cases file of the shapes it timed), bench/attention_torch.py on that cases file with
// a python3 that has torch (the PyTorch peers, same grid, same invocation; without one the report's peer columns are
// empty and it says so), then bench/attention_report.py, which writes <out>/throughput-attention.md and, with a
// python3 that has matplotlib, the PNG.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "cli/commands.hpp"
#include "cli/output_paths.hpp"
#include "cli/scripts.hpp"
#include "core/errors.hpp"
#include "optimized/common/device.hpp"

namespace menagerie::cli {

namespace {

void run_or_throw(const std::string& cmd, const char* what) {
  if (std::system(cmd.c_str()) != 0) throw Error(cat("menagerie bench: ", what, " failed: ", cmd));
}

std::filesystem::path script(const std::string& relative) {
  const auto p = project_file(relative);
  require<NotAvailableError>(!p.empty(), "menagerie bench kernels: ", relative, " not found");
  return p;
}

}  // namespace

void add_bench(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "benchmark kernels against PyTorch and the machine's ceilings");
  bench->require_subcommand(1);
  auto* att = bench->add_subcommand("kernels", "every GPU kernel variant beside its PyTorch peer (SDPA, Based)");
  static std::string out = "reports";
  att->add_option("--out", out, "directory for throughput-attention.md and the JSON (default reports)");
  att->callback([] {
    require_output_dir("--out", out);
    require<NotAvailableError>(gpu_available(), "menagerie bench kernels: no GPU visible");
    namespace fs = std::filesystem;
    const fs::path exe = fs::canonical("/proc/self/exe").parent_path();
    const fs::path bin = exe.parent_path() / "bench" / "kernels_bench";
    require<NotAvailableError>(fs::exists(bin), "menagerie bench kernels: ", bin.string(), " is not built");
    fs::create_directories(out);
    const fs::path bj = fs::path(out) / "kernels_bench.json", tj = fs::path(out) / "attention_torch.json",
                   cj = fs::path(out) / "kernels_cases.json";
    run_or_throw(quoted(bin) + " --cases-out=" + quoted(cj) + " --benchmark_out=" + quoted(bj) +
                     " --benchmark_out_format=json",
                 "kernels_bench");
    const std::string torch = python_with("torch");
    if (torch.empty()) {
      std::printf("bench kernels: no python3 with torch; the report has no PyTorch peers\n");
      fs::remove(tj);
    } else {
      run_or_throw(torch + " " + quoted(script("bench/attention_torch.py")) + " --cases " + quoted(cj) + " --out " +
                       quoted(tj),
                   "attention_torch.py");
    }
    const std::string plot = python_with("matplotlib");
    run_or_throw((plot.empty() ? std::string("python3") : plot) + " " + quoted(script("bench/attention_report.py")) +
                     " " + quoted(bj) + " " + quoted(tj) + " " + quoted(fs::path(out)),
                 "attention_report.py");
  });
}

}  // namespace menagerie::cli
