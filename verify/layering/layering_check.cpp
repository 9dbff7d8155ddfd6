#include "verify/layering/layering_check.hpp"

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace menagerie::layering {
namespace {

namespace fs = std::filesystem;

// Project folders each folder may include (itself included).
const std::map<std::string, std::set<std::string>>& allowed_folders() {
  static const std::map<std::string, std::set<std::string>> m = {
      {"core", {"core"}},
      {"reference", {"core", "reference"}},
      {"optimized", {"core", "optimized"}},
      {"harness", {"core", "reference", "optimized", "harness"}},
      {"synthetics", {"core", "synthetics"}},
      {"theory", {"core", "reference", "theory"}},
      {"train", {"core", "reference", "optimized", "synthetics", "train"}},
      {"bench", {"core", "reference", "optimized", "harness", "synthetics", "theory", "train", "bench"}},
      {"verify", {"core", "reference", "optimized", "harness", "synthetics", "theory", "train", "verify"}},
      {"cli", {"core", "reference", "optimized", "harness", "synthetics", "theory", "train", "cli"}},
  };
  return m;
}

// Third-party header families and the folders that may include them directly.
struct Family {
  std::regex pattern;
  std::set<std::string> folders;
  const char* name;
};
const std::vector<Family>& families() {
  static const std::vector<Family> f = {
      {std::regex(R"(^(Eigen|unsupported/Eigen)(/|$))"), {"reference", "verify", "bench"}, "Eigen"},
      {std::regex(R"(^boost/)"), {"reference"}, "Boost (Mp lives in reference/ only)"},
      {std::regex(R"(^(cuda|cuComplex|cublas|cufft|curand|cusparse|cusolver|nvrtc|mma|cooperative_groups|cub/|thrust/|vector_types))"),
       {"optimized", "verify", "bench"}, "CUDA"},
      {std::regex(R"(^(gtest|gmock|rapidcheck)(/|\.h))"), {"verify"}, "test frameworks"},
      {std::regex(R"(^benchmark/)"), {"bench"}, "Google Benchmark"},
      {std::regex(R"(^valgrind/)"), {"bench"}, "valgrind's client requests (bench/instr_cases)"},
      {std::regex(R"(^CLI/)"), {"cli"}, "CLI11"},
      {std::regex(R"(^fmt/)"), {"train", "bench", "verify", "cli"}, "fmt"},
      {std::regex(R"(^nlohmann/)"), {"core", "reference", "synthetics", "theory", "train", "bench", "verify", "cli"},
       "nlohmann-json"},
  };
  return f;
}

bool is_std_header(const std::string& h) { return h.find('/') == std::string::npos && h.find('.') == std::string::npos; }
bool is_libc_header(const std::string& h) {
  static const std::set<std::string> c = {"unistd.h", "fcntl.h", "sys/stat.h", "sys/types.h", "sys/mman.h",
                                          "sys/wait.h", "signal.h", "sys/file.h", "spawn.h", "poll.h", "fnmatch.h"};
  return c.count(h) > 0;
}

}  // namespace

std::vector<Violation> check_file(const fs::path& rel, std::string_view text) {
  std::vector<Violation> out;
  const std::string folder = rel.begin() == rel.end() ? "" : rel.begin()->string();
  const auto& folders = allowed_folders();
  const auto self = folders.find(folder);
  if (self == folders.end()) return out;
  static const std::regex inc(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
  std::istringstream is{std::string(text)};
  std::string line;
  int n = 0;
  while (std::getline(is, line)) {
    ++n;
    std::smatch m;
    if (!std::regex_search(line, m, inc)) continue;
    const bool quoted = m[1] == "\"";
    const std::string h = m[2];
    auto bad = [&](std::string why) { out.push_back({rel.generic_string(), n, h, std::move(why)}); };
    if (quoted) {
      const auto slash = h.find('/');
      const std::string top = slash == std::string::npos ? "" : h.substr(0, slash);
      if (!folders.count(top)) {
        bad("project includes are rooted at the repository root, e.g. \"core/tensor.hpp\"");
      } else if (!self->second.count(top)) {
        bad(folder + "/ may not depend on " + top + "/");
      }
      continue;
    }
    if (is_std_header(h) || is_libc_header(h)) continue;
    bool known = false;
    for (const auto& f : families()) {
      if (!std::regex_search(h, f.pattern)) continue;
      known = true;
      if (!f.folders.count(folder)) bad(folder + "/ may not include " + f.name + " headers");
      break;
    }
    if (!known) bad("third-party header not in the layering table (verify/layering/layering_check.cpp)");
  }
  return out;
}

std::vector<Violation> check_tree(const fs::path& root) {
  std::vector<Violation> out;
  for (const auto& [folder, _] : allowed_folders()) {
    if (!fs::is_directory(root / folder)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root / folder)) {
      const auto ext = e.path().extension();
      if (!e.is_regular_file() || (ext != ".hpp" && ext != ".cpp" && ext != ".cu" && ext != ".cuh")) continue;
      std::ifstream f(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      auto v = check_file(fs::relative(e.path(), root), ss.str());
      out.insert(out.end(), v.begin(), v.end());
    }
  }
  return out;
}

}  // namespace menagerie::layering
