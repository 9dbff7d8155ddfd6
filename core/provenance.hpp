// Provenance stamped on every report and benchmark JSON: what code, built how, ran where and when.
// The host part is filled here (std only); the GPU part by optimized/common (current_provenance()).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace menagerie {

struct Provenance {
  std::string version, git_sha, build_type, compiler;
  std::string date_utc;  // ISO 8601, e.g. 2026-11-23T18:00:00Z
  std::string host, cpu;
  int cpu_cores = 0;
  std::string gpu = "none";        // "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs)" or "none"
  std::string cuda_runtime = "-";  // "13.0" or "-"
  std::string cuda_driver = "-";
};

// Build stamp, date, host name, CPU model and core count; the GPU and CUDA fields say "not queried" (a CPU step).
Provenance host_provenance();

nlohmann::json to_json(const Provenance& p);
// A Markdown block: one "- key: value" line per field, for report headers.
std::string to_markdown(const Provenance& p);

}  // namespace menagerie
