// menagerie bench kernels [--out DIR]: times the attention family's GPU kernel variants on this machine's GPU: the
// kernels_bench executable (--ops=softmax_attention,linear_attention; its JSON, and the cases file of the shapes it
// timed), bench/attention_torch.py on that cases file with a python3 that has torch (the PyTorch peers, same grid,
// same invocation; without one the report's peer columns are empty and it says so), then bench/attention_report.py,
// which writes <out>/throughput-attention.md and, with a python3 that has matplotlib, the PNG.
// menagerie bench conv [--out DIR]: the same for the convolution family (--ops=short_conv,long_conv and H3's filters
// s4d_kernel, shift_ssm_kernel), with kernels_bench's --error-out (each variant's error against the double reference
// as T grows; a run of its own after the peers'), bench/conv_torch.py (torch's FFT convolution as zoology's fft_conv, torch's depthwise conv1d) and
// bench/conv_report.py: <out>/throughput-conv.md and throughput-conv.png.
// menagerie bench <family> --filter REGEX: only the cases whose names match (kernels_bench --benchmark_filter, which
// also filters its cases file, so the peers time the same cases), without the error sweep; the report says so.
// menagerie bench recurrent [--out DIR]: the same for the recurrent family (--ops=wkv,selective_scan: RWKV-4's WKV
// and Mamba's selective scan), with --error-out, bench/recurrent_torch.py (both recurrences as sequential PyTorch
// loops over T, as RWKV-4's and Mamba's reference paths compute them, timed under a time budget: cases that would
// exceed it are written as skipped) and bench/recurrent_report.py: <out>/throughput-recurrent.md and
// throughput-recurrent.png.
// menagerie bench mixers [--out DIR]: the same for the mixers with GPU variants (base_conv, hyena, h3, rwkv, mamba:
// kernels_bench --ops= those of them that have a variant table in this build; the others are named and left out),
// bench/mixers_torch.py (zoology's own modules, ../shared/peers/zoology, on the same cases; it first checks each
// module's state_dict against the contract's tensors, which it asks this binary for) and bench/mixers_report.py:
// <out>/throughput-mixers.md and throughput-mixers.png, then bench/decode_report.py: <out>/decode.md (the step
// variants' tokens/s and state bytes against attention's KV cache).
// menagerie bench mixers --tensors REQUEST: prints, as JSON on stdout, the state_dict tensors (parameters: name and
// shape) and the state_dict aliases of each mixer object of REQUEST ({"mixers": [{"mixer": {"id": ..., <config
// keys>}, "d_model": d, "B": b, "T": t}, ...]}, the mixer object as run configs write it, train::mixer_from_json),
// from the contracts (core/mixers/<id>.hpp tensors()); needs no GPU. bench/mixers_torch.py compares zoology's
// modules' state_dicts with it before timing them.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/output_paths.hpp"
#include "cli/scripts.hpp"
#include "cli/verify_gpu.hpp"
#include "cli/verify_zoology.hpp"
#include "core/errors.hpp"
#include "core/json.hpp"
#include "optimized/common/device.hpp"
#include "train/run_config.hpp"

namespace menagerie::cli {

namespace {

// Runs cmd and says how long it took (the steps share a caller's time limit; the log shows where it went).
void run_or_throw(const std::string& cmd, const char* what) {
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = std::system(cmd.c_str());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("menagerie bench: %s took %.0f s\n", what, s);
  std::fflush(stdout);
  if (rc != 0) throw Error(cat("menagerie bench: ", what, " failed: ", cmd));
}

std::filesystem::path script(const std::string& sub, const std::string& relative) {
  const auto p = project_file(relative);
  require<NotAvailableError>(!p.empty(), "menagerie bench ", sub, ": ", relative, " not found");
  return p;
}

// One family's benchmark: kernels_bench on the family's operators, its peers' script on the cases file, the report.
struct Family {
  std::string sub;     // "kernels", "conv", "recurrent", "mixers"
  std::string ops;     // kernels_bench --ops: those of them with GPU variants in this build (the others are named)
  std::string stem;    // attention, conv, recurrent, mixers: bench/<stem>_torch.py, bench/<stem>_report.py,
                       // <out>/<stem>_torch.json
  bool errors = false;  // kernels_bench --error-out=<out>/<stem>_errors.json
  bool pass_binary = false;  // the peers' script gets --menagerie <this binary> (for the contracts' tensors)
};

// The ids of `ops` (comma-separated) that have GPU variants in this build; the others are printed as left out.
std::string with_kernels(const Family& f) {
  const std::string known = ", " + gpu_kernel_ids() + ", ";
  std::string kept, dropped;
  std::size_t start = 0;
  while (start <= f.ops.size()) {
    const std::size_t comma = std::min(f.ops.find(',', start), f.ops.size());
    const std::string id = f.ops.substr(start, comma - start);
    std::string& list = known.find(", " + id + ", ") != std::string::npos ? kept : dropped;
    list += (list.empty() ? "" : ",") + id;
    start = comma + 1;
  }
  if (!dropped.empty())
    std::printf("bench %s: no GPU variant in this build of %s: not timed (the report names them)\n", f.sub.c_str(),
                dropped.c_str());
  require<NotAvailableError>(!kept.empty(), "menagerie bench ", f.sub, ": none of ", f.ops,
                             " has GPU variants in this build");
  return kept;
}

void run_family(const Family& f, const std::string& out, const std::string& filter) {
  require_output_dir("--out", out);
  if (!filter.empty()) {
    try {
      std::regex(filter.front() == '-' ? filter.substr(1) : filter, std::regex::extended);
    } catch (const std::regex_error&) {
      throw InputError(cat("menagerie bench ", f.sub, ": --filter '", filter,
                           "' is not a regular expression (POSIX extended, as kernels_bench's --benchmark_filter)"));
    }
  }
  require<NotAvailableError>(gpu_available(), "menagerie bench ", f.sub, ": no GPU visible");
  namespace fs = std::filesystem;
  const fs::path torch_py = script(f.sub, "bench/" + f.stem + "_torch.py"),
                 report_py = script(f.sub, "bench/" + f.stem + "_report.py");
  const fs::path exe = fs::canonical("/proc/self/exe").parent_path();
  const fs::path bin = exe.parent_path() / "bench" / "kernels_bench";
  require<NotAvailableError>(fs::exists(bin), "menagerie bench ", f.sub, ": ", bin.string(), " is not built");
  const std::string ops = with_kernels(f);
  fs::create_directories(out);
  const fs::path dir(out);
  // The attention family keeps the file names it had before the families were split.
  const std::string prefix = f.sub == "kernels" ? "kernels" : f.stem;
  const fs::path bj = dir / (prefix + "_bench.json"), cj = dir / (prefix + "_cases.json"),
                 tj = dir / (f.stem + "_torch.json"), ej = dir / (f.stem + "_errors.json");
  const bool errors = f.errors && filter.empty();  // a filtered run is a quick look: no error sweep
  fs::remove(ej);  // no earlier run's sweep in a report of this one
  if (f.errors && !errors)
    std::printf("bench %s: --filter given: kernels_bench times the matching cases only, without its error sweep\n",
                f.sub.c_str());
  run_or_throw(quoted(bin) + " --ops=" + ops + " --cases-out=" + quoted(cj) +
                   (filter.empty() ? std::string() : " --benchmark_filter=" + quoted(std::filesystem::path(filter))) +
                   " --benchmark_out=" + quoted(bj) + " --benchmark_out_format=json",
               "kernels_bench");
  const std::string torch = python_with("torch");
  if (torch.empty()) {
    std::printf("bench %s: no python3 with torch; the report has no PyTorch peers\n", f.sub.c_str());
    fs::remove(tj);
  } else {
    run_or_throw(torch + " " + quoted(torch_py) + " --cases " + quoted(cj) + " --out " + quoted(tj) +
                     (f.pass_binary ? " --menagerie " + quoted(fs::canonical("/proc/self/exe")) : std::string()),
                 (f.stem + "_torch.py").c_str());
  }
  // The error sweep after the peers: it needs no peer beside it, and a caller's time limit that cuts the run then
  // costs the error tables rather than the peers' timings.
  if (errors) run_or_throw(quoted(bin) + " --ops=" + ops + " --error-out=" + quoted(ej), "kernels_bench --error-out");
  const std::string plot = python_with("matplotlib");
  std::string cmd = (plot.empty() ? std::string("python3") : plot) + " " + quoted(report_py) + " " + quoted(bj) + " " +
                    quoted(tj) + " " + quoted(dir);
  if (errors) cmd += " " + quoted(ej);
  run_or_throw(cmd, (f.stem + "_report.py").c_str());
  if (f.stem == "mixers")  // the step variants' decoding table, from the same timings
    run_or_throw((plot.empty() ? std::string("python3") : plot) + " " +
                     quoted(script(f.sub, "bench/decode_report.py")) + " " + quoted(bj) + " " + quoted(dir),
                 "decode_report.py");
}

// --tensors REQUEST: each mixer object's parameters (name, shape) and state_dict aliases, as JSON on stdout.
void print_tensors(const std::string& request) {
  const json req = read_json_file(request);
  const auto mixers = get_field<json>(req, "mixers", request);
  require<FormatError>(mixers.is_array(), request, ": mixers must be an array of mixer requests");
  json out = json::array();
  for (std::size_t i = 0; i < mixers.size(); ++i) {
    const std::string where = cat(json_path(request, "mixers"), "[", i, "]");
    const json& m = mixers[i];
    reject_unknown_keys(m, {"mixer", "d_model", "B", "T"}, where);
    const auto d = get_field<std::int64_t>(m, "d_model", where), B = get_field<std::int64_t>(m, "B", where),
               T = get_field<std::int64_t>(m, "T", where);
    require<InputError>(d >= 1 && B >= 1 && T >= 1, where, ": d_model, B, T = ", d, ", ", B, ", ", T,
                        " must all be >= 1");
    const auto mixer = train::mixer_from_json(get_field<json>(m, "mixer", where), d, T, json_path(where, "mixer"));
    std::vector<TensorSpec> specs;
    try {
      specs = mixer.tensors(B, T);  // validates the problem
    } catch (const InputError& e) {
      throw InputError(cat(where, ": ", e.what()));
    }
    json tensors = json::array(), aliases = json::array();
    for (const auto& s : specs)
      if (s.role == Role::param) tensors.push_back({{"name", s.name}, {"shape", s.shape}});
    for (const auto& a : mixer_aliases(mixer, d)) aliases.push_back({{"alias", a.alias}, {"canonical", a.canonical}});
    out.push_back(json{{"mixer", m.at("mixer")}, {"d_model", d}, {"B", B}, {"T", T}, {"tensors", tensors},
                       {"aliases", aliases}});
  }
  std::printf("%s\n", json{{"mixers", out}}.dump(1).c_str());
}

}  // namespace

void add_filter(CLI::App& sub, std::string& filter) {
  sub.add_option("--filter", filter,
                 "time only the cases whose name matches this regular expression (kernels_bench's "
                 "--benchmark_filter; names like wkv/split_fp32/fwd/B:8/T:4096/D:1024), peers on the same cases, "
                 "no error sweep; the report says it is filtered");
}

void add_bench(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "benchmark kernels against PyTorch and the machine's ceilings");
  bench->require_subcommand(1);
  auto* att = bench->add_subcommand("kernels", "every attention kernel variant beside its PyTorch peer (SDPA, Based)");
  static std::string out = "reports";
  att->add_option("--out", out, "directory for throughput-attention.md and the JSON (default reports)");
  static std::string att_filter, conv_filter, recurrent_filter, mixers_filter;
  add_filter(*att, att_filter);
  att->callback([] { run_family({"kernels", "softmax_attention,linear_attention", "attention", false}, out, att_filter); });
  auto* conv = bench->add_subcommand(
      "conv", "every convolution kernel variant beside its PyTorch peer (zoology's fft_conv, depthwise conv1d)");
  static std::string conv_out = "reports";
  conv->add_option("--out", conv_out, "directory for throughput-conv.md, .png and the JSON (default reports)");
  add_filter(*conv, conv_filter);
  conv->callback([] {
    run_family({"conv", "short_conv,long_conv,s4d_kernel,shift_ssm_kernel", "conv", true}, conv_out, conv_filter);
  });
  auto* rec = bench->add_subcommand(
      "recurrent", "every recurrent kernel variant (RWKV-4's WKV, Mamba's selective scan) beside its PyTorch peer");
  static std::string recurrent_out = "reports";
  rec->add_option("--out", recurrent_out,
                  "directory for throughput-recurrent.md, .png and the JSON (default reports)");
  add_filter(*rec, recurrent_filter);
  rec->callback([] { run_family({"recurrent", "wkv,selective_scan", "recurrent", true}, recurrent_out, recurrent_filter); });
  auto* mix = bench->add_subcommand(
      "mixers", "every mixer's GPU variants (base_conv, hyena, h3, rwkv, mamba, mha, sliding_attn, based) beside "
                "zoology's own modules (peers for the first five)");
  static std::string mixers_out = "reports", tensors_request;
  mix->add_option("--out", mixers_out, "directory for throughput-mixers.md, .png and the JSON (default reports)");
  mix->add_option("--tensors", tensors_request,
                  "print the contracts' state_dict tensors of the mixer objects in this JSON file and exit (what "
                  "bench/mixers_torch.py checks zoology's modules against; no GPU needed)");
  add_filter(*mix, mixers_filter);
  mix->callback([] {
    if (!tensors_request.empty()) return print_tensors(tensors_request);
    Family f{"mixers", "base_conv,hyena,h3,rwkv,mamba,mha,sliding_attn,based", "mixers", false};
    f.pass_binary = true;
    run_family(f, mixers_out, mixers_filter);
  });
  add_bench_train(*bench);
}

}  // namespace menagerie::cli
