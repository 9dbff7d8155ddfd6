// Contract: token embedding lookup (operator id embedding), PyTorch's nn.Embedding(V, D).
//   ids [B, T] (integers in [0, V)), weight [V, D]  ->  y [B, T, D]
//   y[b,t,:] = weight[ids[b,t], :]
// Backward (dy given): dweight[v,:] = sum over (b,t) with ids[b,t] = v of dy[b,t,:]  (scatter-add; repeated ids add).
// The ids are data, not a differentiable tensor, so they live in the Problem (like the sizes), row-major [B, T].
// Named<T> then holds only real tensors, and the generic suite (which draws every non-output tensor uniformly and
// differentiates by each of them) applies unchanged; an integer id never passes through a float or an Mp.
// The same operator looks up learned absolute positions (ids[b,t] = t, V = max positions).
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/bench_case.hpp"
#include "core/contract.hpp"

namespace menagerie::ops::embedding {

struct Problem {
  std::int64_t B = 1, T = 1, V = 1, D = 1;
  std::vector<std::int64_t> ids;  // [B, T] row-major, each in [0, V)

  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && V >= 1 && D >= 1, "embedding: B, T, V, D = ", B, ", ", T, ", ", V, ", ",
                        D, " must all be >= 1");
    require<ShapeError>(static_cast<std::int64_t>(ids.size()) == B * T, "embedding: ", ids.size(),
                        " token ids given, expected B*T = ", B * T);
    for (std::size_t i = 0; i < ids.size(); ++i)
      require<InputError>(ids[i] >= 0 && ids[i] < V, "embedding: token id ", ids[i], " at position ", i,
                          " is outside [0, V = ", V, ")");
  }
};

inline std::vector<TensorSpec> tensors(const Problem& p) {
  return {{"weight", {p.V, p.D}, "V,D", Role::param}, {"y", {p.B, p.T, p.D}, "B,T,D", Role::output}};
}

// A gather: no FLOPs; reads one weight row per token and writes it (plus the ids, counted as elements).
inline Cost cost(const Problem& p) {
  const double n = static_cast<double>(p.B * p.T);
  return {0.0, n * (2.0 * static_cast<double>(p.D) + 1.0), 2.5};
}

// A problem whose ids repeat with period V (so scatter-add sees repeated ids once B*T > V) in a scrambled order.
inline Problem with_pattern_ids(std::int64_t B, std::int64_t T, std::int64_t V, std::int64_t D) {
  Problem p{.B = B, .T = T, .V = V, .D = D, .ids = {}};
  for (std::int64_t i = 0; i < B * T; ++i) p.ids.push_back((5 * i + 3) % V);
  return p;
}

// A problem shaped like MQAR's filler (random_non_queries = false): id 0 at 7 of every 8 positions, the others
// (5 i + 3) mod V, so one id's segment of the sorted positions is long (it spans many of the GPU backward's chunks).
inline Problem with_filler_ids(std::int64_t B, std::int64_t T, std::int64_t V, std::int64_t D) {
  Problem p{.B = B, .T = T, .V = V, .D = D, .ids = {}};
  for (std::int64_t i = 0; i < B * T; ++i) p.ids.push_back(i % 8 == 5 ? (5 * i + 3) % V : 0);
  return p;
}

struct Contract {
  static constexpr std::string_view id = "embedding";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true};
  // Not benchmarked: the model's glue, not a sequence mixer.
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t, std::int64_t) { return {}; }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {with_pattern_ids(1, 1, 3, 4), with_pattern_ids(2, 7, 11, 5),
                              with_pattern_ids(1, 16, 7, 3), with_pattern_ids(1, 13, 1, 2)};
    if (full) g.insert(g.end(), {with_pattern_ids(2, 97, 31, 16), with_pattern_ids(1, 113, 8192, 7)});
    return g;
  }
  // GPU conformance (harness/kernels.hpp): T = 1, 7, 97, 1000; D = 1, 5, 64, 1000; V = 1, 7, 97, 8192, so that ids
  // repeat heavily (V = 7 at B T = 194) or never (V = 8192); B > 1. V = 1 only at T = 1: with one id the causality
  // check has no other id to move a position to. Two filler problems: id 0 over 3500 of 4000 positions, and over 336
  // of 384 (three whole chunks of 128 sorted positions).
  static std::vector<Problem> gpu_grid(bool full) {
    std::vector<Problem> g = {with_pattern_ids(3, 1, 1, 4),     with_pattern_ids(1, 1, 7, 1),
                              with_pattern_ids(2, 7, 7, 5),     with_pattern_ids(2, 97, 7, 64),
                              with_pattern_ids(2, 97, 8192, 64), with_pattern_ids(1, 1000, 97, 1000),
                              with_pattern_ids(3, 1000, 8192, 5), with_filler_ids(4, 1000, 97, 64),
                              with_filler_ids(3, 128, 7, 5)};
    if (full) g.push_back(with_pattern_ids(64, 256, 8192, 128));
    return g;
  }
  // Not benchmarked yet: the benchmark's small() check problem shrinks B and T, which the ids (sized B T) do not follow.
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() { return {}; }
  static BenchFields bench_fields(const Problem& p) {
    return {{"B", static_cast<double>(p.B)}, {"T", static_cast<double>(p.T)}, {"V", static_cast<double>(p.V)},
            {"D", static_cast<double>(p.D)}};
  }
};

}  // namespace menagerie::ops::embedding
