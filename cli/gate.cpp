// menagerie gate / menagerie baseline update: regression gating against stored baselines (docs/gate.md).
//   menagerie gate --cpu [--against DIR] [--threshold X]
//       counts the instructions of every case of bench/instr_cases under valgrind's callgrind (deterministic: no
//       timing noise on a shared machine) and compares each with DIR/<class>/instructions.json, the class being the
//       compiler and build type (instruction counts are a property of the binary). Verdict per case: SLOWER when
//       the count grew by more than X (default 0.01), FASTER when it fell by more, SAME otherwise; NEW / GONE for
//       cases on one side only. Exit 1 on any SLOWER or GONE; exit 77 (ctest's skip) when valgrind or the class's
//       baseline is missing, saying which.
//   menagerie gate --bench FILE [--against DIR] [--threshold X] [--alpha A]
//       a Google Benchmark JSON (kernels_bench's, reference_bench's; run with --benchmark_repetitions=N so each case
//       has N samples) against DIR/<class>/bench.json, the class being the GPU of its provenance (or cpu-<compiler>):
//       per case core/stats.hpp's verdict (Mann-Whitney U test at alpha, bootstrap interval of the median ratio):
//       SLOWER / FASTER / SAME / UNSURE. Exit 1 on any SLOWER; 77 when the class has no timing baseline.
//   menagerie gate --verify FILE [--against DIR] [--threshold X]
//       the rows `menagerie verify --cpu --json FILE` or `verify --gpu --report DIR` (DIR/verify-gpu.json) wrote,
//       against DIR/<class>/verify-<cpu|gpu>.json: per check, its worst error / tolerance ratio now and then. WORSE
//       when it grew beyond ratio x (1 + X) + 0.01 (X default 0.5: the ratios are deterministic for a seed, so this
//       is a real loss of accuracy, not noise), BETTER when it fell as far, FAIL when the check fails now, SAME
//       otherwise. Exit 1 on WORSE, FAIL or GONE; 77 when the class has no accuracy baseline.
//   menagerie gate --sweep FILE [--against DIR] [--threshold X]
//       a `menagerie sweep` CSV (<name>.csv) against DIR/sweeps/<name>.json: per cell (data, mixer, d_model) the
//       best accuracy over its learning rates, the number Zoology's figures plot. DROP when it fell by more than X
//       (absolute, default 0.02: seeded CPU training is deterministic for a binary, and a few test examples may flip
//       between machines), GAIN when it rose as far, SAME otherwise; UNFINISHED when no run of the cell finished;
//       NEW / GONE for cells on one side only. Exit 1 on DROP, UNFINISHED or GONE; 77 when the sweep has no baseline.
//   menagerie baseline update (--cpu | --bench FILE | --verify FILE | --sweep FILE) [--dir DIR]
//       writes what the gate compares against (only on purpose: the gate never writes a baseline).
// DIR defaults to reports/baselines. Tables go to stdout; --report FILE also writes them as Markdown.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/output_paths.hpp"
#include "cli/scripts.hpp"
#include "core/build_info.hpp"
#include "core/errors.hpp"
#include "core/io/atomic_file.hpp"
#include "core/provenance.hpp"
#include "core/stats.hpp"

namespace menagerie::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Options {
  bool cpu = false;
  std::string bench, verify, sweep, dir = "reports/baselines", report;
  double threshold = -1, alpha = 0.01;
};

struct Row {
  std::string name, base, now, ratio, verdict, test;
};

std::string slug(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '-';
  return s;
}

std::string cpu_class() {
  return slug("cpu-" + std::string(build::compiler()) + "-" + std::string(build::build_type()));
}

json read_json(const fs::path& p, const char* what) {
  std::ifstream f(p);
  require<InputError>(f.good(), what, " ", p.string(), " cannot be read");
  try {
    return json::parse(f);
  } catch (const json::exception& e) {
    throw InputError(cat(what, " ", p.string(), " is not JSON: ", e.what()));
  }
}

fs::path exe_dir() { return fs::canonical("/proc/self/exe").parent_path(); }

// ---- instruction counts ----

std::string run_capture(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  require<NotAvailableError>(p != nullptr, "cannot run ", cmd);
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int rc = pclose(p);
  require<Error>(rc == 0, cmd, " exited with status ", rc, ": ", out.substr(0, 300));
  return out;
}

// The total of callgrind's "totals:" (or "summary:") line: the instructions executed between the start and stop
// macros of bench/instr_cases.cpp.
long long callgrind_total(const fs::path& out_file) {
  std::ifstream f(out_file);
  std::string line;
  long long total = -1;
  while (std::getline(f, line))
    if (line.rfind("totals:", 0) == 0 || (total < 0 && line.rfind("summary:", 0) == 0))
      total = std::stoll(line.substr(line.find(':') + 1));
  require<Error>(total >= 0, "no totals in callgrind's output ", out_file.string());
  return total;
}

std::map<std::string, long long> count_instructions() {
  const fs::path bin = exe_dir().parent_path() / "bench" / "instr_cases";
  require<NotAvailableError>(fs::exists(bin), "menagerie gate --cpu: ", bin.string(), " is not built");
  std::vector<std::string> names;
  std::istringstream list(run_capture(quoted(bin) + " --list"));
  for (std::string n; std::getline(list, n);)
    if (!n.empty()) names.push_back(n);
  const fs::path tmp = fs::temp_directory_path() / cat("menagerie-gate-", ::getpid());
  fs::create_directories(tmp);
  std::map<std::string, long long> counts;
  std::vector<std::future<std::pair<std::string, long long>>> jobs;
  const auto one = [&](const std::string& name) {
    const fs::path out = tmp / (slug(name) + ".out");
    run_capture("valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=" + quoted(out) + " " +
                quoted(bin) + " " + cli::quoted(fs::path(name)) + " >/dev/null 2>&1");
    return std::pair{name, callgrind_total(out)};
  };
  std::printf("gate: counting instructions of %zu cases under callgrind\n", names.size());
  for (std::size_t i = 0; i < names.size(); i += 2) {  // two at a time: this machine class has 2 cores
    jobs.clear();
    for (std::size_t k = i; k < std::min(names.size(), i + 2); ++k)
      jobs.push_back(std::async(std::launch::async, one, names[k]));
    for (auto& j : jobs) counts.insert(j.get());
  }
  fs::remove_all(tmp);
  return counts;
}

bool have_valgrind() { return std::system("valgrind --version >/dev/null 2>&1") == 0; }

// ---- benchmark samples ----

// Per case (run_name), the samples of a Google Benchmark JSON: counter "ms" where present (our manual-time
// benchmarks report their median call there), else real_time in ms; one sample per repetition.
std::map<std::string, std::vector<double>> bench_samples(const json& j) {
  std::map<std::string, std::vector<double>> s;
  for (const auto& b : j.value("benchmarks", json::array())) {
    if (b.value("run_type", "iteration") != "iteration" || b.value("error_occurred", false)) continue;
    const std::string name = b.value("run_name", b.value("name", ""));
    double ms;
    if (b.contains("ms"))
      ms = b["ms"].get<double>();
    else {
      const std::string unit = b.value("time_unit", "ns");
      const double scale = unit == "s" ? 1e3 : unit == "ms" ? 1 : unit == "us" ? 1e-3 : 1e-6;
      ms = b.at("real_time").get<double>() * scale;
    }
    s[name].push_back(ms);
  }
  return s;
}

std::string bench_class(const json& j) {
  const auto& ctx = j.value("context", json::object());
  std::string gpu = ctx.value("menagerie_gpu", "none");
  if (gpu.empty() || gpu == "none") return cpu_class();
  return slug(gpu.substr(0, gpu.find(" (")));
}

// ---- accuracy ----

std::string verify_class(const json& j) {
  if (j.value("kind", "") == "cpu") return cpu_class();
  const std::string gpu = j.value("provenance", json::object()).value("gpu", "none");
  return slug(gpu.substr(0, gpu.find(" (")));
}

fs::path verify_file(const Options& o, const json& j) {
  const std::string kind = j.value("kind", "");
  require<InputError>(kind == "cpu" || kind == "gpu", "--verify ", o.verify, ": kind '", kind,
                      "', expected the JSON of `menagerie verify --cpu --json` or `verify --gpu --report`");
  return fs::path(o.dir) / verify_class(j) / ("verify-" + kind + ".json");
}

std::map<std::string, json> verify_rows(const json& j) {
  std::map<std::string, json> rows;
  for (const auto& r : j.value("rows", json::array())) rows[r.at("key").get<std::string>()] = r;
  return rows;
}

// ---- sweep accuracies ----

// Per cell "data / mixer / d_model" of a sweep CSV: the best accuracy over its finished runs (null when none
// finished). Columns are found by their header names (CSVs from before the state_bytes column read the same).
json sweep_cells(const fs::path& csv) {
  std::ifstream f(csv);
  require<InputError>(f.good(), "--sweep ", csv.string(), " cannot be read");
  std::string line;
  require<InputError>(static_cast<bool>(std::getline(f, line)), "--sweep ", csv.string(), " is empty");
  const auto split = [](const std::string& l) {
    std::vector<std::string> out(1);
    for (char c : l)
      if (c == ',')
        out.emplace_back();
      else
        out.back().push_back(c);
    return out;
  };
  const auto head = split(line);
  const auto col = [&](const char* name) {
    const auto it = std::find(head.begin(), head.end(), name);
    require<InputError>(it != head.end(), "--sweep ", csv.string(), ": no column '", name,
                        "' in its header (a CSV of `menagerie sweep` was expected)");
    return static_cast<std::size_t>(it - head.begin());
  };
  const std::size_t data = col("data"), mixer = col("mixer"), dim = col("d_model"), acc = col("accuracy");
  json cells = json::object();
  for (int n = 2; std::getline(f, line); ++n) {
    if (line.empty()) continue;
    const auto v = split(line);
    require<InputError>(v.size() == head.size(), "--sweep ", csv.string(), " line ", n, ": ", v.size(),
                        " fields, expected ", head.size());
    const std::string key = cat(v[data], " / ", v[mixer], " / d", v[dim]);
    if (!cells.contains(key)) cells[key] = nullptr;
    if (v[acc].empty()) continue;
    double a = 0;
    try {
      a = std::stod(v[acc]);
    } catch (const std::exception&) {
      throw InputError(cat("--sweep ", csv.string(), " line ", n, ": accuracy '", v[acc], "' is not a number"));
    }
    if (cells[key].is_null() || a > cells[key].get<double>()) cells[key] = a;
  }
  require<InputError>(!cells.empty(), "--sweep ", csv.string(), ": no runs in it");
  return cells;
}

fs::path sweep_file(const Options& o) {
  return fs::path(o.dir) / "sweeps" / (fs::path(o.sweep).stem().string() + ".json");
}

// ---- output ----

std::string fmt_count(long long v) { return std::to_string(v); }
std::string fmt(double v, const char* spec = "%.4g") {
  char b[64];
  std::snprintf(b, sizeof b, spec, v);
  return b;
}

void print(const std::vector<Row>& rows, const std::string& title, const std::string& report) {
  std::size_t w = 4;
  for (const auto& r : rows) w = std::max(w, r.name.size());
  std::printf("%s\n%-*s  %14s  %14s  %8s  %-10s  %s\n", title.c_str(), static_cast<int>(w), "case", "baseline", "now",
              "ratio", "verdict", "test");
  for (const auto& r : rows)
    std::printf("%-*s  %14s  %14s  %8s  %-10s  %s\n", static_cast<int>(w), r.name.c_str(), r.base.c_str(),
                r.now.c_str(), r.ratio.c_str(), r.verdict.c_str(), r.test.c_str());
  if (report.empty()) return;
  write_file_atomic(report, [&](std::ostream& f) {
    f << "# " << title << "\n\nGenerated by `menagerie gate`; do not edit by hand.\n\n"
      << to_markdown(host_provenance()) << "\n| case | baseline | now | ratio | verdict | test |\n|---|---|---|---|---|---|\n";
    for (const auto& r : rows)
      f << "| " << r.name << " | " << r.base << " | " << r.now << " | " << r.ratio << " | " << r.verdict << " | "
        << r.test << " |\n";
  });
}

json provenance_json() {
  json p = to_json(host_provenance());
  require<InputError>(p.value("git_sha", "").find("dirty") == std::string::npos,
                      "menagerie baseline update: the build is from a dirty tree (", p.value("git_sha", ""),
                      "); a baseline records committed code: commit, rebuild, rerun");
  return p;
}

int gate_cpu(const Options& o) {
  const fs::path file = fs::path(o.dir) / cpu_class() / "instructions.json";
  if (!have_valgrind()) {
    std::printf("gate: skipped: valgrind is not installed (Debian package valgrind)\n");
    return 77;
  }
  if (!fs::exists(file)) {
    std::printf("gate: skipped: no baseline for this machine class at %s (`menagerie baseline update --cpu` writes "
                "one)\n", file.string().c_str());
    return 77;
  }
  const json base = read_json(file, "baseline");
  const double thr = o.threshold >= 0 ? o.threshold : base.value("threshold", 0.01);
  const auto now = count_instructions();
  std::vector<Row> rows;
  bool fail = false;
  const auto& cases = base.at("cases");
  const std::string test = cat("instruction count, |ratio - 1| <= ", thr);
  for (const auto& [name, n] : now) {
    if (!cases.contains(name)) {
      rows.push_back({name, "-", fmt_count(n), "-", "NEW", "not in the baseline"});
      continue;
    }
    const long long b = cases.at(name).get<long long>();
    const double r = b > 0 ? static_cast<double>(n) / static_cast<double>(b) : 1;
    const char* v = r > 1 + thr ? "SLOWER" : r < 1 - thr ? "FASTER" : "SAME";
    fail = fail || r > 1 + thr;
    rows.push_back({name, fmt_count(b), fmt_count(n), fmt(r, "%.4f"), v, test});
  }
  for (auto it = cases.begin(); it != cases.end(); ++it)
    if (!now.count(it.key())) {
      rows.push_back({it.key(), fmt_count(it->get<long long>()), "-", "-", "GONE", "case no longer exists"}), fail = true;
    }
  print(rows, cat("Instruction-count gate (", cpu_class(), ", baseline git ",
                  base.at("provenance").value("git_sha", "?"), ")"), o.report);
  std::printf("gate: %s\n", fail ? "FAIL (a case is SLOWER or GONE)" : "pass");
  return fail ? 1 : 0;
}

int gate_bench(const Options& o) {
  const json fresh = read_json(o.bench, "--bench");
  const auto now = bench_samples(fresh);
  require<InputError>(!now.empty(), "--bench ", o.bench, ": no benchmark results in it");
  const fs::path file = fs::path(o.dir) / bench_class(fresh) / "bench.json";
  if (!fs::exists(file)) {
    std::printf("gate: skipped: no timing baseline for %s at %s (`menagerie baseline update --bench FILE` writes "
                "one)\n", bench_class(fresh).c_str(), file.string().c_str());
    return 77;
  }
  const json base = read_json(file, "baseline");
  stats::Rule rule;
  rule.threshold = o.threshold >= 0 ? o.threshold : base.value("threshold", 0.05);
  rule.alpha = o.alpha;
  std::vector<Row> rows;
  bool fail = false;
  const auto& cases = base.at("cases");
  for (const auto& [name, samples] : now) {
    if (!cases.contains(name)) {
      rows.push_back({name, "-", fmt(stats::median(samples)), "-", "NEW", "not in the baseline"});
      continue;
    }
    const auto b = cases.at(name).at("samples").get<std::vector<double>>();
    const auto c = stats::compare(b, samples, rule);
    fail = fail || c.verdict == stats::Verdict::slower;
    rows.push_back({name, fmt(c.base_median), fmt(c.now_median), fmt(c.ratio, "%.3f"), stats::verdict_name(c.verdict),
                    cat("U test p = ", fmt(c.p, "%.2g"), " (n = ", b.size(), ", ", samples.size(), "), ",
                        static_cast<int>(rule.level * 100), "% interval [", fmt(c.interval.lo, "%.3f"), ", ",
                        fmt(c.interval.hi, "%.3f"), "]")});
  }
  print(rows, cat("Benchmark gate (", bench_class(fresh), ", median ms; threshold ", rule.threshold, ", alpha ",
                  rule.alpha, ")"), o.report);
  std::printf("gate: %s\n", fail ? "FAIL (a case is SLOWER)" : "pass");
  return fail ? 1 : 0;
}

int gate_verify(const Options& o) {
  const json fresh = read_json(o.verify, "--verify");
  const fs::path file = verify_file(o, fresh);
  if (!fs::exists(file)) {
    std::printf("gate: skipped: no accuracy baseline for this machine class at %s (`menagerie baseline update "
                "--verify FILE` writes one)\n", file.string().c_str());
    return 77;
  }
  const json base = read_json(file, "baseline");
  const double allow = o.threshold >= 0 ? o.threshold : base.value("threshold", 0.5);
  const auto now = verify_rows(fresh), then = verify_rows(base);
  require<InputError>(!now.empty(), "--verify ", o.verify, ": no rows in it");
  std::vector<Row> rows;
  bool fail = false;
  const auto ratio_str = [](const json& r) {
    return r.contains("ratio") && r["ratio"].is_number() ? fmt(r["ratio"].get<double>(), "%.3g") : std::string("-");
  };
  const std::string test = cat("worst error / tolerance, WORSE beyond x", 1 + allow, " + 0.01");
  for (const auto& [key, r] : now) {
    const auto it = then.find(key);
    if (!r.value("pass", false)) {
      rows.push_back({key, it == then.end() ? "-" : ratio_str(it->second), ratio_str(r), "-", "FAIL", "fails now"});
      fail = true;
      continue;
    }
    if (it == then.end()) {
      rows.push_back({key, "-", ratio_str(r), "-", "NEW", "not in the baseline"});
      continue;
    }
    const json& b = it->second;
    if (!r["ratio"].is_number() || !b.contains("ratio") || !b["ratio"].is_number()) {
      rows.push_back({key, "pass", "pass", "-", "SAME", "bitwise check, passes"});
      continue;
    }
    const double x = b["ratio"].get<double>(), y = r["ratio"].get<double>();
    const char* v = y > x * (1 + allow) + 0.01 ? "WORSE" : y < x * (1 - allow) - 0.01 ? "BETTER" : "SAME";
    fail = fail || std::string(v) == "WORSE";
    rows.push_back({key, fmt(x, "%.3g"), fmt(y, "%.3g"), x > 0 ? fmt(y / x, "%.3f") : "-", v, test});
  }
  for (const auto& [key, b] : then)
    if (!now.count(key)) rows.push_back({key, ratio_str(b), "-", "-", "GONE", "check no longer runs"}), fail = true;
  print(rows, cat("Accuracy gate (", verify_class(fresh), ", ", fresh.value("kind", ""), ", baseline git ",
                  base.value("provenance", json::object()).value("git_sha", "?"), ")"), o.report);
  std::printf("gate: %s\n", fail ? "FAIL (a check is WORSE, FAILS or is GONE)" : "pass");
  return fail ? 1 : 0;
}

int gate_sweep(const Options& o) {
  const json now = sweep_cells(o.sweep);
  const fs::path file = sweep_file(o);
  if (!fs::exists(file)) {
    std::printf("gate: skipped: no accuracy baseline for this sweep at %s (`menagerie baseline update --sweep FILE` "
                "writes one)\n", file.string().c_str());
    return 77;
  }
  const json base = read_json(file, "baseline");
  const double allow = o.threshold >= 0 ? o.threshold : base.value("threshold", 0.02);
  const json& then = base.at("cells");
  const auto acc = [](const json& a) { return a.is_number() ? fmt(a.get<double>(), "%.4f") : std::string("-"); };
  const std::string test = cat("best accuracy over learning rates, |now - baseline| <= ", allow);
  std::vector<Row> rows;
  bool fail = false;
  for (auto it = now.begin(); it != now.end(); ++it) {
    const json& a = it.value();
    if (!then.contains(it.key())) {
      rows.push_back({it.key(), "-", acc(a), "-", "NEW", "not in the baseline"});
      continue;
    }
    const json& b = then.at(it.key());
    if (!a.is_number()) {
      rows.push_back({it.key(), acc(b), "-", "-", "UNFINISHED", "no run of the cell finished"});
      fail = true;
      continue;
    }
    const double x = b.is_number() ? b.get<double>() : 0, y = a.get<double>();
    const char* v = y < x - allow ? "DROP" : y > x + allow ? "GAIN" : "SAME";
    fail = fail || std::string(v) == "DROP";
    rows.push_back({it.key(), acc(b), acc(a), fmt(y - x, "%+.4f"), v, test});
  }
  for (auto it = then.begin(); it != then.end(); ++it)
    if (!now.contains(it.key())) rows.push_back({it.key(), acc(it.value()), "-", "-", "GONE", "cell not in the sweep"}), fail = true;
  print(rows, cat("Sweep accuracy gate (", fs::path(o.sweep).filename().string(), ", baseline git ",
                  base.value("provenance", json::object()).value("git_sha", "?"), "; ratio column: now - baseline)"),
        o.report);
  std::printf("gate: %s\n", fail ? "FAIL (a cell DROPped, is UNFINISHED or GONE)" : "pass");
  return fail ? 1 : 0;
}

void update(const Options& o) {
  require<InputError>(o.cpu + !o.bench.empty() + !o.verify.empty() + !o.sweep.empty() == 1,
                      "menagerie baseline update: give exactly one of --cpu, --bench FILE, --verify FILE, --sweep FILE");
  json out = json::object();
  fs::path file;
  if (o.cpu) out["provenance"] = provenance_json();  // before 20 s of counting
  if (o.cpu) {
    require<NotAvailableError>(have_valgrind(), "menagerie baseline update --cpu: valgrind is not installed");
    out["threshold"] = o.threshold >= 0 ? o.threshold : 0.01;
    out["cases"] = count_instructions();
    out["method"] = "callgrind --instr-atstart=no: bench/instr_cases between its start and stop macros";
    file = fs::path(o.dir) / cpu_class() / "instructions.json";
  } else if (!o.sweep.empty()) {
    out["threshold"] = o.threshold >= 0 ? o.threshold : 0.02;
    out["cells"] = sweep_cells(o.sweep);
    out["source"] = fs::path(o.sweep).filename().string();
    file = sweep_file(o);
  } else if (!o.verify.empty()) {
    const json fresh = read_json(o.verify, "--verify");
    file = verify_file(o, fresh);
    out["threshold"] = o.threshold >= 0 ? o.threshold : 0.5;
    out["seed"] = fresh.value("seed", json());
    out["source_provenance"] = fresh.value("provenance", json::object());
    out["rows"] = fresh.at("rows");
  } else {
    const json fresh = read_json(o.bench, "--bench");
    const auto samples = bench_samples(fresh);
    require<InputError>(!samples.empty(), "--bench ", o.bench, ": no benchmark results in it");
    out["threshold"] = o.threshold >= 0 ? o.threshold : 0.05;
    out["source_context"] = fresh.value("context", json::object());
    json cases = json::object();
    for (const auto& [name, s] : samples) {
      auto sorted = s;
      std::sort(sorted.begin(), sorted.end());
      cases[name] = {{"samples", s}, {"median", stats::median(s)}, {"min", sorted.front()}, {"max", sorted.back()}};
    }
    out["cases"] = cases;
    file = fs::path(o.dir) / bench_class(fresh) / "bench.json";
  }
  if (!o.cpu) out["provenance"] = provenance_json();  // after the file is checked: a bad file is named first
  fs::create_directories(file.parent_path());
  write_file_atomic(file, [&](std::ostream& f) { f << out.dump(1) << "\n"; });
  const char* what = out.contains("rows") ? "rows" : out.contains("cells") ? "cells" : "cases";
  std::printf("baseline: wrote %s (%zu %s)\n", file.string().c_str(), out[what].size(),
              std::string(what) == "rows" ? "checks" : what);
}

}  // namespace

void add_gate(CLI::App& app) {
  static Options o;
  auto* gate = app.add_subcommand("gate", "compare fresh measurements with stored baselines; exit 1 on a regression");
  gate->add_flag("--cpu", o.cpu, "count instructions of the CPU cases under callgrind (this project's CI)");
  gate->add_option("--bench", o.bench, "a Google Benchmark JSON with repetitions (kernels_bench, reference_bench)")
      ->check(CLI::ExistingFile);
  gate->add_option("--verify", o.verify, "a JSON of `menagerie verify --cpu --json` or `verify --gpu --report`")
      ->check(CLI::ExistingFile);
  gate->add_option("--sweep", o.sweep, "a `menagerie sweep` CSV: per cell the best accuracy over learning rates")
      ->check(CLI::ExistingFile);
  gate->add_option("--against", o.dir, "baselines directory (default reports/baselines)");
  gate->add_option("--threshold", o.threshold, "relative change that counts (default: the baseline's)")
      ->check(CLI::Range(0.0, 1.0));
  gate->add_option("--alpha", o.alpha, "significance level of the U test (default 0.01)")->check(CLI::Range(1e-6, 0.5));
  gate->add_option("--report", o.report, "also write the table as Markdown to FILE");
  gate->callback([] {
    require<InputError>(o.cpu + !o.bench.empty() + !o.verify.empty() + !o.sweep.empty() == 1,
                        "menagerie gate: give exactly one of --cpu, --bench FILE, --verify FILE, --sweep FILE");
    if (!o.report.empty()) require_output_file("--report", o.report);
    std::fflush(stdout);
    int rc = 0;
    try {
      rc = o.cpu ? gate_cpu(o) : !o.bench.empty() ? gate_bench(o) : !o.sweep.empty() ? gate_sweep(o) : gate_verify(o);
    } catch (const json::exception& e) {  // a field missing or of the wrong type in a file the user named
      throw InputError(cat(o.cpu || !o.sweep.empty() ? "the baseline" : !o.bench.empty() ? o.bench : o.verify, ": ",
                           e.what()));
    }
    std::exit(rc);
  });
  auto* baseline = app.add_subcommand("baseline", "write the baselines `menagerie gate` compares against");
  baseline->require_subcommand(1);
  auto* upd = baseline->add_subcommand("update", "measure now and store the result as the baseline");
  upd->add_flag("--cpu", o.cpu, "instruction counts of the CPU cases (callgrind)");
  upd->add_option("--bench", o.bench, "a Google Benchmark JSON with repetitions")->check(CLI::ExistingFile);
  upd->add_option("--verify", o.verify, "a verify JSON (--cpu --json, or --gpu's verify-gpu.json)")
      ->check(CLI::ExistingFile);
  upd->add_option("--sweep", o.sweep, "a `menagerie sweep` CSV")->check(CLI::ExistingFile);
  upd->add_option("--dir", o.dir, "baselines directory (default reports/baselines)");
  upd->add_option("--threshold", o.threshold, "the threshold stored with the baseline")->check(CLI::Range(0.0, 1.0));
  upd->callback([] {
    require_output_dir("--dir", o.dir);
    try {
      update(o);
    } catch (const json::exception& e) {
      throw InputError(cat(!o.bench.empty() ? o.bench : !o.sweep.empty() ? o.sweep : o.verify, ": ", e.what()));
    }
  });
}

}  // namespace menagerie::cli
