// C7 — set disjointness (SD): JRT Prop G.18 (linear attention + MLP with an IP kernel) and JRT Algorithm 3 (the
// recurrent state function of Thm G.15 on JRT prompts); docs/theory.md §4.4, §4.5-C7.
//
// Instances: the JRT disjoint_sets layout [1] A [2] B [3] (inputs [n, |A| + |B| + 3]; the label at the last
// position is the one common element t). Special tokens 1 (prefix), 2 (separator), 3 (answer); elements in [4, c).
//
// Prop G.18. Q = K = φ(x) (f features per token), V = 1 on the rows of A (placed first) and 0 elsewhere; the
// reference linear_attention (identity map on the features, no normalisation, causal) gives for a row b of B
//   z = sum_{a in A} <φ(b), φ(a)>,   then the MLP  ReLU(z - 1/3)  (W1 = 1, B1 = -1/3, W2 = 1, B2 = 0).
// With an IP kernel of tolerance ε (<φ(x), φ(x)> = 1, |<φ(x), φ(y)>| <= ε for x != y) and ε <= 1/(3|A|):
// b in A gives z >= 1 - (|A| - 1)ε > 1/3, b not in A gives z <= |A|ε <= 1/3. Margin of an example:
//   min over b in B of (z - 1/3)·(+1 if b in A else -1);   guaranteed >= 1/3 - |A|ε (ε measured on the example).
// Kernels: data_dependent: φ(a) = [e_a, 0] for a in A, φ(x) = [0, bits(x)] otherwise, f = |A| + ceil(log2 c),
//          ε = 0 on every (b, a) pair, margin 1/3;
//          random: φ(x) = ±1/sqrt(f) per token (Philox stream, element x·f + j), f = ceil(30 |A|^2 ln c), which
//          gives ε <= 1/(3|A|) with high probability (measured; the condition is sufficient, not necessary).
// State of the recurrent form: f numbers (sum_{a} φ(a) v_a), i.e. O(d f).
// An example counts as solved when every b in B is classified right (so the reported element is t).
//
// Algorithm 3 (streaming over the JRT prompt A s B A s B, s = 2, of length 2M with M = |A| + |B| + 1):
//   if the first separator comes at index <= floor(M/2) (A is the smaller set), store A's second copy (indices
//   M .. M + |A| - 1), then mark the elements of B's second copy that are stored; otherwise store B's first copy
//   (indices |A| + 1 .. M - 1: i < M, the correction of the pseudo-code's i <= M, which would also store A's first
//   element of the second copy) and mark A's second-copy elements (before the second separator) that are stored.
//   The output is the marked set; solved iff it is {t}. |state| <= min(|A|, |B|) + 1 (the +1 when |A| = |B| + 1).
// Preconditions (checked): c >= 8 even; each example [1] A [2] B [3] with |A|, |B| >= 1, elements in [4, c), no
// repeats within A or within B, the label t at the last position in both sets; random kernel: f >= 1.
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"
#include "theory/common.hpp"

namespace menagerie::theory::c7 {

enum class Kernel { data_dependent, random };

struct Config {
  std::int64_t c = 2048;
  Kernel kernel = Kernel::data_dependent;
  std::uint64_t seed = 0;  // random kernel
  std::int64_t f = 0;      // random kernel features; 0 = ceil(30 |A|^2 ln c)
};

struct Sets {
  std::vector<std::int64_t> A, B;
  std::int64_t common = -1;  // the label
};

// Parses and checks example i.
Sets parse(const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels, std::int64_t c, std::int64_t i);

struct G18Result {
  Result result;
  double max_eps = 0;  // largest |<φ(b), φ(a)>| over b != a measured
  std::int64_t f = 0;  // features
};
// z (before the MLP) at every row of B, for one example.
std::vector<double> g18_scores(const Config& cfg, const Sets& s, double* eps = nullptr);
G18Result run_g18(const Config& cfg, const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels);

struct Alg3Result {
  Result result;
  std::int64_t max_state = 0;       // largest stored set
  std::int64_t max_state_bound = 0; // largest min(|A|, |B|) + [|A| = |B| + 1]
};
// The marked set for one example; *state = the stored set's size. inclusive_bound = the pseudo-code's i <= M.
std::vector<std::int64_t> algorithm3(const Sets& s, bool inclusive_bound, std::int64_t* state = nullptr);
Alg3Result run_algorithm3(std::int64_t c, const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels,
                          bool inclusive_bound = false);

}  // namespace menagerie::theory::c7
