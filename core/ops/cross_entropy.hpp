// Contract: mean softmax cross-entropy over the labelled positions (operator id cross_entropy), as
// torch.nn.CrossEntropyLoss(ignore_index=-100) on logits [B*T, V] and labels [B*T].
//   logits [B, T, V], labels [B, T] (in [0, V), or -100 = not labelled)  ->  loss [] (a scalar)
//   Lab = {(b,t) : labels[b,t] != -100},  n = |Lab| >= 1
//   loss = (1/n) sum_{(b,t) in Lab} ( logsumexp_v logits[b,t,v] - logits[b,t,labels[b,t]] )
// Only labelled rows are read: the softmax is never formed where no label exists.
// Backward (dloss given): dlogits[b,t,:] = dloss/n (softmax(logits[b,t,:]) - onehot(labels[b,t])) on Lab, 0 elsewhere.
// Like the ids of the embedding, labels are integer data and live in the Problem (row-major [B, T]), not in Named<T>.
// The loss mixes all positions (a mean), so the causality trait does not apply: traits.causal = false.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/bench_case.hpp"
#include "core/contract.hpp"

namespace menagerie::ops::cross_entropy {

inline constexpr std::int64_t ignore_index = -100;

struct Problem {
  std::int64_t B = 1, T = 1, V = 1;
  std::vector<std::int64_t> labels;  // [B, T] row-major, each in [0, V) or ignore_index

  std::int64_t labelled() const {
    std::int64_t n = 0;
    for (auto l : labels) n += l != ignore_index;
    return n;
  }
  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && V >= 1, "cross_entropy: B, T, V = ", B, ", ", T, ", ", V,
                        " must all be >= 1");
    require<ShapeError>(static_cast<std::int64_t>(labels.size()) == B * T, "cross_entropy: ", labels.size(),
                        " labels given, expected B*T = ", B * T);
    for (std::size_t i = 0; i < labels.size(); ++i)
      require<InputError>(labels[i] == ignore_index || (labels[i] >= 0 && labels[i] < V), "cross_entropy: label ",
                          labels[i], " at position ", i, " is outside [0, V = ", V, ") and is not ", ignore_index);
    require<InputError>(labelled() >= 1, "cross_entropy: no labelled position among ", labels.size(),
                        " (all are ", ignore_index, "); the mean would be 0/0");
  }
};

inline std::vector<TensorSpec> tensors(const Problem& p) {
  return {{"logits", {p.B, p.T, p.V}, "B,T,V", Role::input, -3, 3}, {"loss", {}, "", Role::output}};
}

// FLOPs: about 4 per labelled logit (max, subtract, exp, sum). HBM: the labelled rows of logits, the labels.
inline Cost cost(const Problem& p) {
  const double n = static_cast<double>(p.labelled());
  return {4.0 * n * static_cast<double>(p.V), n * static_cast<double>(p.V) + static_cast<double>(p.B * p.T) + 1.0,
          2.5};
}

// Every `every`-th position labelled (the first one always), with labels cycling through the vocabulary.
inline Problem with_pattern_labels(std::int64_t B, std::int64_t T, std::int64_t V, std::int64_t every) {
  Problem p{.B = B, .T = T, .V = V, .labels = {}};
  for (std::int64_t i = 0; i < B * T; ++i) p.labels.push_back(i % every == 0 ? (7 * i + 1) % V : ignore_index);
  return p;
}

struct Contract {
  static constexpr std::string_view id = "cross_entropy";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = false};
  // Not benchmarked: the model's glue, not a sequence mixer.
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t, std::int64_t) { return {}; }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {with_pattern_labels(1, 1, 3, 1), with_pattern_labels(2, 7, 11, 3),
                              with_pattern_labels(1, 16, 7, 2), with_pattern_labels(1, 13, 1, 1)};
    if (full) g.insert(g.end(), {with_pattern_labels(2, 97, 31, 4), with_pattern_labels(1, 113, 257, 5)});
    return g;
  }
  // GPU conformance (harness/kernels.hpp): T = 1, 7, 97, 1000; V = 1, 7, 97, 8192 (one row longer than a 256-thread
  // block's pass); labelled fractions from one position in 1000 (n = 1) through every 3rd, 4th, 7th to all; B > 1.
  static std::vector<Problem> gpu_grid(bool full) {
    std::vector<Problem> g = {with_pattern_labels(1, 1, 1, 1),      with_pattern_labels(3, 1, 7, 1),
                              with_pattern_labels(2, 7, 7, 3),      with_pattern_labels(2, 97, 1, 5),
                              with_pattern_labels(2, 97, 8192, 4),  with_pattern_labels(1, 1000, 7, 1),
                              with_pattern_labels(1, 1000, 97, 1000), with_pattern_labels(1, 1000, 8192, 7)};
    if (full) g.push_back(with_pattern_labels(8, 256, 8192, 4));
    return g;
  }
  // Not benchmarked yet: the benchmark's small() check problem shrinks B and T, which the labels (sized B T) do not
  // follow.
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() { return {}; }
  static BenchFields bench_fields(const Problem& p) {
    return {{"B", static_cast<double>(p.B)}, {"T", static_cast<double>(p.T)}, {"V", static_cast<double>(p.V)}};
  }
};

}  // namespace menagerie::ops::cross_entropy
