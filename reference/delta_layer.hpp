// What the DeltaNet and Gated DeltaNet references share (core/mixers/deltanet.hpp, gated_deltanet.hpp): the
// projection + short conv + SiLU branch of q, k and v (fla's ShortConvolution: depthwise causal Conv1d, no bias, then
// SiLU), the per-head L2 norm of q and k, and the output RMSNorm with its optional SiLU gate, each with its backward
// and (the branch) its step form. Header-only templates, instantiated by the mixers' .cpp files.
//   branch:   x = u W^T [.., C];  c = conv(x);  a = SiLU(c)
//             backward: dc = da SiLU'(c);  (dx, dw) = conv backward;  du += dx W, dW += dx^T u
//   l2norm:   y = x r, r = (sum_i x_i^2 + eps)^-1/2 over groups of n;   dx = r (dy - y (y . dy))
//   rmsnorm:  m = x r, r = (mean_i x_i^2 + eps)^-1/2 over groups of n;  y = m w [SiLU(g)]
//             backward: dm = dy w [SiLU(g)];  dx = r (dm - m (m . dm) / n);  dw += dy m [SiLU(g)];
//             dg = dy m w SiLU'(g)
//   output:   y = n Wo^T with n = rmsnorm(o, w [, gate = u Wg^T]);  output_backward gives do and the gradients of
//             o_proj.weight, o_norm.weight, g_proj.weight (both modules' names), adding the gate's du.
#pragma once
#include <cstdint>

#include "core/contract.hpp"
#include "core/tensor.hpp"
#include "reference/activations.hpp"
#include "reference/linear.hpp"
#include "reference/scalar.hpp"
#include "reference/short_conv.hpp"

namespace menagerie::ref::delta_layer {

// fla's l2norm_fwd epsilon (inside the square root).
inline constexpr double l2norm_eps = 1e-6;

template <class T>
struct Branch {
  Tensor<T> x, c, a;  // [B, T, C]: projection, conv output, SiLU(conv output)
};

// u [B, T, d], W [C, d], cw [C, 1, K].
template <class T>
Branch<T> branch(const Tensor<T>& u, const Tensor<T>& W, const Tensor<T>& cw) {
  Branch<T> f;
  f.x = linear(u, W);
  f.c = ops::short_conv::conv(f.x, cw, Tensor<T>({W.size(0)}, T(0)));
  f.a = Tensor<T>(f.c.shape());
  for (std::int64_t i = 0; i < f.c.numel(); ++i) f.a.data()[i] = silu(f.c.data()[i]);
  return f;
}

// Given da [B, T, C]: dW += .., dcw += .., du += ...
template <class T>
void branch_backward(const Tensor<T>& u, const Tensor<T>& W, const Tensor<T>& cw, const Branch<T>& f,
                     const Tensor<T>& da, Tensor<T>& dW, Tensor<T>& dcw, Tensor<T>& du) {
  Tensor<T> dc(da.shape());
  for (std::int64_t i = 0; i < dc.numel(); ++i) dc.data()[i] = da.data()[i] * d_silu(f.c.data()[i]);
  Tensor<T> dx, dw, db;
  ops::short_conv::conv_backward(f.x, cw, dc, dx, dw, db);
  for (std::int64_t i = 0; i < dw.numel(); ++i) dcw.data()[i] += dw.data()[i];
  const auto dux = linear_backward(u, W, dx, dW);
  for (std::int64_t i = 0; i < du.numel(); ++i) du.data()[i] += dux.data()[i];
}

// One token: u_t [B, d] -> SiLU(conv(u_t W^T)) [B, C]; state [B, C, K - 1] holds the last K - 1 projections, oldest
// first, and advances.
template <class T>
Tensor<T> branch_step(const Tensor<T>& u_t, const Tensor<T>& W, const Tensor<T>& cw, Tensor<T>& state) {
  const auto x = linear(u_t, W);
  const std::int64_t B = x.size(0), C = x.size(1), K = cw.size(2);
  Tensor<T> a({B, C});
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t c = 0; c < C; ++c) {
      T acc = cw(c, 0, K - 1) * x(b, c);
      for (std::int64_t j = 0; j + 1 < K; ++j) acc += cw(c, 0, j) * state(b, c, j);
      for (std::int64_t j = 0; j + 2 < K; ++j) state(b, c, j) = state(b, c, j + 1);
      if (K > 1) state(b, c, K - 2) = x(b, c);
      a(b, c) = silu(acc);
    }
  return a;
}

// x / sqrt(sum x^2 + eps) over consecutive groups of n along the flat (row-major) data.
template <class T>
Tensor<T> l2norm(const Tensor<T>& x, std::int64_t n) {
  Tensor<T> y(x.shape());
  for (std::int64_t g = 0; g < x.numel() / n; ++g) {
    T ss = T(l2norm_eps);
    for (std::int64_t i = g * n; i < (g + 1) * n; ++i) ss += x.data()[i] * x.data()[i];
    const T r = T(1) / sqrt(ss);
    for (std::int64_t i = g * n; i < (g + 1) * n; ++i) y.data()[i] = x.data()[i] * r;
  }
  return y;
}

template <class T>
Tensor<T> l2norm_backward(const Tensor<T>& x, std::int64_t n, const Tensor<T>& dy) {
  const auto y = l2norm(x, n);
  Tensor<T> dx(x.shape());
  for (std::int64_t g = 0; g < x.numel() / n; ++g) {
    T ss = T(l2norm_eps), ydy = T(0);
    for (std::int64_t i = g * n; i < (g + 1) * n; ++i) {
      ss += x.data()[i] * x.data()[i];
      ydy += y.data()[i] * dy.data()[i];
    }
    const T r = T(1) / sqrt(ss);
    for (std::int64_t i = g * n; i < (g + 1) * n; ++i) dx.data()[i] = r * (dy.data()[i] - y.data()[i] * ydy);
  }
  return dx;
}

// RMSNorm over consecutive groups of n = w.numel(), times SiLU(gate) when gate is given (same shape as x).
template <class T>
Tensor<T> rmsnorm(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>* gate, double eps) {
  const std::int64_t n = w.numel();
  Tensor<T> y(x.shape());
  for (std::int64_t g = 0; g < x.numel() / n; ++g) {
    T ss = T(0);
    for (std::int64_t i = g * n; i < (g + 1) * n; ++i) ss += x.data()[i] * x.data()[i];
    const T r = T(1) / sqrt(ss / T(n) + T(eps));
    for (std::int64_t i = g * n, j = 0; j < n; ++i, ++j)
      y.data()[i] = x.data()[i] * r * w.data()[j] * (gate ? silu(gate->data()[i]) : T(1));
  }
  return y;
}

// Given dy: returns dx; accumulates dw += ..; writes dgate (when gate is given).
template <class T>
Tensor<T> rmsnorm_backward(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>* gate, double eps,
                           const Tensor<T>& dy, Tensor<T>& dw, Tensor<T>* dgate) {
  const std::int64_t n = w.numel();
  Tensor<T> dx(x.shape()), m(Shape{n}), dm(Shape{n});
  for (std::int64_t g = 0; g < x.numel() / n; ++g) {
    T ss = T(0);
    for (std::int64_t i = g * n; i < (g + 1) * n; ++i) ss += x.data()[i] * x.data()[i];
    const T r = T(1) / sqrt(ss / T(n) + T(eps));
    T mdm = T(0);
    for (std::int64_t i = g * n, j = 0; j < n; ++i, ++j) {
      const T s = gate ? silu(gate->data()[i]) : T(1);
      m(j) = x.data()[i] * r;
      dm(j) = dy.data()[i] * w.data()[j] * s;
      mdm += m(j) * dm(j);
      dw.data()[j] += dy.data()[i] * m(j) * s;
      if (gate) dgate->data()[i] = dy.data()[i] * m(j) * w.data()[j] * d_silu(gate->data()[i]);
    }
    for (std::int64_t i = g * n, j = 0; j < n; ++i, ++j) dx.data()[i] = r * (dm(j) - m(j) * mdm / T(n));
  }
  return dx;
}

// n = rmsnorm(o) [* SiLU(gate)] and y = n Wo^T given (o, n, gate): returns do; accumulates d_in's "o_proj.weight",
// "o_norm.weight" and (gate) "g_proj.weight", and du += dgate Wg.
template <class T>
Tensor<T> output_backward(const Tensor<T>& u, const Tensor<T>& o, const Tensor<T>& n, const Tensor<T>* gate,
                          const Tensor<T>& w, const Tensor<T>* Wg, const Tensor<T>& Wo, double eps,
                          const Tensor<T>& dy, Named<T>& d_in, Tensor<T>& du) {
  const auto dn = linear_backward(n, Wo, dy, d_in.at("o_proj.weight"));
  Tensor<T> dgate(o.shape(), T(0));
  auto d_o = rmsnorm_backward(o, w, gate, eps, dn, d_in.at("o_norm.weight"), gate ? &dgate : nullptr);
  if (gate) {
    const auto dug = linear_backward(u, *Wg, dgate, d_in.at("g_proj.weight"));
    for (std::int64_t i = 0; i < du.numel(); ++i) du.data()[i] += dug.data()[i];
  }
  return d_o;
}

}  // namespace menagerie::ref::delta_layer
