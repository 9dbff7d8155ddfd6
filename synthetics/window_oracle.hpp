// The exact window oracle of MQAR (mqar.hpp's layout): the accuracy of the best predictor whose answer at a query
// position t depends only on the inputs at positions a..t, a = max(0, t - reach) (sliding_attn's window w sees
// s in [t - w, t], core/mixers/sliding_attn.hpp, so one SWA layer alone has reach w; a stack's reach is the sum of
// its layers' reaches: a short conv of K taps adds K - 1). The predictor knows t and the generator (N, D, P, c).
// Layout (P passes, C = 2DP, last pass starting at L = 2D(P-1)): pair i has its key at L + 2i and its value at
// L + 2i + 1 in the last pass; the query of pair j sits at t = C + 2g_j (even) with label V_j. Values are a uniform
// ordered D-subset of the h = c - c/2 value tokens, independent of the keys, the gaps and the random filler.
// Per query, with s = #{i : L + 2i >= a} pairs fully visible (their keys and values distinct, so s values excluded):
//   1. pair j visible (L + 2j >= a; its value at L + 2j + 1 < C <= t is then visible too): the answer is read: 1.
//   2. a odd and a < C: the window begins on the value of pair i' = (a - L - 1)/2, whose key is cut off. Given the
//      window, V_j is V_{i'} with probability q = P(j = i' | window) and otherwise uniform over the h - s - 1 values
//      neither visible nor V_{i'}; answering V_{i'} is optimal as q > (1 - q)/(h - s - 1) (q is about 1/(D - s),
//      the pairs whose keys are unseen, and h - s - 1 >> D - s here; verify/window_oracle_test.cpp checks the
//      argmax by enumeration). Its score on the example is [j == i'].
//   3. otherwise V_j is uniform over the h - s values not visible (values are exchangeable given the visible ones;
//      filler and keys carry no information on them): the best guess scores 1/(h - s) in expectation.
// Cases 1 and 3 are the Bayes accuracy itself; case 2 is the optimal rule's score on this example (its expectation
// over examples is the Bayes accuracy). Even reach never hits case 2 (t is even, so a is even).
// Averaged as the trainer averages (train/evaluate.hpp, per_example): per example over its labelled positions,
// then over the examples of all segments.
#pragma once
#include <cstdint>
#include <vector>

#include "synthetics/mixture.hpp"

namespace menagerie::synthetics {

// One query of one example: inputs `row` [N], the query at t (labels[t] = label). InputError when the row is not
// MQAR's layout for (D, P) (the label is not a value of the last pass whose key is the input at t).
double mqar_window_query(const std::int64_t* row, std::int64_t N, std::int64_t t, std::int64_t label,
                         std::int64_t num_kv_pairs, std::int64_t num_passes, std::int64_t vocab_size,
                         std::int64_t reach);

// Precomputed queries of MQAR test segments: per query (t, key position of its pair in the last pass), so that
// each reach costs O(queries).
class MqarWindowOracle {
 public:
  // The segments must all be task mqar (InputError naming the segment otherwise).
  explicit MqarWindowOracle(const std::vector<Segment>& segments);
  // Mean over examples (with a labelled position) of the per-example mean oracle score at this reach (>= 0).
  double accuracy(std::int64_t reach) const;

 private:
  struct Query {
    std::int64_t t, key_pos;
  };
  struct Example {
    std::int64_t D, P, values, first, count;  // queries [first, first + count)
  };
  std::vector<Query> queries_;
  std::vector<Example> examples_;
};

// The test segments of a data set exactly as the trainer builds them (same seeds as build_dataset), without the
// train segments.
std::vector<Segment> build_test_segments(const DatasetSpec& spec);

}  // namespace menagerie::synthetics
