// One benchmark case of an operator's GPU kernels, declared by its contract (gpu_bench_cases()): the problem, the
// variants timed on it (empty: every variant that supports it) and the directions ("fwd", "bwd", "fwdbwd": forward,
// backward after its forward, both in one timed region). bench/kernels_bench.cpp times each, writes the list it
// timed to a cases file that the PyTorch peers read (one grid for both), and runs each once at a tiny size as a
// gpu ctest.
#pragma once
#include <string_view>
#include <utility>
#include <vector>

namespace menagerie {

template <class Problem>
struct GpuBenchCase {
  Problem problem;
  std::vector<std::string_view> variants;
  std::vector<std::string_view> directions = {"fwd", "bwd"};
};

// A problem's benchmark label fields ("B", 8), ...: the contract's bench_fields(p) names what identifies a case.
using BenchFields = std::vector<std::pair<std::string_view, double>>;

}  // namespace menagerie
