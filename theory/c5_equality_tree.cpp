// C5: the binary equality tree; see the header for the math.
#include "theory/c5_equality_tree.hpp"

#include <cmath>

#include "core/random.hpp"

namespace menagerie::theory::c5 {

namespace {

void check(const Config& cfg) {
  require(cfg.bits >= 2 && cfg.bits <= 40, "c5: bits b = ", cfg.bits, " must be in [2, 40]");
  require(cfg.tau >= 1, "c5: distance tau = ", cfg.tau, " must be >= 1");
}

}  // namespace

std::int64_t depth(std::int64_t bits) { return ceil_log2(2 * bits); }

std::vector<FormalLayer<double>> layers(const Config& cfg, std::int64_t* out_channel) {
  check(cfg);
  using Block = BlockMap<double>;
  const std::int64_t b = cfg.bits;
  std::vector<FormalLayer<double>> ls;
  FormalLayer<double> l1;
  l1.d = b;
  l1.W.push_back({Block::diagonal, 0, 1, b, 0, 1, b, 1.0});
  std::vector<double> shift(static_cast<std::size_t>(cfg.tau + 1), 0.0);
  shift.back() = 1.0;
  for (std::int64_t j = 0; j < b; ++j) l1.set_filter(j, shift);
  ls.push_back(l1);
  std::vector<std::int64_t> live;
  for (std::int64_t j = 0; j < b; ++j) live.push_back(j);
  bool first = true;  // the layer that also applies (1 + p)/2
  while (live.size() > 1 || first) {
    FormalLayer<double> l;
    l.d = b;
    const double w = first ? 0.5 : 1.0;
    std::vector<std::int64_t> next;
    for (std::size_t m = 0; m + 1 < live.size(); m += 2) {
      const std::int64_t a = live[m], o = live[m + 1];
      l.W.push_back({Block::diagonal, a, 1, 1, o, 1, 1, w});
      if (first) {
        l.gate_bias[o] = {0.5};
        l.conv_bias[o] = {0.5};
      }
      l.set_filter(o, {w});
      next.push_back(o);
    }
    if (live.size() % 2 == 1) {
      const std::int64_t o = live.back();
      l.gate_bias[o] = {1.0};
      if (first) l.conv_bias[o] = {0.5};
      l.set_filter(o, {w});
      next.push_back(o);
    }
    ls.push_back(l);
    live = next;
    first = false;
  }
  if (out_channel) *out_channel = live.front();
  return ls;
}

Tensor<std::int64_t> equality_instances(const Config& cfg, std::int64_t n, std::int64_t N, std::uint64_t seed) {
  check(cfg);
  require(n >= 1 && N > cfg.tau, "c5: n = ", n, ", N = ", N, " must satisfy n >= 1 and N > tau = ", cfg.tau);
  Tensor<std::int64_t> x({n, N}), coin({n, N});
  fill_uniform_int(x.view(), seed, 0, std::int64_t{1} << cfg.bits);
  fill_uniform_int(coin.view(), seed, 1, 2);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t t = cfg.tau; t < N; ++t)
      if (coin(i, t)) x(i, t) = x(i, t - cfg.tau);
  return x;
}

std::vector<double> forward(const Config& cfg, const Tensor<std::int64_t>& tokens, std::int64_t ex) {
  std::int64_t out = 0;
  const auto ls = layers(cfg, &out);
  const std::int64_t N = tokens.size(1), b = cfg.bits;
  Columns<double> u{N, b, {}};
  for (std::int64_t j = 0; j < b; ++j) {
    auto& col = u.col[j];
    col.resize(static_cast<std::size_t>(N));
    for (std::int64_t t = 0; t < N; ++t) col[t] = pm_bit(tokens(ex, t), j);
  }
  const auto z = forward(ls, u);
  const auto* col = z.find(out);
  return col ? *col : std::vector<double>(static_cast<std::size_t>(N), 0.0);
}

Result run(const Config& cfg, const Tensor<std::int64_t>& tokens) {
  check(cfg);
  require<ShapeError>(tokens.rank() == 2 && tokens.size(0) >= 1 && tokens.size(1) > cfg.tau, "c5: tokens ",
                      shape_str(tokens.shape()), ", expected [n, N] with n >= 1 and N > tau = ", cfg.tau);
  for (std::int64_t i = 0; i < tokens.numel(); ++i)
    require(tokens.data()[i] >= 0 && tokens.data()[i] < (std::int64_t{1} << cfg.bits), "c5: token ",
            tokens.data()[i], " at flat index ", i, " is outside [0, 2^b = ", std::int64_t{1} << cfg.bits, ")");
  const std::int64_t n = tokens.size(0), N = tokens.size(1);
  Result res;
  res.outcome.guaranteed_margin = 0.5;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto y = forward(cfg, tokens, i);
    for (std::int64_t t = cfg.tau; t < N; ++t) {
      const double target = tokens(i, t) == tokens(i, t - cfg.tau) ? 1.0 : 0.0;
      res.outcome.add(0.5 - std::abs(y[static_cast<std::size_t>(t)] - target));
    }
  }
  const auto ls = layers(cfg);
  res.dims.width = cfg.bits;
  res.dims.depth = static_cast<std::int64_t>(ls.size());
  for (const auto& l : ls) res.dims.params += l.nonzero_params();
  res.dims.dense_params = formal_dense_params(res.dims.depth, N, cfg.bits);
  return res;
}

}  // namespace menagerie::theory::c5
