// The formal BaseConv layer of docs/theory.md §4.1 (JRT App. G, restating Based/Zoology), evaluated through the
// reference convolution operators (reference/short_conv, reference/long_conv):
//   z = (u·W + B^B) ⊙ (K ∗ u + B^K)          u, z [N, d];  W [d, d];  B^B, B^K [N, d];  K [N, d]
//   (K ∗ u)[t, o] = sum_{s=0..t} K[s, o] u[t - s, o]   (one causal filter per channel)
// No residual and no normalisation (unlike zoology's module, which adds +u and uses position-independent biases).
// An (N, L, d)-BaseConv is L such layers; the constructions read their outputs with a linear readout.
//
// Channel-structured evaluation, exact: the constructions need d up to ~5·10^4 (C3 at c = 8192), where a dense
// [N, d] activation, a dense W or one O(N^2) convolution per channel would not fit in minutes. So
//   - an activation is the set of its nonzero channels (Columns: channel -> [N] column; absent = identically 0);
//   - W is a list of block maps (diagonal, or all-ones = "sum these inputs into each of these outputs"), each with
//     strides, so a map like "channel V_l gates every (j, l)" is one entry;
//   - biases are per channel, constant ([1]) or per position ([N]); filters are per channel taps K[0..L), stored
//     once per distinct filter (C3's 5·10^4 all-ones filters of length N share one vector).
// A channel's conv factor is zero when it has no filter (or its input column is absent) and no conv bias; its gate
// is zero when no block brings a present input and it has no gate bias. Such channels are skipped, and any output
// column that is exactly zero is dropped: the result equals the dense layer's to the last bit (the skipped terms
// are exact zeros). The conv runs on the gathered present channels in one call of the reference operator:
// short_conv::conv (taps <= N/2; weight[o, 0, K-1-s] = K[s, o]) or long_conv::conv (h[o, s] = K[s, o]).
// Templated on the scalar: double for the constructions, Mp for the degree check (lower_bounds.hpp).
#pragma once
#include <cstdint>
#include <map>
#include <vector>

#include "core/tensor.hpp"

namespace menagerie::theory {

template <class T>
struct Columns {
  std::int64_t N = 0, d = 0;
  std::map<std::int64_t, std::vector<T>> col;  // channel -> [N]

  const std::vector<T>* find(std::int64_t channel) const {
    const auto it = col.find(channel);
    return it == col.end() ? nullptr : &it->second;
  }
};

// One block of W: for i < n_in (in channel in0 + i·in_stride) and o < n_out (out channel out0 + o·out_stride):
//   diagonal (n_in == n_out):  gate[out(i)] += w · u[in(i)]
//   all_ones:                  gate[out(o)] += w · sum_i u[in(i)]
template <class T>
struct BlockMap {
  enum Kind { diagonal, all_ones };
  Kind kind = diagonal;
  std::int64_t in0 = 0, in_stride = 1, n_in = 1, out0 = 0, out_stride = 1, n_out = 1;
  T w = T(1);
};

template <class T>
struct FormalLayer {
  std::int64_t d = 0;
  std::vector<BlockMap<T>> W;
  std::map<std::int64_t, std::vector<T>> gate_bias, conv_bias;  // channel -> [1] or [N]
  std::vector<std::vector<T>> taps;                              // distinct filters K[0..L), 1 <= L <= N
  std::map<std::int64_t, std::size_t> filter;                    // channel -> index into taps

  // Gives channel `ch` the filter k (stored once however many channels share it).
  void set_filter(std::int64_t ch, const std::vector<T>& k);
  // Nonzero entries of W, of the biases and of every channel's filter.
  std::int64_t nonzero_params() const;
};

// The dense parameter count of an L-layer (N, d) formal BaseConv: L (d^2 + 3 N d).
std::int64_t formal_dense_params(std::int64_t layers, std::int64_t N, std::int64_t d);

// z for one sequence (checks: u.d == layer.d, every channel index in [0, d), biases of length 1 or N, filters of
// length 1..N; violations throw ShapeError).
template <class T>
Columns<T> forward(const FormalLayer<T>& layer, const Columns<T>& u);

// The stack, layer by layer.
template <class T>
Columns<T> forward(const std::vector<FormalLayer<T>>& layers, Columns<T> u);

// The previous-token layer used by C2, C2b and C6 (a BaseConv short convolution with kernel δ_1):
// on 2m channels, gate bias 1 everywhere, conv δ_0 on [0, m) and δ_1 on [m, 2m). Fed [e; e] it returns
// h_t = [e(x_t); e(x_{t-1})] (zero block at t = 0).
template <class T>
FormalLayer<T> previous_token_layer(std::int64_t m);

// The dense [N, d] matrix of a Columns (for the attention constructions that feed the reference attention).
template <class T>
Tensor<T> to_dense(const Columns<T>& u);

}  // namespace menagerie::theory
