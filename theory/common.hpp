// Vocabulary shared by the theory constructions (docs/theory.md §4.5): instance checks, the outcome of a run
// (exact-match count and margins), the size of a construction (width, depth, parameters), the ±1 codes and the
// margin definitions. theory/ may include only core/ and reference/, so the constructions take generated instances
// (token tensors) as arguments; verify/ and the CLI generate them with synthetics/.
//   Instances: inputs, labels [n, N] int64; labels[i, t] = kNoLabel where nothing is asked (synthetics'
//   ignore index), otherwise the token expected at position t.
//   Margins (a query counts as solved iff its margin is > 0):
//     one-hot readout y [V]:  margin = y[target] - max_{i != target} y[i]
//     sign readout y [b]:     margin = min_l y_l * code_l(target)         (code_l in {-1, +1})
//     0/1 readout y [b]:      margin = min_l (1/2 - |y_l - bit_l(target)|)
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "core/tensor.hpp"

namespace menagerie::theory {

inline constexpr std::int64_t kNoLabel = -100;

// The smallest b >= 0 with 2^b >= n (n >= 1).
std::int64_t ceil_log2(std::int64_t n);

// Bit l of x as +1 (set) or -1 (clear): the ±1 code of x.
inline double pm_bit(std::int64_t x, std::int64_t l) { return ((x >> l) & 1) ? 1.0 : -1.0; }
inline double bit01(std::int64_t x, std::int64_t l) { return static_cast<double>((x >> l) & 1); }

// Exact-match count and the smallest measured margin over the queries of a run, beside the margin the
// construction's header guarantees (NaN: no guarantee at these settings).
struct Outcome {
  std::int64_t queries = 0, correct = 0;
  double min_margin = std::numeric_limits<double>::infinity();
  double guaranteed_margin = std::numeric_limits<double>::quiet_NaN();

  void add(double margin) {
    ++queries;
    if (margin > 0) ++correct;
    if (margin < min_margin) min_margin = margin;
  }
  void merge(const Outcome& o);
  double rate() const { return queries ? static_cast<double>(correct) / static_cast<double>(queries) : 0.0; }
  bool exact() const { return queries > 0 && correct == queries; }
};

// Width (channels of the widest layer, or the model dimension), depth (layers) and parameters (nonzero entries of
// the constructed weights; the dense count of the same shapes is given where the bound is stated that way).
struct Dims {
  std::int64_t width = 0, depth = 0, params = 0, dense_params = 0, state = 0;
};

struct Result {
  Outcome outcome;
  Dims dims;
};

// The checks every MQAR-style construction starts with: c >= 4 and even; inputs and labels [n, N] of equal shape
// with n, N >= 1; every token in [0, c); every label kNoLabel or in [0, c). Throws InputError / ShapeError naming
// the construction, the value and what was expected.
void check_instances(const char* who, const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels,
                     std::int64_t c);

// The number of key-value pairs D of a clean MQAR instance (k v k v ... in positions 0 .. 2D-1, keys in
// [1, c/2), values in [c/2, c)), checked on every example: all labelled positions lie at t >= 2D and hold a key.
void check_mqar_context(const char* who, const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels,
                        std::int64_t c, std::int64_t num_kv_pairs);

// The coordinates of a one-hot embedding over the tokens [lo, hi) that can be nonzero in one example: the tokens
// that occur, ascending (never empty: if none occurs, lo stands in with an all-zero coordinate). The attention
// constructions feed the reference operators only these coordinates; the others are zero in every query, key and
// value of the example, so dropping them removes exact zeros from every dot product and leaves outputs that are
// identically zero (scattered back as zeros). This is what keeps c = 8192 one-hot runs within seconds.
struct Present {
  std::int64_t lo = 0;
  std::vector<std::int64_t> tokens;  // compact coordinate -> token
  std::vector<std::int64_t> index;   // token - lo -> compact coordinate, or -1

  Present(const std::vector<std::int64_t>& seq, std::int64_t lo, std::int64_t hi);
  std::int64_t size() const { return static_cast<std::int64_t>(tokens.size()); }
  std::int64_t at(std::int64_t token) const {
    return token >= lo && token - lo < static_cast<std::int64_t>(index.size()) ? index[static_cast<std::size_t>(token - lo)] : -1;
  }
};

// Row i of a [n, N] token tensor.
std::vector<std::int64_t> row(const Tensor<std::int64_t>& x, std::int64_t i);

// Margins as defined above.
double onehot_margin(const double* y, std::int64_t n, std::int64_t target);
double sign_margin(const double* y, std::int64_t bits, std::int64_t target);
double bits01_margin(const double* y, std::int64_t bits, std::int64_t target);

}  // namespace menagerie::theory
