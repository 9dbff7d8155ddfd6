// Instance checks and margins shared by the constructions; see theory/common.hpp.
#include "theory/common.hpp"

#include <algorithm>
#include <cmath>

namespace menagerie::theory {

std::int64_t ceil_log2(std::int64_t n) {
  require(n >= 1, "ceil_log2: n = ", n, " must be >= 1");
  std::int64_t b = 0;
  while ((std::int64_t{1} << b) < n) ++b;
  return b;
}

void Outcome::merge(const Outcome& o) {
  queries += o.queries;
  correct += o.correct;
  min_margin = std::min(min_margin, o.min_margin);
}

void check_instances(const char* who, const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels,
                     std::int64_t c) {
  require(c >= 4 && c % 2 == 0, who, ": vocabulary c = ", c, " must be even and >= 4");
  require<ShapeError>(inputs.rank() == 2 && inputs.size(0) >= 1 && inputs.size(1) >= 1, who, ": inputs ",
                      shape_str(inputs.shape()), ", expected [n, N] with n, N >= 1");
  require<ShapeError>(labels.shape() == inputs.shape(), who, ": labels ", shape_str(labels.shape()),
                      " must have the shape of inputs ", shape_str(inputs.shape()));
  for (std::int64_t i = 0; i < inputs.numel(); ++i) {
    const auto x = inputs.data()[i], y = labels.data()[i];
    require(x >= 0 && x < c, who, ": input token ", x, " at flat index ", i, " is outside [0, c = ", c, ")");
    require(y == kNoLabel || (y >= 0 && y < c), who, ": label ", y, " at flat index ", i,
            " is neither ", kNoLabel, " nor in [0, c = ", c, ")");
  }
}

void check_mqar_context(const char* who, const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels,
                        std::int64_t c, std::int64_t D) {
  check_instances(who, inputs, labels, c);
  const std::int64_t n = inputs.size(0), N = inputs.size(1);
  require(D >= 1 && 2 * D <= N, who, ": num_kv_pairs D = ", D, " must satisfy 1 <= D and 2D <= N = ", N);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < D; ++j) {
      const auto k = inputs(i, 2 * j), v = inputs(i, 2 * j + 1);
      require(k >= 1 && k < c / 2, who, ": example ", i, " position ", 2 * j, " holds ", k,
              ", expected a key in [1, c/2 = ", c / 2, ")");
      require(v >= c / 2 && v < c, who, ": example ", i, " position ", 2 * j + 1, " holds ", v,
              ", expected a value in [c/2 = ", c / 2, ", c = ", c, ")");
    }
    for (std::int64_t t = 0; t < N; ++t)
      if (labels(i, t) != kNoLabel)
        require(t >= 2 * D && inputs(i, t) >= 1 && inputs(i, t) < c / 2, who, ": example ", i, " label at t = ", t,
                " (token ", inputs(i, t), "), expected labels only on keys after the context (t >= 2D = ", 2 * D, ")");
  }
}

Present::Present(const std::vector<std::int64_t>& seq, std::int64_t lo_, std::int64_t hi) : lo(lo_) {
  require(hi > lo, "Present: empty token range [", lo, ", ", hi, ")");
  index.assign(static_cast<std::size_t>(hi - lo), -1);
  for (const auto x : seq)
    if (x >= lo && x < hi) index[static_cast<std::size_t>(x - lo)] = 0;
  for (std::int64_t x = lo; x < hi; ++x)
    if (index[static_cast<std::size_t>(x - lo)] == 0) {
      index[static_cast<std::size_t>(x - lo)] = size();
      tokens.push_back(x);
    }
  if (tokens.empty()) {
    tokens.push_back(lo);
    index[0] = 0;
  }
}

std::vector<std::int64_t> row(const Tensor<std::int64_t>& x, std::int64_t i) {
  return {&x(i, 0), &x(i, 0) + x.size(1)};
}

double onehot_margin(const double* y, std::int64_t n, std::int64_t target) {
  if (target < 0 || target >= n) return -std::numeric_limits<double>::infinity();
  double other = -std::numeric_limits<double>::infinity();
  for (std::int64_t i = 0; i < n; ++i)
    if (i != target) other = std::max(other, y[i]);
  return y[target] - other;
}

double sign_margin(const double* y, std::int64_t bits, std::int64_t target) {
  double m = std::numeric_limits<double>::infinity();
  for (std::int64_t l = 0; l < bits; ++l) m = std::min(m, y[l] * pm_bit(target, l));
  return m;
}

double bits01_margin(const double* y, std::int64_t bits, std::int64_t target) {
  double m = std::numeric_limits<double>::infinity();
  for (std::int64_t l = 0; l < bits; ++l) m = std::min(m, 0.5 - std::abs(y[l] - bit01(target, l)));
  return m;
}

}  // namespace menagerie::theory
