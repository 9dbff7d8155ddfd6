// What `menagerie report` (cli/report.cpp) reads: ctest logs, a `menagerie verify --cpu` log, theory.md's
// statements that were not checked, and the provenance of every other report in the reports folder, judged
// against the code that writes this report:
//   this run   the file was written after --since (the start of `./menagerie report`)
//   current    written earlier from the same commit as this code (and from committed code)
//   stale      written from another commit: its numbers may not describe this code
//   uncommitted written from code that differed from its commit (-dirty): no commit reproduces it
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace menagerie::cli {

struct CtestSummary {
  std::string log, label;
  int total = 0, failed = 0, skipped = 0;
  std::string time;
  std::vector<std::string> failures;
};
// Throws InputError when the file cannot be read, FormatError when it holds no ctest summary line.
CtestSummary summarize_ctest_log(const std::string& path);

// The per-id PASS/FAIL lines of a `menagerie verify --cpu` log: {id, pass}; empty when none.
struct VerifyLine {
  std::string id;
  bool pass = false;
};
std::vector<VerifyLine> read_verify_log(const std::string& path);

// The rows of theory.md's statement table whose result says "not checked" or "not implemented": {statement, why}.
std::vector<std::pair<std::string, std::string>> unchecked_statements(const std::string& theory_md);

struct ReportFile {
  std::string name, title;
  std::string sha;       // "394d3eb3f451" (without -dirty), empty when the file names none
  bool dirty = false;    // produced by code with uncommitted changes
  std::string date;      // as the file gives it
  std::string gpu;       // its "GPU:" line, empty when none
  bool this_run = false; // written after --since
  bool quick = false;    // theory.md made with --quick
};
// Every *.md in dir except `skip` (the report being written), sorted by name.
std::vector<ReportFile> scan_reports(const std::string& dir, const std::string& skip,
                                     std::optional<std::int64_t> since_epoch);

// "this run", "current", "stale (git X; this code is Y)" or "uncommitted code (git X-dirty)".
std::string status_of(const ReportFile& f, const std::string& code_sha);

}  // namespace menagerie::cli
