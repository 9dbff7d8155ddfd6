// The formal BaseConv layer, channel-structured and exact; see theory/base_conv_formal.hpp for the math.
#include "theory/base_conv_formal.hpp"

#include <algorithm>

#include "core/errors.hpp"
#include "reference/long_conv.hpp"
#include "reference/mp.hpp"
#include "reference/short_conv.hpp"

namespace menagerie::theory {

namespace {

template <class T>
void check_layer(const FormalLayer<T>& layer, std::int64_t N) {
  const auto in_range = [&](std::int64_t ch) { return ch >= 0 && ch < layer.d; };
  for (const auto& b : layer.W) {
    require<ShapeError>(b.n_in >= 1 && b.n_out >= 1 && (b.kind != BlockMap<T>::diagonal || b.n_in == b.n_out),
                        "base_conv_formal: block map with n_in = ", b.n_in, ", n_out = ", b.n_out,
                        " (diagonal needs n_in == n_out >= 1)");
    require<ShapeError>(in_range(b.in0) && in_range(b.in0 + (b.n_in - 1) * b.in_stride) && in_range(b.out0) &&
                            in_range(b.out0 + (b.n_out - 1) * b.out_stride),
                        "base_conv_formal: block map channels outside [0, d = ", layer.d, ")");
  }
  for (const auto* m : {&layer.gate_bias, &layer.conv_bias})
    for (const auto& [ch, v] : *m)
      require<ShapeError>(in_range(ch) && (v.size() == 1 || static_cast<std::int64_t>(v.size()) == N),
                          "base_conv_formal: bias of channel ", ch, " has length ", v.size(), ", expected 1 or N = ", N,
                          " (channels in [0, ", layer.d, "))");
  for (const auto& [ch, i] : layer.filter) {
    require<ShapeError>(in_range(ch) && i < layer.taps.size(), "base_conv_formal: filter of channel ", ch,
                        " (channels in [0, ", layer.d, "), filter index ", i, " of ", layer.taps.size(), ")");
    const auto& k = layer.taps[i];
    require<ShapeError>(!k.empty() && static_cast<std::int64_t>(k.size()) <= N, "base_conv_formal: filter of channel ",
                        ch, " has ", k.size(), " taps, expected 1..N = ", N);
  }
}

template <class T>
T bias_at(const std::vector<T>& b, std::int64_t t) {
  return b.size() == 1 ? b[0] : b[static_cast<std::size_t>(t)];
}

// K ∗ u for every channel that has a filter and a present input column, through one reference conv call.
template <class T>
std::map<std::int64_t, std::vector<T>> convolve(const FormalLayer<T>& layer, const Columns<T>& u) {
  std::vector<std::int64_t> chans;
  std::size_t taps = 1;
  for (const auto& [ch, i] : layer.filter)
    if (u.find(ch)) {
      chans.push_back(ch);
      taps = std::max(taps, layer.taps[i].size());
    }
  std::map<std::int64_t, std::vector<T>> out;
  if (chans.empty()) return out;
  const std::int64_t N = u.N, m = static_cast<std::int64_t>(chans.size()), K = static_cast<std::int64_t>(taps);
  Tensor<T> x({1, N, m}, T(0));
  for (std::int64_t j = 0; j < m; ++j) {
    const auto& c = *u.find(chans[j]);
    for (std::int64_t t = 0; t < N; ++t) x(0, t, j) = c[t];
  }
  Tensor<T> y;
  if (2 * K <= N || K == 1) {
    Tensor<T> w({m, 1, K}, T(0)), bias({m}, T(0));
    for (std::int64_t j = 0; j < m; ++j) {
      const auto& k = layer.taps[layer.filter.at(chans[j])];
      for (std::size_t s = 0; s < k.size(); ++s) w(j, 0, K - 1 - static_cast<std::int64_t>(s)) = k[s];
    }
    y = ops::short_conv::conv(x, w, bias);
  } else {
    Tensor<T> h({m, N}, T(0));
    for (std::int64_t j = 0; j < m; ++j) {
      const auto& k = layer.taps[layer.filter.at(chans[j])];
      for (std::size_t s = 0; s < k.size(); ++s) h(j, static_cast<std::int64_t>(s)) = k[s];
    }
    y = ops::long_conv::conv(x, h);
  }
  for (std::int64_t j = 0; j < m; ++j) {
    auto& c = out[chans[j]];
    c.resize(static_cast<std::size_t>(N));
    for (std::int64_t t = 0; t < N; ++t) c[t] = y(0, t, j);
  }
  return out;
}

}  // namespace

template <class T>
void FormalLayer<T>::set_filter(std::int64_t ch, const std::vector<T>& k) {
  auto it = std::find(taps.begin(), taps.end(), k);
  if (it == taps.end()) it = taps.insert(taps.end(), k);
  filter[ch] = static_cast<std::size_t>(it - taps.begin());
}

template <class T>
std::int64_t FormalLayer<T>::nonzero_params() const {
  const auto nz = [](const std::vector<T>& v) {
    return static_cast<std::int64_t>(std::count_if(v.begin(), v.end(), [](const T& x) { return x != T(0); }));
  };
  std::int64_t n = 0;
  for (const auto& b : W) n += b.kind == BlockMap<T>::diagonal ? b.n_in : b.n_in * b.n_out;
  for (const auto* m : {&gate_bias, &conv_bias})
    for (const auto& [ch, v] : *m) n += nz(v);
  for (const auto& [ch, i] : filter) n += nz(taps[i]);
  return n;
}

std::int64_t formal_dense_params(std::int64_t layers, std::int64_t N, std::int64_t d) {
  return layers * (d * d + 3 * N * d);
}

template <class T>
Columns<T> forward(const FormalLayer<T>& layer, const Columns<T>& u) {
  require<ShapeError>(u.d == layer.d && u.N >= 1, "base_conv_formal: input of width ", u.d, " and length ", u.N,
                      ", expected width d = ", layer.d, " and length >= 1");
  check_layer(layer, u.N);
  const std::int64_t N = u.N;
  auto conv = convolve(layer, u);
  for (const auto& [ch, b] : layer.conv_bias) {
    auto& c = conv[ch];
    if (c.empty()) c.assign(static_cast<std::size_t>(N), T(0));
    for (std::int64_t t = 0; t < N; ++t) c[t] += bias_at(b, t);
  }
  // Gates, only for the channels whose conv factor is present.
  std::map<std::int64_t, std::vector<T>> gate;
  const auto gate_of = [&](std::int64_t o) -> std::vector<T>& {
    auto& g = gate[o];
    if (g.empty()) g.assign(static_cast<std::size_t>(N), T(0));
    return g;
  };
  for (const auto& [ch, b] : layer.gate_bias)
    if (conv.count(ch)) {
      auto& g = gate_of(ch);
      for (std::int64_t t = 0; t < N; ++t) g[t] += bias_at(b, t);
    }
  for (const auto& b : layer.W) {
    if (b.kind == BlockMap<T>::diagonal) {
      for (std::int64_t i = 0; i < b.n_in; ++i) {
        const auto* in = u.find(b.in0 + i * b.in_stride);
        const std::int64_t o = b.out0 + i * b.out_stride;
        if (!in || !conv.count(o)) continue;
        auto& g = gate_of(o);
        for (std::int64_t t = 0; t < N; ++t) g[t] += b.w * (*in)[t];
      }
      continue;
    }
    std::vector<T> sum;
    for (std::int64_t i = 0; i < b.n_in; ++i)
      if (const auto* in = u.find(b.in0 + i * b.in_stride)) {
        if (sum.empty()) sum.assign(static_cast<std::size_t>(N), T(0));
        for (std::int64_t t = 0; t < N; ++t) sum[t] += (*in)[t];
      }
    if (sum.empty()) continue;
    for (std::int64_t o = 0; o < b.n_out; ++o) {
      const std::int64_t ch = b.out0 + o * b.out_stride;
      if (!conv.count(ch)) continue;
      auto& g = gate_of(ch);
      for (std::int64_t t = 0; t < N; ++t) g[t] += b.w * sum[t];
    }
  }
  Columns<T> z{N, layer.d, {}};
  for (auto& [ch, g] : gate) {
    const auto& c = conv.at(ch);
    std::vector<T> col(static_cast<std::size_t>(N));
    bool nonzero = false;
    for (std::int64_t t = 0; t < N; ++t) nonzero |= (col[t] = g[t] * c[t]) != T(0);
    if (nonzero) z.col.emplace(ch, std::move(col));
  }
  return z;
}

template <class T>
Columns<T> forward(const std::vector<FormalLayer<T>>& layers, Columns<T> u) {
  for (const auto& l : layers) u = forward(l, u);
  return u;
}

template <class T>
FormalLayer<T> previous_token_layer(std::int64_t m) {
  require<ShapeError>(m >= 1, "previous_token_layer: m = ", m, " must be >= 1");
  FormalLayer<T> l;
  l.d = 2 * m;
  for (std::int64_t ch = 0; ch < 2 * m; ++ch) {
    l.gate_bias[ch] = {T(1)};
    l.set_filter(ch, ch < m ? std::vector<T>{T(1)} : std::vector<T>{T(0), T(1)});
  }
  return l;
}

template <class T>
Tensor<T> to_dense(const Columns<T>& u) {
  Tensor<T> x({u.N, u.d}, T(0));
  for (const auto& [ch, c] : u.col)
    for (std::int64_t t = 0; t < u.N; ++t) x(t, ch) = c[t];
  return x;
}

#define INSTANTIATE(T)                                                                  \
  template struct FormalLayer<T>;                                                       \
  template Columns<T> forward<T>(const FormalLayer<T>&, const Columns<T>&);             \
  template Columns<T> forward<T>(const std::vector<FormalLayer<T>>&, Columns<T>);       \
  template FormalLayer<T> previous_token_layer<T>(std::int64_t);                        \
  template Tensor<T> to_dense<T>(const Columns<T>&);
INSTANTIATE(double)
INSTANTIATE(::menagerie::Mp)

}  // namespace menagerie::theory
