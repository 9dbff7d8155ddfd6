// C1, Prop 4.3: attention on triplets through the reference attention operators; see the header for the math.
#include "theory/c1_attention_triplets.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "reference/linear_attention.hpp"
#include "reference/softmax_attention.hpp"

namespace menagerie::theory::c1 {

namespace {

void check(const Config& cfg, const Tensor<std::int64_t>& rows) {
  require(cfg.c >= 4 && cfg.c % 2 == 0, "c1: vocabulary c = ", cfg.c, " must be even and >= 4");
  require<ShapeError>(rows.rank() == 3 && rows.size(0) >= 1 && rows.size(1) >= 1 && rows.size(2) == 3,
                      "c1: triplets ", shape_str(rows.shape()), ", expected [n, R, 3] with n, R >= 1");
  for (std::int64_t i = 0; i < rows.numel(); ++i)
    require(rows.data()[i] >= -1 && rows.data()[i] < cfg.c, "c1: triplet slot ", rows.data()[i],
            " at flat index ", i, " is neither -1 (empty) nor a token in [0, c = ", cfg.c, ")");
  if (cfg.code == Code::binary) {
    require(std::isfinite(cfg.beta) && cfg.beta > 0, "c1: beta = ", cfg.beta, " must be finite and > 0");
    require(ceil_log2(cfg.c) >= 2, "c1: binary codes need b = ceil(log2 c) >= 2, c = ", cfg.c);
  }
}

}  // namespace

Triplets mqar_triplets(const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels, std::int64_t c,
                       std::int64_t D) {
  check_mqar_context("c1", inputs, labels, c, D);
  const std::int64_t n = inputs.size(0), N = inputs.size(1);
  std::int64_t Q = 0;
  for (std::int64_t i = 0; i < n; ++i)
    Q = std::max<std::int64_t>(Q, std::count_if(&labels(i, 0), &labels(i, 0) + N, [](auto y) { return y != kNoLabel; }));
  const std::int64_t R = D + Q;
  Triplets t{Tensor<std::int64_t>({n, R, 3}, -1), Tensor<std::int64_t>({n, R}, kNoLabel)};
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < D; ++j) {
      t.rows(i, j, 0) = inputs(i, 2 * j);
      t.rows(i, j, 1) = inputs(i, 2 * j + 1);
    }
    std::int64_t r = D;
    for (std::int64_t s = 0; s < N; ++s)
      if (labels(i, s) != kNoLabel) {
        t.rows(i, r, 2) = inputs(i, s);
        t.targets(i, r++) = labels(i, s);
      }
  }
  return t;
}

Tensor<double> forward(const Config& cfg, const Tensor<std::int64_t>& rows, std::int64_t example) {
  check(cfg, rows);
  const std::int64_t R = rows.size(1), c = cfg.c;
  const bool binary = cfg.code == Code::binary;
  const std::int64_t w = binary ? ceil_log2(c) : c;  // block width
  // Block coordinates of u_i = [e(k_i); e(v_i); e(q_i)]: all b bits, or the one-hot coordinates of the tokens that
  // occur (keys and queries share W_q, W_k's coordinates; common.hpp Present).
  std::vector<std::int64_t> kq, vs;
  for (std::int64_t i = 0; i < R; ++i) {
    kq.push_back(rows(example, i, 0));
    kq.push_back(rows(example, i, 2));
    vs.push_back(rows(example, i, 1));
  }
  const Present pk(kq, 0, c), pv(vs, 0, c);
  const std::int64_t F = binary ? w : pk.size(), Dv = binary ? w : pv.size();
  // Q = u W_q (block 2); K' = u W_k and V' = u W_v (blocks 0, 1) delayed by one row: [1, R, 1, .].
  Named<double> in;
  in.emplace("q", Tensor<double>({1, R, 1, F}, 0.0));
  in.emplace("k", Tensor<double>({1, R, 1, F}, 0.0));
  in.emplace("v", Tensor<double>({1, R, 1, Dv}, 0.0));
  const auto put = [&](const char* name, std::int64_t i, std::int64_t x, const Present& p) {
    if (x < 0 || i >= R) return;
    if (binary)
      for (std::int64_t l = 0; l < w; ++l) in.at(name)(0, i, 0, l) = pm_bit(x, l);
    else
      in.at(name)(0, i, 0, p.at(x)) = 1.0;
  };
  for (std::int64_t i = 0; i < R; ++i) {
    put("q", i, rows(example, i, 2), pk);
    put("k", i + 1, rows(example, i, 0), pk);
    put("v", i + 1, rows(example, i, 1), pv);
  }
  Named<double> out;
  out.emplace("o", Tensor<double>({1, R, 1, Dv}, 0.0));
  if (binary) {
    const ops::softmax_attention::Problem p{1, R, 1, F, Dv, -1, cfg.beta};
    ops::softmax_attention::reference_forward(p, in, out);
  } else {
    const ops::linear_attention::Problem p{1, R, 1, F, Dv, ops::linear_attention::FeatureMap::identity, false, 0};
    ops::linear_attention::reference_forward(p, in, out);
  }
  Tensor<double> y({R, w}, 0.0);
  for (std::int64_t i = 0; i < R; ++i)
    for (std::int64_t e = 0; e < Dv; ++e) y(i, binary ? e : pv.tokens[e]) = out.at("o")(0, i, 0, e);
  return y;
}

double guaranteed_margin(const Config& cfg, std::int64_t R) {
  if (cfg.code == Code::one_hot) return 1.0;
  const double wmin = 1.0 / (1.0 + static_cast<double>(std::max<std::int64_t>(R - 1, 0)) * std::exp(-2.0 * cfg.beta));
  return 2.0 * wmin - 1.0;
}

Result run(const Config& cfg, const Triplets& t) {
  check(cfg, t.rows);
  const std::int64_t n = t.rows.size(0), R = t.rows.size(1);
  require<ShapeError>(t.targets.shape() == Shape{n, R}, "c1: targets ", shape_str(t.targets.shape()), ", expected ",
                      shape_str({n, R}));
  Result res;
  const double g = guaranteed_margin(cfg, R);
  res.outcome.guaranteed_margin = g > 0 ? g : std::numeric_limits<double>::quiet_NaN();  // <= 0: no guarantee
  const bool binary = cfg.code == Code::binary;
  const std::int64_t w = binary ? ceil_log2(cfg.c) : cfg.c;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto y = forward(cfg, t.rows, i);
    for (std::int64_t r = 0; r < R; ++r) {
      const auto target = t.targets(i, r);
      if (target == kNoLabel) continue;
      res.outcome.add(binary ? sign_margin(&y(r, 0), w, target) : onehot_margin(&y(r, 0), w, target));
    }
  }
  res.dims = {3 * w, 1, 3 * w, 9 * w * w, 0};
  return res;
}

}  // namespace menagerie::theory::c1
