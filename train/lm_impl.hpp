// TrainModel's definitions (math in lm.hpp), included by lm.cpp (float, double) and lm_mp.cpp (Mp).
#pragma once
#include <cmath>
#include <limits>

#include "core/philox.hpp"
#include "train/lm.hpp"

namespace menagerie::train {

namespace lm_detail {

using std::exp;
using std::log;
using std::sqrt;

// Layer norm over rows of width d: y = (x - mean) rstd ⊙ w + b; keeps xhat [rows, d] and rstd [rows].
template <class T>
void ln_forward(const T* x, const T* w, const T* b, std::int64_t rows, std::int64_t d, double eps, T* y, T* xhat,
                T* rstd) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * d;
    T mean = T(0), var = T(0);
    for (std::int64_t e = 0; e < d; ++e) mean += xr[e];
    mean /= T(static_cast<double>(d));
    for (std::int64_t e = 0; e < d; ++e) var += (xr[e] - mean) * (xr[e] - mean);
    var /= T(static_cast<double>(d));
    const T rs = T(1) / sqrt(var + T(eps));
    rstd[r] = rs;
    for (std::int64_t e = 0; e < d; ++e) {
      const T h = (xr[e] - mean) * rs;
      xhat[r * d + e] = h;
      y[r * d + e] = b ? h * w[e] + b[e] : h * w[e];
    }
  }
}

// dx = rstd (g - mean(g) - xhat mean(g xhat)), g = dy ⊙ w; dw += sum dy xhat; db += sum dy. dx may alias nothing.
template <class T>
void ln_backward(const T* dy, const T* w, const T* xhat, const T* rstd, std::int64_t rows, std::int64_t d, T* dx,
                 T* dw, T* db) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* g = dy + r * d;
    const T* h = xhat + r * d;
    T mg = T(0), mgh = T(0);
    for (std::int64_t e = 0; e < d; ++e) {
      const T ge = g[e] * w[e];
      mg += ge;
      mgh += ge * h[e];
      dw[e] += g[e] * h[e];
      if (db) db[e] += g[e];
    }
    mg /= T(static_cast<double>(d));
    mgh /= T(static_cast<double>(d));
    for (std::int64_t e = 0; e < d; ++e) dx[r * d + e] = rstd[r] * (g[e] * w[e] - mg - h[e] * mgh);
  }
}

// MambaBlock's RMSNorm: y = x rs ⊙ w, rs = 1/sqrt(mean x^2 + eps); "xhat" = x rs, so LN's backward with the mean
// terms dropped: dx = rs (g - xhat mean(g xhat)).
template <class T>
void rms_forward(const T* x, const T* w, std::int64_t rows, std::int64_t d, double eps, T* y, T* xhat, T* rstd) {
  for (std::int64_t r = 0; r < rows; ++r) {
    T ms = T(0);
    for (std::int64_t e = 0; e < d; ++e) ms += x[r * d + e] * x[r * d + e];
    const T rs = T(1) / sqrt(ms / T(static_cast<double>(d)) + T(eps));
    rstd[r] = rs;
    for (std::int64_t e = 0; e < d; ++e) {
      xhat[r * d + e] = x[r * d + e] * rs;
      y[r * d + e] = xhat[r * d + e] * w[e];
    }
  }
}
template <class T>
void rms_backward(const T* dy, const T* w, const T* xhat, const T* rstd, std::int64_t rows, std::int64_t d, T* dx,
                  T* dw) {
  for (std::int64_t r = 0; r < rows; ++r) {
    T mgh = T(0);
    for (std::int64_t e = 0; e < d; ++e) {
      mgh += dy[r * d + e] * w[e] * xhat[r * d + e];
      dw[e] += dy[r * d + e] * xhat[r * d + e];
    }
    mgh /= T(static_cast<double>(d));
    for (std::int64_t e = 0; e < d; ++e)
      dx[r * d + e] = rstd[r] * (dy[r * d + e] * w[e] - xhat[r * d + e] * mgh);
  }
}

template <class T>
const T* param(const Named<T>& p, const std::string& name) {
  const auto it = p.find(name);
  require<ShapeError>(it != p.end(), "train: parameter '", name, "' missing");
  return it->second.data();
}
template <class T>
T* grad(Named<T>& g, const std::string& name) {
  const auto it = g.find(name);
  require<ShapeError>(it != g.end(), "train: gradient buffer '", name, "' missing");
  return it->second.data();
}

}  // namespace lm_detail

template <class T>
TrainModel<T>::TrainModel(model::Config config) : config_(std::move(config)) {
  config_.validate();
  for (const auto& m : config_.mixers) kernels_.push_back(make_kernel<T>(m));
}

template <class T>
bool TrainModel<T>::has_auxiliary_loss() const {
  for (const auto& k : kernels_)
    if (k->has_auxiliary_loss()) return true;
  return false;
}

template <class T>
T TrainModel<T>::forward_backward(const Named<T>& params, const model::Batch& b, double denom, const Dropout& drop,
                                  Named<T>* grads, Predictions* predictions, T* auxiliary) const {
  using namespace lm_detail;
  const model::Config& c = config_;
  b.validate(c, true);
  const std::int64_t d = c.d_model, V = c.vocab, rows = b.B * b.T, L = c.n_layers;
  const std::size_t n = static_cast<std::size_t>(rows * d);
  const bool mamba = c.block == model::Block::mamba;
  const T* WE = param(params, model::word_embeddings);
  const T* P = c.max_position_embeddings > 0 ? param(params, model::position_embeddings) : nullptr;

  // Forward. s[l] [rows, d] is the stream entering layer l; per layer: xhat1/rstd1 (LN1 or RMSNorm), a (mixer in),
  // m and xhat2/rstd2 (LN2).
  const double pe = drop.embedding, scale_e = pe > 0 ? 1.0 / (1.0 - pe) : 1.0;
  std::vector<std::vector<T>> s(static_cast<std::size_t>(L + 1), std::vector<T>(n));
  std::vector<std::vector<T>> xh1(L, std::vector<T>(n)), a(L, std::vector<T>(n)), m(L), xh2(L);
  std::vector<std::vector<T>> rs1(L, std::vector<T>(static_cast<std::size_t>(rows))), rs2(L);
  std::vector<typename Kernel<T>::Cache> caches(static_cast<std::size_t>(L));
  for (std::int64_t i = 0; i < rows; ++i) {
    const std::int64_t id = b.ids[static_cast<std::size_t>(i)], t = i % b.T;
    for (std::int64_t e = 0; e < d; ++e) {
      T h = WE[id * d + e] + (P ? P[t * d + e] : T(0));
      if (pe > 0)
        h = drop.keep(0, static_cast<std::uint64_t>((drop.row_offset * b.T + i) * d + e), pe) ? h * T(scale_e) : T(0);
      s[0][static_cast<std::size_t>(i * d + e)] = h;
    }
  }
  std::vector<T> y(n);
  T aux = T(0);
  const model::Tokens tokens{&b.ids, c.vocab};
  for (std::int64_t l = 0; l < L; ++l) {
    const auto li = static_cast<std::size_t>(l);
    const std::string pre = c.layer_prefix(l);
    if (mamba)
      rms_forward(s[li].data(), param(params, pre + "norm.weight"), rows, d, model::block_norm_eps, a[li].data(),
                  xh1[li].data(), rs1[li].data());
    else
      ln_forward(s[li].data(), param(params, pre + "norm1.weight"), param(params, pre + "norm1.bias"), rows, d,
                 model::block_norm_eps, a[li].data(), xh1[li].data(), rs1[li].data());
    const auto& kernel = *kernels_[static_cast<std::size_t>(l % static_cast<std::int64_t>(kernels_.size()))];
    kernel.forward({&params, c.mixer_prefix(l), tokens}, b.B, b.T, a[li].data(), y.data(), caches[li], drop, l);
    if (kernel.has_auxiliary_loss())
      aux += kernel.auxiliary_loss({&params, c.mixer_prefix(l), tokens}, b.B, b.T, a[li].data());
    if (mamba) {
      for (std::size_t k = 0; k < n; ++k) s[li + 1][k] = s[li][k] + y[k];
      continue;
    }
    m[li].resize(n);
    xh2[li].resize(n);
    rs2[li].resize(static_cast<std::size_t>(rows));
    for (std::size_t k = 0; k < n; ++k) m[li][k] = s[li][k] + y[k];
    ln_forward(m[li].data(), param(params, pre + "norm2.weight"), param(params, pre + "norm2.bias"), rows, d,
               model::block_norm_eps, y.data(), xh2[li].data(), rs2[li].data());
    for (std::size_t k = 0; k < n; ++k) s[li + 1][k] = m[li][k] + y[k];
  }
  std::vector<T> out(n), xhf(n), rsf(static_cast<std::size_t>(rows));
  ln_forward(s[static_cast<std::size_t>(L)].data(), param(params, std::string("backbone.ln_f.weight")),
             param(params, std::string("backbone.ln_f.bias")), rows, d, c.layer_norm_eps, out.data(), xhf.data(),
             rsf.data());

  // The head and cross-entropy at labelled rows only; dout [rows, d] collects dL/dout.
  std::vector<T> dout(grads ? n : 0, T(0)), z(static_cast<std::size_t>(V));
  T* dWE = grads ? grad(*grads, model::word_embeddings) : nullptr;
  T loss = T(0);
  const T inv = T(1.0 / denom);
  for (std::int64_t i = 0; i < rows; ++i) {
    const std::int64_t label = b.labels[static_cast<std::size_t>(i)];
    if (label == ops::cross_entropy::ignore_index) continue;
    const T* o = out.data() + i * d;
    std::int64_t best = 0;
    for (std::int64_t v = 0; v < V; ++v) {
      T acc = T(0);
      for (std::int64_t e = 0; e < d; ++e) acc += o[e] * WE[v * d + e];
      z[static_cast<std::size_t>(v)] = acc;
      if (acc > z[static_cast<std::size_t>(best)]) best = v;
    }
    if (predictions) {
      predictions->example.push_back(i / b.T);
      predictions->correct.push_back(best == label ? 1 : 0);
    }
    const T mx = z[static_cast<std::size_t>(best)];
    T sum = T(0);
    for (std::int64_t v = 0; v < V; ++v) sum += exp(z[static_cast<std::size_t>(v)] - mx);
    loss += (log(sum) + mx - z[static_cast<std::size_t>(label)]) * inv;
    if (!grads) continue;
    T* dor = dout.data() + i * d;
    for (std::int64_t v = 0; v < V; ++v) {
      const T g = (exp(z[static_cast<std::size_t>(v)] - mx) / sum - (v == label ? T(1) : T(0))) * inv;
      for (std::int64_t e = 0; e < d; ++e) {
        dor[e] += g * WE[v * d + e];
        dWE[v * d + e] += g * o[e];
      }
    }
  }
  if (auxiliary) *auxiliary = aux;
  if (has_auxiliary_loss()) loss += aux;
  if (!grads) return loss;

  // Backward.
  Named<T>& g = *grads;
  std::vector<T> ds(n), dm(n), du(n), tmp(n);
  ln_backward(dout.data(), param(params, std::string("backbone.ln_f.weight")), xhf.data(), rsf.data(), rows, d,
              ds.data(), grad(g, std::string("backbone.ln_f.weight")), grad(g, std::string("backbone.ln_f.bias")));
  for (std::int64_t l = L - 1; l >= 0; --l) {
    const auto li = static_cast<std::size_t>(l);
    const std::string pre = c.layer_prefix(l);
    if (mamba) {
      dm = ds;
    } else {
      ln_backward(ds.data(), param(params, pre + "norm2.weight"), xh2[li].data(), rs2[li].data(), rows, d, tmp.data(),
                  grad(g, pre + "norm2.weight"), grad(g, pre + "norm2.bias"));
      for (std::size_t k = 0; k < n; ++k) dm[k] = ds[k] + tmp[k];
    }
    const auto& kernel = *kernels_[static_cast<std::size_t>(l % static_cast<std::int64_t>(kernels_.size()))];
    typename Kernel<T>::Grads kg{&g, c.mixer_prefix(l)};
    kernel.backward({&params, c.mixer_prefix(l), tokens}, b.B, b.T, a[li].data(), dm.data(), du.data(), kg, caches[li], drop,
                    l);
    if (kernel.has_auxiliary_loss())
      kernel.auxiliary_backward({&params, c.mixer_prefix(l), tokens}, b.B, b.T, a[li].data(), T(1), du.data(), kg);
    if (mamba)
      rms_backward(du.data(), param(params, pre + "norm.weight"), xh1[li].data(), rs1[li].data(), rows, d, tmp.data(),
                   grad(g, pre + "norm.weight"));
    else
      ln_backward(du.data(), param(params, pre + "norm1.weight"), xh1[li].data(), rs1[li].data(), rows, d, tmp.data(),
                  grad(g, pre + "norm1.weight"), grad(g, pre + "norm1.bias"));
    for (std::size_t k = 0; k < n; ++k) ds[k] = dm[k] + tmp[k];
  }
  T* dP = P ? grad(g, model::position_embeddings) : nullptr;
  for (std::int64_t i = 0; i < rows; ++i) {
    const std::int64_t id = b.ids[static_cast<std::size_t>(i)], t = i % b.T;
    for (std::int64_t e = 0; e < d; ++e) {
      T gh = ds[static_cast<std::size_t>(i * d + e)];
      if (pe > 0)
        gh = drop.keep(0, static_cast<std::uint64_t>((drop.row_offset * b.T + i) * d + e), pe) ? gh * T(scale_e)
                                                                                              : T(0);
      dWE[id * d + e] += gh;
      if (dP) dP[t * d + e] += gh;
    }
  }
  return loss;
}

}  // namespace menagerie::train
