// menagerie bench kernels [--out DIR]: times the attention family's GPU kernel variants on this machine's GPU: the
// kernels_bench executable (--ops=softmax_attention,linear_attention; its JSON, and the cases file of the shapes it
// timed), bench/attention_torch.py on that cases file with a python3 that has torch (the PyTorch peers, same grid,
// same invocation; without one the report's peer columns are empty and it says so), then bench/attention_report.py,
// which writes <out>/throughput-attention.md and, with a python3 that has matplotlib, the PNG.
// menagerie bench conv [--out DIR]: the same for the convolution family (--ops=short_conv,long_conv and H3's filters
// s4d_kernel, shift_ssm_kernel), with kernels_bench's --error-out (each variant's error against the double reference as T grows, written before the
// timing), bench/conv_torch.py (torch's FFT convolution as zoology's fft_conv, torch's depthwise conv1d) and
// bench/conv_report.py: <out>/throughput-conv.md and throughput-conv.png.
// menagerie bench recurrent [--out DIR]: the same for the recurrent family (--ops=wkv,selective_scan: RWKV-4's WKV
// and Mamba's selective scan), with --error-out, bench/recurrent_torch.py (both recurrences as sequential PyTorch
// loops over T, as RWKV-4's and Mamba's reference paths compute them, timed under a time budget: cases that would
// exceed it are written as skipped) and bench/recurrent_report.py: <out>/throughput-recurrent.md and
// throughput-recurrent.png.
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

std::filesystem::path script(const std::string& sub, const std::string& relative) {
  const auto p = project_file(relative);
  require<NotAvailableError>(!p.empty(), "menagerie bench ", sub, ": ", relative, " not found");
  return p;
}

// One family's benchmark: kernels_bench on the family's operators, its peers' script on the cases file, the report.
struct Family {
  std::string sub;     // "kernels", "conv", "recurrent"
  std::string ops;     // kernels_bench --ops
  std::string stem;    // attention, conv, recurrent: bench/<stem>_torch.py, bench/<stem>_report.py,
                       // <out>/<stem>_torch.json
  bool errors = false;  // kernels_bench --error-out=<out>/<stem>_errors.json
};

void run_family(const Family& f, const std::string& out) {
  require_output_dir("--out", out);
  require<NotAvailableError>(gpu_available(), "menagerie bench ", f.sub, ": no GPU visible");
  namespace fs = std::filesystem;
  const fs::path torch_py = script(f.sub, "bench/" + f.stem + "_torch.py"),
                 report_py = script(f.sub, "bench/" + f.stem + "_report.py");
  const fs::path exe = fs::canonical("/proc/self/exe").parent_path();
  const fs::path bin = exe.parent_path() / "bench" / "kernels_bench";
  require<NotAvailableError>(fs::exists(bin), "menagerie bench ", f.sub, ": ", bin.string(), " is not built");
  fs::create_directories(out);
  const fs::path dir(out);
  // The attention family keeps the file names it had before the families were split.
  const std::string prefix = f.sub == "kernels" ? "kernels" : f.stem;
  const fs::path bj = dir / (prefix + "_bench.json"), cj = dir / (prefix + "_cases.json"),
                 tj = dir / (f.stem + "_torch.json"), ej = dir / (f.stem + "_errors.json");
  run_or_throw(quoted(bin) + " --ops=" + f.ops + " --cases-out=" + quoted(cj) +
                   (f.errors ? " --error-out=" + quoted(ej) : std::string()) + " --benchmark_out=" + quoted(bj) +
                   " --benchmark_out_format=json",
               "kernels_bench");
  const std::string torch = python_with("torch");
  if (torch.empty()) {
    std::printf("bench %s: no python3 with torch; the report has no PyTorch peers\n", f.sub.c_str());
    fs::remove(tj);
  } else {
    run_or_throw(torch + " " + quoted(torch_py) + " --cases " + quoted(cj) + " --out " + quoted(tj),
                 (f.stem + "_torch.py").c_str());
  }
  const std::string plot = python_with("matplotlib");
  std::string cmd = (plot.empty() ? std::string("python3") : plot) + " " + quoted(report_py) + " " + quoted(bj) + " " +
                    quoted(tj) + " " + quoted(dir);
  if (f.errors) cmd += " " + quoted(ej);
  run_or_throw(cmd, (f.stem + "_report.py").c_str());
}

}  // namespace

void add_bench(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "benchmark kernels against PyTorch and the machine's ceilings");
  bench->require_subcommand(1);
  auto* att = bench->add_subcommand("kernels", "every attention kernel variant beside its PyTorch peer (SDPA, Based)");
  static std::string out = "reports";
  att->add_option("--out", out, "directory for throughput-attention.md and the JSON (default reports)");
  att->callback([] { run_family({"kernels", "softmax_attention,linear_attention", "attention", false}, out); });
  auto* conv = bench->add_subcommand(
      "conv", "every convolution kernel variant beside its PyTorch peer (zoology's fft_conv, depthwise conv1d)");
  static std::string conv_out = "reports";
  conv->add_option("--out", conv_out, "directory for throughput-conv.md, .png and the JSON (default reports)");
  conv->callback([] { run_family({"conv", "short_conv,long_conv,s4d_kernel,shift_ssm_kernel", "conv", true}, conv_out); });
  auto* rec = bench->add_subcommand(
      "recurrent", "every recurrent kernel variant (RWKV-4's WKV, Mamba's selective scan) beside its PyTorch peer");
  static std::string recurrent_out = "reports";
  rec->add_option("--out", recurrent_out,
                  "directory for throughput-recurrent.md, .png and the JSON (default reports)");
  rec->callback([] { run_family({"recurrent", "wkv,selective_scan", "recurrent", true}, recurrent_out); });
}

}  // namespace menagerie::cli
