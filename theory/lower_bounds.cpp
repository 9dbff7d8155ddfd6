// The degree check and the capacity experiment; see theory/lower_bounds.hpp for the math.
#include "theory/lower_bounds.hpp"

#include <algorithm>
#include <cmath>

#include "core/random.hpp"
#include "reference/linear_attention.hpp"
#include "reference/mp.hpp"
#include "theory/base_conv_formal.hpp"

namespace menagerie::theory {

namespace {

std::vector<Mp> uniform_mp(std::int64_t n, std::uint64_t seed, std::uint64_t stream) {
  Tensor<double> x({n});
  fill_uniform(x.view(), seed, stream, -1.0, 1.0);
  return {x.data(), x.data() + n};
}

}  // namespace

DegreeCheck degree_along_ray(std::int64_t L, std::int64_t N, std::int64_t d, std::uint64_t seed) {
  require(L >= 1 && L <= 4 && N >= 1 && d >= 1, "degree_along_ray: layers = ", L, ", N = ", N, ", d = ", d,
          ", expected 1 <= layers <= 4 and N, d >= 1");
  std::uint64_t stream = 0;
  std::vector<FormalLayer<Mp>> stack;
  for (std::int64_t l = 0; l < L; ++l) {
    FormalLayer<Mp> layer;
    layer.d = d;
    const auto w = uniform_mp(d * d, seed, stream++);
    for (std::int64_t i = 0; i < d; ++i)
      for (std::int64_t o = 0; o < d; ++o)
        layer.W.push_back({BlockMap<Mp>::diagonal, i, 1, 1, o, 1, 1, w[static_cast<std::size_t>(i * d + o)]});
    for (std::int64_t ch = 0; ch < d; ++ch) {
      layer.gate_bias[ch] = uniform_mp(N, seed, stream++);
      layer.conv_bias[ch] = uniform_mp(N, seed, stream++);
      layer.set_filter(ch, uniform_mp(N, seed, stream++));
    }
    stack.push_back(std::move(layer));
  }
  const auto u = uniform_mp(N * d, seed, stream++);
  const std::int64_t degree = std::int64_t{1} << L, K = degree + 1;
  std::vector<Tensor<Mp>> f;  // f(λ) [N, d] for λ = 0..K
  Mp scale = 0;
  for (std::int64_t lam = 0; lam <= K; ++lam) {
    Columns<Mp> x{N, d, {}};
    for (std::int64_t ch = 0; ch < d; ++ch) {
      auto& col = x.col[ch];
      for (std::int64_t t = 0; t < N; ++t) col.push_back(Mp(lam) * u[static_cast<std::size_t>(t * d + ch)]);
    }
    f.push_back(to_dense(forward(stack, x)));
    for (const auto& v : f.back().flat()) scale = std::max(scale, Mp(abs(v)));
  }
  const auto difference = [&](std::int64_t k, std::int64_t e) {
    Mp acc = 0, binom = 1;  // C(k, i)
    for (std::int64_t i = 0; i <= k; ++i) {
      acc += ((k - i) % 2 ? -binom : binom) * f[static_cast<std::size_t>(i)].data()[e];
      binom = binom * Mp(k - i) / Mp(i + 1);
    }
    return Mp(abs(acc));
  };
  DegreeCheck r{L, degree, 0, 0};
  Mp top = 0, next = 0;
  for (std::int64_t e = 0; e < N * d; ++e) {
    top = std::max(top, difference(degree, e));
    next = std::max(next, difference(degree + 1, e));
  }
  r.rel_at_degree = static_cast<double>(top / scale);
  r.rel_above_degree = static_cast<double>(next / scale);
  return r;
}

CapacityPoint capacity_point(std::int64_t c, std::int64_t D, std::int64_t m, const Tensor<std::int64_t>& inputs,
                             const Tensor<std::int64_t>& labels, std::uint64_t seed) {
  check_mqar_context("capacity", inputs, labels, c, D);
  require(m >= 1, "capacity: key dimension m = ", m, " must be >= 1");
  const std::int64_t n = inputs.size(0), N = inputs.size(1), ck = c / 2, b = ceil_log2(ck);
  CapacityPoint pt{m, D, 32 * m * b, D * b, {}};
  const auto code = [&](std::int64_t x) {
    Tensor<std::int64_t> bits({m});
    fill_uniform_int(bits.view(), seed, 0, 2, static_cast<std::uint64_t>(x) * static_cast<std::uint64_t>(m));
    std::vector<double> v(static_cast<std::size_t>(m));
    for (std::int64_t j = 0; j < m; ++j) v[j] = (bits(j) ? 1.0 : -1.0) / std::sqrt(static_cast<double>(m));
    return v;
  };
  const auto shift = previous_token_layer<double>(m);
  for (std::int64_t i = 0; i < n; ++i) {
    Columns<double> u{N, 2 * m, {}};
    for (std::int64_t ch = 0; ch < 2 * m; ++ch) u.col[ch].assign(static_cast<std::size_t>(N), 0.0);
    for (std::int64_t t = 0; t < N; ++t) {
      const auto v = code(inputs(i, t));
      for (std::int64_t j = 0; j < m; ++j) u.col[j][t] = u.col[m + j][t] = v[static_cast<std::size_t>(j)];
    }
    const auto h = to_dense(forward(shift, u));
    Named<float> in;
    in.emplace("q", Tensor<float>({1, N, 1, m}, 0.0f));
    in.emplace("k", Tensor<float>({1, N, 1, m}, 0.0f));
    in.emplace("v", Tensor<float>({1, N, 1, b}, 0.0f));
    for (std::int64_t t = 0; t < N; ++t) {
      for (std::int64_t j = 0; j < m; ++j) {
        in.at("q")(0, t, 0, j) = static_cast<float>(h(t, j));
        in.at("k")(0, t, 0, j) = static_cast<float>(h(t, m + j));
      }
      if (inputs(i, t) >= ck)
        for (std::int64_t l = 0; l < b; ++l) in.at("v")(0, t, 0, l) = static_cast<float>(pm_bit(inputs(i, t) - ck, l));
    }
    Named<float> out;
    out.emplace("o", Tensor<float>({1, N, 1, b}, 0.0f));
    const ops::linear_attention::Problem p{1, N, 1, m, b, ops::linear_attention::FeatureMap::identity, false, 0};
    ops::linear_attention::reference_forward_recurrent(p, in, out);
    std::vector<double> y(static_cast<std::size_t>(b));
    for (std::int64_t t = 0; t < N; ++t) {
      if (labels(i, t) == kNoLabel) continue;
      for (std::int64_t l = 0; l < b; ++l) y[static_cast<std::size_t>(l)] = out.at("o")(0, t, 0, l);
      pt.outcome.add(sign_margin(y.data(), b, labels(i, t) - ck));
    }
  }
  return pt;
}

}  // namespace menagerie::theory
