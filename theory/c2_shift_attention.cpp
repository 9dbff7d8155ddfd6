// C2 / C2b: shift (formal BaseConv) then attention (reference operators); see the header for the math.
#include "theory/c2_shift_attention.hpp"

#include <cmath>
#include <limits>

#include "reference/linear_attention.hpp"
#include "reference/softmax_attention.hpp"
#include "theory/base_conv_formal.hpp"

namespace menagerie::theory::c2 {

namespace {

void check(const Config& cfg) {
  if (cfg.variant != Variant::onehot_linear)
    require(std::isfinite(cfg.beta) && cfg.beta > 0, "c2: beta = ", cfg.beta, " must be finite and > 0");
}

// Block width of the embedding e: c/2 key one-hots, or b code bits.
std::int64_t block(const Config& cfg) { return cfg.variant == Variant::binary ? ceil_log2(cfg.c) : cfg.c / 2; }

}  // namespace

Tensor<double> forward(const Config& cfg, const Tensor<std::int64_t>& inputs, std::int64_t ex) {
  check(cfg);
  const std::int64_t N = inputs.size(1), c = cfg.c, m = block(cfg);
  const bool binary = cfg.variant == Variant::binary;
  // Layer-1 input [e(x_t); e(x_t)] and, for one-hot values, a third block of value one-hots that passes through
  // the same layer (gate bias 1, conv δ_0): channels [2m, 2m + c/2).
  const std::int64_t vw = binary ? 0 : c / 2;
  auto layer = previous_token_layer<double>(m);
  layer.d = 2 * m + vw;
  for (std::int64_t ch = 2 * m; ch < 2 * m + vw; ++ch) {
    layer.gate_bias[ch] = {1.0};
    layer.set_filter(ch, {1.0});
  }
  Columns<double> u{N, layer.d, {}};
  const auto put = [&](std::int64_t ch, std::int64_t t, double x) {
    auto& col = u.col[ch];
    if (col.empty()) col.assign(static_cast<std::size_t>(N), 0.0);
    col[t] = x;
  };
  for (std::int64_t t = 0; t < N; ++t) {
    const std::int64_t x = inputs(ex, t);
    if (binary) {
      for (std::int64_t l = 0; l < m; ++l) {
        put(l, t, pm_bit(x, l));
        put(m + l, t, pm_bit(x, l));
      }
    } else if (x < c / 2) {
      put(x, t, 1.0);
      put(m + x, t, 1.0);
    } else {
      put(2 * m + x - c / 2, t, 1.0);
    }
  }
  const auto h = forward(layer, u);  // channels [e(x_t); e(x_{t-1}); value one-hot]
  // One-hot: only the coordinates of tokens that occur (common.hpp Present); binary: all b bits.
  const auto seq = row(inputs, ex);
  const Present keys(seq, 0, binary ? m : c / 2), vals(seq, binary ? 0 : c / 2, binary ? m : c);
  const std::int64_t F = binary ? m : keys.size(), Dv = binary ? m : vals.size();
  Named<double> in;
  in.emplace("q", Tensor<double>({1, N, 1, F}, 0.0));
  in.emplace("k", Tensor<double>({1, N, 1, F}, 0.0));
  in.emplace("v", Tensor<double>({1, N, 1, Dv}, 0.0));
  const auto copy = [&](const char* name, std::int64_t ch, std::int64_t e) {
    if (const auto* col = h.find(ch))
      for (std::int64_t t = 0; t < N; ++t) in.at(name)(0, t, 0, e) = (*col)[t];
  };
  for (std::int64_t e = 0; e < F; ++e) {
    const std::int64_t j = binary ? e : keys.tokens[e];
    copy("q", j, e);      // W_q: block 0
    copy("k", m + j, e);  // W_k: block 1
  }
  for (std::int64_t e = 0; e < Dv; ++e) copy("v", binary ? e : 2 * m + vals.tokens[e] - c / 2, e);  // W_v
  Named<double> out;
  out.emplace("o", Tensor<double>({1, N, 1, Dv}, 0.0));
  if (cfg.variant == Variant::onehot_linear) {
    const ops::linear_attention::Problem p{1, N, 1, F, Dv, ops::linear_attention::FeatureMap::identity, false, 0};
    ops::linear_attention::reference_forward(p, in, out);
  } else {
    const ops::softmax_attention::Problem p{1, N, 1, F, Dv, -1, cfg.beta};
    ops::softmax_attention::reference_forward(p, in, out);
  }
  const std::int64_t width = binary ? m : c / 2;
  Tensor<double> y({N, width}, 0.0);
  for (std::int64_t t = 0; t < N; ++t)
    for (std::int64_t e = 0; e < Dv; ++e) y(t, binary ? e : vals.tokens[e] - c / 2) = out.at("o")(0, t, 0, e);
  return y;
}

double guaranteed_margin(const Config& cfg, std::int64_t N) {
  const double others = static_cast<double>(N - 1);
  switch (cfg.variant) {
    case Variant::onehot_linear: return 1.0;
    case Variant::onehot_softmax: return 2.0 / (1.0 + others * std::exp(-cfg.beta)) - 1.0;
    case Variant::binary: return 2.0 / (1.0 + others * std::exp(-2.0 * cfg.beta)) - 1.0;
  }
  return 0.0;
}

Result run(const Config& cfg, const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels) {
  check_mqar_context("c2", inputs, labels, cfg.c, cfg.num_kv_pairs);
  check(cfg);
  const std::int64_t n = inputs.size(0), N = inputs.size(1), m = block(cfg), c = cfg.c;
  const bool binary = cfg.variant == Variant::binary;
  Result res;
  const double g = guaranteed_margin(cfg, N);
  res.outcome.guaranteed_margin = g > 0 ? g : std::numeric_limits<double>::quiet_NaN();  // <= 0: no guarantee
  for (std::int64_t i = 0; i < n; ++i) {
    const auto y = forward(cfg, inputs, i);
    for (std::int64_t t = 0; t < N; ++t) {
      const auto target = labels(i, t);
      if (target == kNoLabel) continue;
      res.outcome.add(binary ? sign_margin(&y(t, 0), m, target) : onehot_margin(&y(t, 0), c / 2, target - c / 2));
    }
  }
  const std::int64_t width = binary ? 2 * m : 2 * m + c / 2;
  auto layer = previous_token_layer<double>(m);
  res.dims.width = width;
  res.dims.depth = 2;
  res.dims.params = layer.nonzero_params() + (binary ? 3 * m : 2 * m + 3 * c / 2);
  res.dims.dense_params = formal_dense_params(1, N, width) + (binary ? 3 * width * m : 2 * width * m + width * c / 2);
  return res;
}

}  // namespace menagerie::theory::c2
