// C3: two formal BaseConv layers as exact linear attention, channel-structured; see the header for the math.
#include "theory/c3_baseconv_linear_attention.hpp"

namespace menagerie::theory::c3 {

std::int64_t value_bits(std::int64_t c) { return ceil_log2(c / 2); }
std::int64_t width(std::int64_t c) { return (c / 2) * value_bits(c) + c / 2 + value_bits(c); }

std::vector<FormalLayer<double>> layers(std::int64_t c, std::int64_t N) {
  require(c >= 4 && c % 2 == 0, "c3: vocabulary c = ", c, " must be even and >= 4");
  require(N >= 2, "c3: sequence length N = ", N, " must be >= 2");
  const std::int64_t ck = c / 2, b = value_bits(c), q0 = ck * b, v0 = ck * (b + 1), d = width(c);
  using Block = BlockMap<double>;
  const std::vector<double> ones(static_cast<std::size_t>(N), 1.0);
  FormalLayer<double> l1, l2;
  l1.d = l2.d = d;
  for (std::int64_t l = 0; l < b; ++l)  // gate of every (j, l) = V_l
    l1.W.push_back({Block::all_ones, v0 + l, 1, 1, l, b, ck, 1.0});
  for (std::int64_t j = 0; j < ck; ++j) {
    for (std::int64_t l = 0; l < b; ++l) l1.set_filter(j * b + l, {0.0, 1.0});
    l1.gate_bias[q0 + j] = {1.0};
    l1.set_filter(q0 + j, {1.0});
    l2.W.push_back({Block::all_ones, q0 + j, 1, 1, j * b, 1, b, 1.0});  // gate of (j, l) = Q_j
    for (std::int64_t l = 0; l < b; ++l) l2.set_filter(j * b + l, ones);
  }
  return {l1, l2};
}

Tensor<double> forward(const Config& cfg, const Tensor<std::int64_t>& inputs, std::int64_t ex) {
  const std::int64_t c = cfg.c, N = inputs.size(1), ck = c / 2, b = value_bits(c), q0 = ck * b, v0 = ck * (b + 1);
  Columns<double> u{N, width(c), {}};
  const auto put = [&](std::int64_t ch, std::int64_t t, double x) {
    auto& col = u.col[ch];
    if (col.empty()) col.assign(static_cast<std::size_t>(N), 0.0);
    col[t] = x;
  };
  for (std::int64_t t = 0; t < N; ++t) {
    const std::int64_t x = inputs(ex, t);
    if (x >= 1 && x < ck) {
      for (std::int64_t l = 0; l < b; ++l) put(x * b + l, t, 1.0);
      put(q0 + x, t, 1.0);
    } else if (x >= ck) {
      for (std::int64_t l = 0; l < b; ++l)
        if (bit01(x - ck, l) != 0) put(v0 + l, t, 1.0);
    }
  }
  const auto z = forward(layers(c, N), u);
  Tensor<double> y({N, b}, 0.0);
  for (const auto& [ch, col] : z.col) {
    if (ch >= q0) continue;  // the readout sums the A block over j
    for (std::int64_t t = 0; t < N; ++t) y(t, ch % b) += col[t];
  }
  return y;
}

Result run(const Config& cfg, const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels) {
  check_mqar_context("c3", inputs, labels, cfg.c, cfg.num_kv_pairs);
  const std::int64_t n = inputs.size(0), N = inputs.size(1), ck = cfg.c / 2, b = value_bits(cfg.c);
  Result res;
  res.outcome.guaranteed_margin = 0.5;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto y = forward(cfg, inputs, i);
    for (std::int64_t t = 0; t < N; ++t)
      if (labels(i, t) != kNoLabel) res.outcome.add(bits01_margin(&y(t, 0), b, labels(i, t) - ck));
  }
  const auto ls = layers(cfg.c, N);
  res.dims = {width(cfg.c), 2, ls[0].nonzero_params() + ls[1].nonzero_params(),
              formal_dense_params(2, N, width(cfg.c)), 0};
  return res;
}

}  // namespace menagerie::theory::c3
