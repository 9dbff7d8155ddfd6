// Contract: the tied language-model head (operator id lm_head), nn.Linear(D, V, bias=False) whose weight is the
// word embedding W_E [V, D] (Zoology ties lm_head.weight to backbone.embeddings.word_embeddings.weight).
//   h [B, T, D], weight [V, D]  ->  logits [B, T, V]
//   logits[b,t,v] = sum_d h[b,t,d] weight[v,d]                 (h W_E^T, no bias)
// Backward (dlogits given): dh = dlogits W_E;  dweight = sum_{b,t} dlogits[b,t,:]^T h[b,t,:].
// In the model dweight adds to the embedding's gradient (one tensor, two uses).
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/bench_case.hpp"
#include "core/contract.hpp"

namespace menagerie::ops::lm_head {

struct Problem {
  std::int64_t B = 1, T = 1, D = 1, V = 1;

  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && D >= 1 && V >= 1, "lm_head: B, T, D, V = ", B, ", ", T, ", ", D, ", ",
                        V, " must all be >= 1");
  }
};

inline std::vector<TensorSpec> tensors(const Problem& p) {
  return {{"h", {p.B, p.T, p.D}, "B,T,D", Role::input},
          {"weight", {p.V, p.D}, "V,D", Role::param},
          {"logits", {p.B, p.T, p.V}, "B,T,V", Role::output}};
}

// FLOPs: one GEMM, 2 B T D V. HBM: h, weight and logits once.
inline Cost cost(const Problem& p) {
  const double bt = static_cast<double>(p.B * p.T), d = static_cast<double>(p.D), v = static_cast<double>(p.V);
  return {2.0 * bt * d * v, bt * d + v * d + bt * v, 2.5};
}

struct Contract {
  static constexpr std::string_view id = "lm_head";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true};
  // Not benchmarked: the model's glue, not a sequence mixer.
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t, std::int64_t) { return {}; }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .D = 4, .V = 3}, {.B = 2, .T = 7, .D = 5, .V = 11},
                              {.B = 1, .T = 16, .D = 3, .V = 7}, {.B = 1, .T = 13, .D = 6, .V = 1}};
    if (full) g.insert(g.end(), {{.B = 2, .T = 97, .D = 16, .V = 31}, {.B = 1, .T = 113, .D = 7, .V = 257}});
    return g;
  }
  // GPU conformance (harness/kernels.hpp): T = 1, 7, 97, 1000; D = 1, 5, 64, 1000; V = 1, 7, 97, 8192; B > 1.
  static std::vector<Problem> gpu_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .D = 1, .V = 1},      {.B = 3, .T = 1, .D = 5, .V = 7},
                              {.B = 2, .T = 7, .D = 5, .V = 7},      {.B = 1, .T = 7, .D = 1000, .V = 1},
                              {.B = 2, .T = 97, .D = 64, .V = 8192}, {.B = 2, .T = 97, .D = 1000, .V = 97},
                              {.B = 1, .T = 1000, .D = 64, .V = 7},  {.B = 1, .T = 1000, .D = 5, .V = 8192}};
    if (full) g.push_back({.B = 8, .T = 256, .D = 128, .V = 8192});
    return g;
  }
  // Benchmarks (bench/kernels_bench.cpp): Zoology's training shapes (B = 256, T = 64-512, d_model 64-512, the MQAR
  // vocabulary of 8192).
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() {
    std::vector<GpuBenchCase<Problem>> c;
    for (std::int64_t d : {64, 128, 256, 512})
      for (std::int64_t T : {64, 256}) c.push_back({{.B = 256, .T = T, .D = d, .V = 8192}, {}, {"fwd", "bwd"}});
    return c;
  }
  static BenchFields bench_fields(const Problem& p) {
    return {{"B", static_cast<double>(p.B)}, {"T", static_cast<double>(p.T)}, {"D", static_cast<double>(p.D)},
            {"V", static_cast<double>(p.V)}};
  }
};

}  // namespace menagerie::ops::lm_head
