// The layering rule of docs/architecture.md, checked on #include lines.
//   core -> (std, nlohmann/json) only          reference -> core, Eigen, Boost
//   optimized -> core, CUDA                    synthetics -> core          theory -> core, reference
//   train -> core, reference, optimized, synthetics
//   bench, verify, cli -> any library folder; nothing includes bench, verify or cli (each only itself).
// Project includes are quoted and rooted at the repository root ("core/tensor.hpp").
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace menagerie::layering {

struct Violation {
  std::string file;  // path relative to the root
  int line = 0;
  std::string include;
  std::string why;
};

// Violations in one file, given its path relative to the repository root and its text.
std::vector<Violation> check_file(const std::filesystem::path& rel, std::string_view text);

// Violations in every .hpp/.cpp/.cu/.cuh file under the layered folders of root.
std::vector<Violation> check_tree(const std::filesystem::path& root);

}  // namespace menagerie::layering
