// menagerie report: writes reports/<name>.md, the main job's product. It says what this run verified and what it
// did not, and why: a provenance header (git SHA, date, machine, GPU or why none), the test suites this run ran
// (ctest logs), the reference self-checks (a `menagerie verify --cpu` log), the GPU verification (verify-gpu.md
// when this run wrote it, else why not), the theory constructions and the statements theory.md does not check, and
// every other report in the folder with whether this run produced it, from which commit and device, and whether
// it is stale (cli/report_inputs.hpp). The file is written atomically.
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.hpp"
#include "cli/output_paths.hpp"
#include "cli/report_inputs.hpp"
#include "cli/theory_report.hpp"
#include "core/build_info.hpp"
#include "core/errors.hpp"
#include "core/io/atomic_file.hpp"
#include "optimized/common/device.hpp"

namespace menagerie::cli {

namespace {

std::string default_name() {
  const DeviceReport r = device_report();
  if (r.gpus.empty()) return "cpu";
  std::string slug;
  for (char c : r.gpus.front().name) slug += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
  return "gpu-" + slug;
}

const ReportFile* find(const std::vector<ReportFile>& files, const std::string& name) {
  for (const auto& f : files)
    if (f.name == name) return &f;
  return nullptr;
}

// Why there is no GPU, as the device query says it ("no NVIDIA driver, so no GPU").
std::string no_gpu_reason(const Provenance& p) {
  const std::string& g = p.gpu;
  if (g.rfind("none (", 0) == 0 && g.back() == ')') return g.substr(6, g.size() - 7);
  return g;
}

// "40 cases: 38 SAME, 2 UNSURE" from the table `menagerie gate --report FILE` wrote (its fifth column).
std::string gate_verdicts(const std::string& path) {
  std::ifstream f(path);
  std::map<std::string, int> count;
  int rows = 0;
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("| ", 0) != 0 || line.rfind("| case |", 0) == 0) continue;
    std::vector<std::string> cells;
    for (std::size_t at = 2, bar; (bar = line.find(" |", at)) != std::string::npos; at = bar + 3)
      cells.push_back(line.substr(at, bar - at));
    if (cells.size() < 5) continue;
    ++count[cells[4]];
    ++rows;
  }
  std::string s = cat(rows, " cases");
  const char* sep = ": ";
  for (const auto& [verdict, n] : count) s += cat(std::exchange(sep, ", "), n, " ", verdict);
  return s;
}

struct Inputs {
  std::vector<CtestSummary> ctest;
  std::vector<VerifyLine> verify_cpu;
  bool verify_cpu_given = false;
  std::vector<ReportFile> files;
  std::string out_dir;
};

// "## What this run verified": one row per check, with its result or why it did not run.
std::string verified_section(const Inputs& in, const Provenance& p) {
  std::ostringstream md;
  md << "## What this run verified\n\n| check | result |\n|---|---|\n";
  struct Suite {
    const char* label;
    const char* what;
    std::string not_run;
  };
  const std::vector<Suite> suites = {
      {"cpu", "test suite, `ctest -L cpu`", "no log given (`./menagerie report` runs it first)"},
      {"gpu", "GPU test suite, `ctest -L gpu`", gpu_available() ? "no log given" : no_gpu_reason(p)},
      {"fuzz", "fuzz targets' bounded runs, `ctest -L fuzz` (build-fuzz/)", "no log given"},
      {"asan", "CPU suite under ASan + UBSan, `ctest -L cpu` (build-asan/)",
       "`MENAGERIE_ASAN=1 ./menagerie report` runs it (about an hour on 2 cores from cold)"}};
  for (const auto& suite : suites) {
    const CtestSummary* run = nullptr;
    for (const auto& r : in.ctest) run = r.label == suite.label ? &r : run;
    md << "| " << suite.what << " | ";
    if (run)
      md << run->total << " tests: " << run->total - run->failed - run->skipped << " passed, " << run->failed
         << " failed, " << run->skipped << " skipped (" << run->time << ")";
    else
      md << "not run: " << suite.not_run;
    md << " |\n";
  }
  md << "| references' self-checks, `menagerie verify --cpu` | ";
  if (!in.verify_cpu_given) {
    md << "not run: no log given";
  } else {
    int pass = 0;
    std::string failed;
    for (const auto& v : in.verify_cpu) {
      if (v.pass) ++pass;
      else failed += (failed.empty() ? "" : ", ") + v.id;
    }
    md << pass << " of " << in.verify_cpu.size() << " ids pass" << (failed.empty() ? "" : "; FAILED: " + failed);
  }
  md << " |\n| GPU kernels against the references, `menagerie verify --gpu` | ";
  const ReportFile* v = find(in.files, "verify-gpu.md");
  if (v && v->this_run)
    md << "[verify-gpu.md](verify-gpu.md), this run on " << v->gpu;
  else
    md << "not run: " << (gpu_available() ? "not asked" : no_gpu_reason(p))
       << (v ? cat("; [verify-gpu.md](verify-gpu.md) is from an earlier run (", v->gpu, ", git ", v->sha,
                   v->dirty ? "-dirty" : "", ")")
             : "");
  md << " |\n| regression gate against reports/baselines, `menagerie gate` | ";
  std::string gates;
  for (const char* name : {"gate-gpu.md", "gate-gpu-accuracy.md"})
    if (const ReportFile* g = find(in.files, name); g && g->this_run)
      gates += cat(gates.empty() ? "" : "; ", "[", name, "](", name, ") (this run): ",
                   gate_verdicts(in.out_dir + "/" + name));
  md << (gates.empty() ? cat("GPU timing and accuracy not gated: ", gpu_available() ? "not asked" : no_gpu_reason(p))
                       : gates)
     << "; CPU instruction counts and accuracy: ctest's `gate_cpu` and `gate_accuracy_cpu`, in the cpu suite";
  md << " |\n| theory constructions C1-C7, `menagerie theory` | ";
  const ReportFile* t = find(in.files, "theory.md");
  if (!t)
    md << "not run";
  else
    md << "[theory.md](theory.md), " << (t->this_run ? "this run" : "an earlier run (" + t->date + ")")
       << (t->quick ? ", QUICK sizes (c <= 1024, N <= 256), not the papers'" : ", full sizes");
  md << " |\n";
  for (const auto& r : in.ctest)
    for (const auto& f : r.failures) md << "\n- FAILED (" << r.label << "): " << f;
  return md.str() + "\n";
}

// "## What was not verified": the GPU when there is none, and the theory statements theory.md does not check.
std::string not_verified_section(const Inputs& in, const Provenance& p) {
  std::ostringstream md;
  md << "## What was not verified, and why\n\n";
  if (!gpu_available())
    md << "- Every GPU kernel variant (attention, convolution and recurrent families): " << no_gpu_reason(p)
       << " on this machine. Kernels are verified only on a GPU (`menagerie verify --gpu`, `ctest -L gpu`, compute-sanitizer).\n";
  if (!build::with_cuda()) md << "- CUDA code was not compiled (cpu-only build).\n";
  for (const auto& [statement, why] : unchecked_statements(in.out_dir + "/theory.md"))
    md << "- " << statement << ": " << why << "\n";
  return md.str();
}

// "## Reports in this folder": every other report, with who produced it and whether it describes this code.
std::string reports_section(const Inputs& in, const Provenance& p) {
  std::ostringstream md;
  md << "## Reports in this folder\n\nEach with the run that produced it: this run, or an earlier one from the same "
        "commit (current), another commit (stale) or uncommitted code.\n\n"
     << "| report | title | produced | device | status |\n|---|---|---|---|---|\n";
  for (const auto& f : in.files)
    md << "| [" << f.name << "](" << f.name << ") | " << f.title << " | " << (f.date.empty() ? "-" : f.date) << " | "
       << (f.gpu.empty() ? "-" : f.gpu) << " | " << status_of(f, p.git_sha) << " |\n";
  return md.str();
}

}  // namespace

void add_report(CLI::App& app) {
  auto* sub = app.add_subcommand("report", "write reports/<name>.md: what this run verified and what it did not");
  static std::string name, out_dir = "reports", verify_log;
  static std::vector<std::string> logs;
  static std::int64_t since = -1;
  sub->add_option("--name", name, "report name (default: cpu, or gpu-<device> when a GPU is visible)");
  sub->add_option("--out-dir", out_dir, "directory of the reports")->capture_default_str();
  sub->add_option("--ctest-log", logs, "ctest output log to summarise (repeatable; ./menagerie report passes them)")
      ->check(CLI::ExistingFile);
  sub->add_option("--verify-log", verify_log, "a `menagerie verify --cpu` log to summarise")->check(CLI::ExistingFile);
  sub->add_option("--since", since, "seconds since the epoch when this run started: reports written later are "
                                    "marked as produced by this run")
      ->check(CLI::Range(std::int64_t{0}, std::numeric_limits<std::int64_t>::max()));
  sub->callback([] {
    require_output_dir("--out-dir", out_dir);
    if (name.empty()) name = default_name();
    require(std::regex_match(name, std::regex(R"([A-Za-z0-9_.-]+)")), "--name ", name,
            ": expected letters, digits, '.', '_' or '-'");
    Inputs in;
    in.out_dir = out_dir;
    for (const auto& l : logs) in.ctest.push_back(summarize_ctest_log(l));
    in.verify_cpu_given = !verify_log.empty();
    if (in.verify_cpu_given) in.verify_cpu = read_verify_log(verify_log);
    in.files = scan_reports(out_dir, name + ".md", since >= 0 ? std::optional<std::int64_t>(since) : std::nullopt);

    const Provenance p = current_provenance();
    std::ostringstream md;
    md << "# menagerie report: " << name << "\n\n"
       << "Generated by `menagerie report`; do not edit by hand.\n\n"
       << to_markdown(p) << "\n"
       << verified_section(in, p) << "\n"
       << not_verified_section(in, p) << "\n"
       << theory_section(out_dir) << "\n"
       << reports_section(in, p);
    const std::filesystem::path path = std::filesystem::path(out_dir) / (name + ".md");
    std::filesystem::create_directories(out_dir);
    const std::string text = md.str();
    write_file_atomic(path, std::as_bytes(std::span(text.data(), text.size())));
    std::printf("wrote %s\n", path.string().c_str());
  });
}

}  // namespace menagerie::cli
