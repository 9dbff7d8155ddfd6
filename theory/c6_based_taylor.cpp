// C6: shift + Taylor linear attention with binary key codes; see the header for the math.
#include "theory/c6_based_taylor.hpp"

#include <cmath>

#include "reference/linear_attention.hpp"
#include "theory/base_conv_formal.hpp"

namespace menagerie::theory::c6 {

std::int64_t feature_dim(std::int64_t c) { return ceil_log2(c); }

Tensor<double> forward(const Config& cfg, const Tensor<std::int64_t>& inputs, std::int64_t ex) {
  const std::int64_t N = inputs.size(1), c = cfg.c, f = feature_dim(c);
  const Present vals(row(inputs, ex), c / 2, c);  // the value one-hots that can be nonzero
  const std::int64_t Dv = vals.size();
  Columns<double> u{N, 2 * f, {}};
  for (std::int64_t ch = 0; ch < 2 * f; ++ch) {
    auto& col = u.col[ch];
    col.resize(static_cast<std::size_t>(N));
    for (std::int64_t t = 0; t < N; ++t) col[t] = pm_bit(inputs(ex, t), ch % f);
  }
  const auto h = to_dense(forward(previous_token_layer<double>(f), u));  // [N, 2f]
  const double alpha = std::pow(static_cast<double>(f), -0.25);
  Named<double> in;
  in.emplace("q", Tensor<double>({1, N, 1, f}, 0.0));
  in.emplace("k", Tensor<double>({1, N, 1, f}, 0.0));
  in.emplace("v", Tensor<double>({1, N, 1, Dv}, 0.0));
  for (std::int64_t t = 0; t < N; ++t) {
    for (std::int64_t e = 0; e < f; ++e) {
      in.at("q")(0, t, 0, e) = alpha * h(t, e);
      in.at("k")(0, t, 0, e) = alpha * h(t, f + e);
    }
    if (vals.at(inputs(ex, t)) >= 0) in.at("v")(0, t, 0, vals.at(inputs(ex, t))) = 1.0;
  }
  Named<double> out;
  out.emplace("o", Tensor<double>({1, N, 1, Dv}, 0.0));
  const ops::linear_attention::Problem p{1, N, 1, f, Dv, ops::linear_attention::FeatureMap::taylor_exp, true, 1e-12};
  ops::linear_attention::reference_forward(p, in, out);
  Tensor<double> y({N, c / 2}, 0.0);
  for (std::int64_t t = 0; t < N; ++t)
    for (std::int64_t e = 0; e < Dv; ++e) y(t, vals.tokens[e] - c / 2) = out.at("o")(0, t, 0, e);
  return y;
}

double guaranteed_margin(std::int64_t c, std::int64_t N) {
  const double f = static_cast<double>(feature_dim(c));
  return (4.0 / f - 2.0 / (f * f)) / (2.5 * static_cast<double>(N));
}

Result run(const Config& cfg, const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels) {
  check_mqar_context("c6", inputs, labels, cfg.c, cfg.num_kv_pairs);
  const std::int64_t n = inputs.size(0), N = inputs.size(1), c = cfg.c, f = feature_dim(c);
  Result res;
  res.outcome.guaranteed_margin = guaranteed_margin(c, N);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto y = forward(cfg, inputs, i);
    for (std::int64_t t = 0; t < N; ++t)
      if (labels(i, t) != kNoLabel) res.outcome.add(onehot_margin(&y(t, 0), c / 2, labels(i, t) - c / 2));
  }
  const std::int64_t features = 1 + f + f * f;
  res.dims.width = 2 * f;
  res.dims.depth = 2;
  res.dims.params = previous_token_layer<double>(f).nonzero_params() + 2 * f + c / 2;
  res.dims.dense_params = formal_dense_params(1, N, 2 * f) + 2 * (2 * f) * f + (2 * f) * (c / 2);
  res.dims.state = features * (c / 2 + 1);
  return res;
}

}  // namespace menagerie::theory::c6
