// menagerie report: writes reports/<name>.md, the main job's product. A provenance header (git SHA, date, machine,
// GPU or none), the build and device summary, the verification results read from ctest logs, the theory section
// and links to the throughput and sweep reports that exist. The file is written atomically.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/output_paths.hpp"
#include "cli/theory_report.hpp"
#include "core/build_info.hpp"
#include "core/errors.hpp"
#include "core/io/atomic_file.hpp"
#include "optimized/common/device.hpp"

namespace menagerie::cli {

namespace {

struct CtestSummary {
  std::string log, label;
  int total = 0, failed = 0, skipped = 0;
  std::string time;
  std::vector<std::string> failures;
};

CtestSummary summarize_ctest_log(const std::string& path) {
  std::ifstream f(path);
  require(f.good(), "--ctest-log ", path, ": cannot read the file");
  CtestSummary s;
  s.log = path;
  static const std::regex total(R"((\d+)% tests passed(?:, (\d+) tests? failed)? out of (\d+))");
  static const std::regex failure(R"(^\s+\d+ - (\S+) \((Failed|Not Run|Timeout|SEGFAULT|Subprocess aborted|Exception)\))");
  static const std::regex skipped(R"(\*\*\*Skipped|\bSkipped\b)");
  static const std::regex real(R"(Total Test time \(real\) =\s+(\S+ sec))");
  static const std::regex label(R"(ctest-(\w+)\.log$)");
  std::smatch m;
  if (std::regex_search(path, m, label)) s.label = m[1];
  bool found = false;
  for (std::string line; std::getline(f, line);) {
    if (std::regex_search(line, m, total)) {
      s.failed = m[2].matched ? std::stoi(m[2]) : 0;
      s.total = std::stoi(m[3]);
      found = true;
    } else if (std::regex_search(line, m, failure)) {
      s.failures.push_back(cat(m[1].str(), " (", m[2].str(), ")"));
    } else if (std::regex_search(line, m, real)) {
      s.time = m[1];
    } else if (line.find(" Test #") != std::string::npos && std::regex_search(line, skipped)) {
      ++s.skipped;
    }
  }
  require<FormatError>(found, "--ctest-log ", path, ": no ctest summary line found (expected a ctest output log)");
  return s;
}

// Links to the other generated reports in out_dir (the throughput tables, the sweeps), each with its title and
// the line that dates it, so the main report says what is there and from when.
std::string results_section(const std::string& out_dir) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(out_dir, ec)) {
    const std::string f = e.path().filename().string();
    if (e.path().extension() == ".md" && (f.rfind("throughput-", 0) == 0 || f.rfind("sweep-", 0) == 0))
      files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::ostringstream md;
  md << "## Results\n\n";
  if (files.empty()) md << "No throughput or sweep reports in " << out_dir << " yet.\n";
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string title, when;
    for (std::string line; std::getline(in, line) && (title.empty() || when.empty());) {
      if (title.empty() && line.rfind("# ", 0) == 0) title = line.substr(2);
      if (when.empty() && line.rfind("- ", 0) == 0 && (line.find(" run 20") != std::string::npos ||
                                                       line.rfind("- date: ", 0) == 0))
        when = line.substr(2);
    }
    md << "- [" << f.filename().string() << "](" << f.filename().string() << "): " << title
       << (when.empty() ? "" : "; " + when) << "\n";
  }
  return md.str();
}

std::string default_name() {
  const DeviceReport r = device_report();
  if (r.gpus.empty()) return "cpu";
  std::string slug;
  for (char c : r.gpus.front().name) slug += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
  return "gpu-" + slug;
}

}  // namespace

void add_report(CLI::App& app) {
  auto* sub = app.add_subcommand("report", "write reports/<name>.md: provenance, devices, verification, results");
  static std::string name, out_dir = "reports";
  static std::vector<std::string> logs;
  sub->add_option("--name", name, "report name (default: cpu, or gpu-<device> when a GPU is visible)");
  sub->add_option("--out-dir", out_dir, "directory of the reports")->capture_default_str();
  sub->add_option("--ctest-log", logs, "ctest output log to summarise (repeatable; ./menagerie report passes them)")
      ->check(CLI::ExistingFile);
  sub->callback([] {
    require_output_dir("--out-dir", out_dir);
    if (name.empty()) name = default_name();
    require(std::regex_match(name, std::regex(R"([A-Za-z0-9_.-]+)")), "--name ", name,
            ": expected letters, digits, '.', '_' or '-'");
    std::vector<CtestSummary> runs;
    for (const auto& l : logs) runs.push_back(summarize_ctest_log(l));

    const Provenance p = current_provenance();
    std::ostringstream md;
    md << "# menagerie report: " << name << "\n\n"
       << "Generated by `menagerie report`; do not edit by hand.\n\n"
       << to_markdown(p) << "\n## Verification\n\n";
    if (runs.empty()) {
      md << "No test logs were given (run `./menagerie report`, which runs the tests first).\n";
    } else {
      md << "| label | tests | passed | failed | skipped | time |\n|---|---|---|---|---|---|\n";
      for (const auto& r : runs)
        md << "| " << r.label << " | " << r.total << " | " << r.total - r.failed - r.skipped << " | " << r.failed
           << " | " << r.skipped << " | " << r.time << " |\n";
      for (const auto& r : runs)
        for (const auto& f : r.failures) md << "\n- FAILED (" << r.label << "): " << f;
      md << "\n";
    }
    md << "\n## Stages\n\n"
       << "| stage | status |\n|---|---|\n"
       << "| CUDA kernels | " << (build::with_cuda() ? "built" : "not built (cpu-only build)") << " |\n"
       << "| GPU | " << p.gpu << " |\n";
    md << "\n" << theory_section(out_dir) << "\n" << results_section(out_dir);
    const std::filesystem::path path = std::filesystem::path(out_dir) / (name + ".md");
    std::filesystem::create_directories(out_dir);
    const std::string text = md.str();
    write_file_atomic(path, std::as_bytes(std::span(text.data(), text.size())));
    std::printf("wrote %s\n", path.string().c_str());
  });
}

}  // namespace menagerie::cli
