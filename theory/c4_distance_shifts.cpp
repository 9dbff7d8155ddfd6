// C4: per-distance shift groups, evaluated group by group; see the header for the math.
#include "theory/c4_distance_shifts.hpp"

#include <algorithm>

namespace menagerie::theory::c4 {

namespace {

std::vector<double> delta(std::int64_t tau) {
  std::vector<double> k(static_cast<std::size_t>(tau + 1), 0.0);
  k.back() = 1.0;
  return k;
}

}  // namespace

std::vector<FormalLayer<double>> group_layers(std::int64_t c, std::int64_t tau) {
  require(c >= 4 && c % 2 == 0, "c4: vocabulary c = ", c, " must be even and >= 4");
  require(tau >= 1, "c4: distance tau = ", tau, " must be >= 1");
  using Block = BlockMap<double>;
  FormalLayer<double> l1, l2;
  l1.d = l2.d = 2 * c;
  l1.W.push_back({Block::diagonal, 0, 1, c, 0, 1, c, 1.0});
  for (std::int64_t i = 0; i < c; ++i) {
    l1.set_filter(i, delta(tau));
    l1.gate_bias[c + i] = {1.0};
    l1.set_filter(c + i, delta(tau - 1));
    l2.set_filter(c + i, delta(0));
  }
  l2.W.push_back({Block::all_ones, 0, 1, c, c, 1, c, 1.0});
  return {l1, l2};
}

std::vector<std::int64_t> distances(const Config& cfg, const Tensor<std::int64_t>& inputs,
                                    const Tensor<std::int64_t>& labels, std::int64_t ex) {
  const std::int64_t N = inputs.size(1);
  std::vector<std::int64_t> taus;
  if (cfg.filters == Filters::data_independent) {
    for (std::int64_t tau = 1; tau < N; ++tau) taus.push_back(tau);
    return taus;
  }
  for (std::int64_t t = 0; t < N; ++t) {
    if (labels(ex, t) == kNoLabel) continue;
    for (std::int64_t p = 0; p < 2 * cfg.num_kv_pairs; p += 2)
      if (inputs(ex, p) == inputs(ex, t)) taus.push_back(t - p);
  }
  std::sort(taus.begin(), taus.end());
  taus.erase(std::unique(taus.begin(), taus.end()), taus.end());
  return taus;
}

Tensor<double> forward(const Config& cfg, const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels,
                       std::int64_t ex) {
  const std::int64_t N = inputs.size(1), c = cfg.c;
  require(N >= 2, "c4: sequence length N = ", N, " must be >= 2");
  Columns<double> u{N, 2 * c, {}};
  for (std::int64_t t = 0; t < N; ++t)
    for (std::int64_t blk = 0; blk < 2; ++blk) {
      auto& col = u.col[blk * c + inputs(ex, t)];
      if (col.empty()) col.assign(static_cast<std::size_t>(N), 0.0);
      col[t] = 1.0;
    }
  Tensor<double> y({N, c}, 0.0);
  for (const auto tau : distances(cfg, inputs, labels, ex)) {
    const auto z = forward(group_layers(c, tau), u);
    for (const auto& [ch, col] : z.col)
      if (ch >= c)
        for (std::int64_t t = 0; t < N; ++t) y(t, ch - c) += col[t];
  }
  return y;
}

Result run(const Config& cfg, const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels) {
  check_mqar_context("c4", inputs, labels, cfg.c, cfg.num_kv_pairs);
  const std::int64_t n = inputs.size(0), N = inputs.size(1), c = cfg.c;
  Result res;
  res.outcome.guaranteed_margin = 1.0;
  res.dims.depth = 2;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto y = forward(cfg, inputs, labels, i);
    for (std::int64_t t = 0; t < N; ++t)
      if (labels(i, t) != kNoLabel) res.outcome.add(onehot_margin(&y(t, c / 2), c / 2, labels(i, t) - c / 2));
    const auto taus = distances(cfg, inputs, labels, i);
    const std::int64_t width = 2 * static_cast<std::int64_t>(taus.size()) * c;
    if (width > res.dims.width) {
      res.dims.width = width;
      res.dims.params = 0;
      for (const auto tau : taus)
        for (const auto& l : group_layers(c, tau)) res.dims.params += l.nonzero_params();
      res.dims.dense_params = formal_dense_params(2, N, width);
    }
  }
  return res;
}

}  // namespace menagerie::theory::c4
