// The trainer's fast CPU paths for the mixers inside its model (lm.hpp): forward and backward of mha, sliding_attn
// and base_conv on flat row-major arrays, templated on the scalar, and the fallback to the references for every
// other mixer (each path a Kernel<T> of lm.hpp). Included by lm.cpp (float, double) and lm_mp.cpp (Mp). Inner
// loops run along contiguous rows (axpy form) so that they vectorise. Nothing here runs on a GPU.
//   attention (mha with H heads; sliding_attn: 1 head, window w):  qkv = u Wqkv^T + b, split "(three h D)";
//     S = q k^T / sqrt(D) on visible s (t - w <= s <= t; all s <= t for mha), P = softmax(S), P' = drop_a(P),
//     o = P' v, y = o Wo^T + bo.  Backward: dP' = dO v^T, dv = P'^T dO, dP = dP' ⊙ keep/(1-p),
//     dS = P ⊙ (dP - rowsum(P ⊙ dP)) / sqrt(D), dq = dS k, dk = dS^T q; then the projections.
//   base_conv:  proj = u W^T + b;  c = short_conv(u) | h ∗ u + u (long; h explicit, or h = W2 relu(W1 z + b1) + b2);
//     y = c ⊙ proj + u.  Backward: dc = dy ⊙ proj, dproj = dy ⊙ c, du = dy + dproj W + conv'(dc).
//   any other mixer: its reference (model::registry_math) on Named tensors.
#pragma once
#include <cmath>

#include "core/philox.hpp"
#include "core/registry.hpp"
#include "reference/model.hpp"
#include "train/lm.hpp"

namespace menagerie::train {

namespace kernel_detail {

using std::exp;
using std::sqrt;

// y[r, :] = x[r, :] W^T (+ b), W [out, in]; uses Wt = W^T [in, out].
template <class T>
void linear(const T* x, const T* W, const T* b, std::int64_t rows, std::int64_t in, std::int64_t out, T* y) {
  std::vector<T> Wt(static_cast<std::size_t>(in * out));
  for (std::int64_t o = 0; o < out; ++o)
    for (std::int64_t i = 0; i < in; ++i) Wt[static_cast<std::size_t>(i * out + o)] = W[o * in + i];
  for (std::int64_t r = 0; r < rows; ++r) {
    T* yr = y + r * out;
    for (std::int64_t o = 0; o < out; ++o) yr[o] = b ? b[o] : T(0);
    for (std::int64_t i = 0; i < in; ++i) {
      const T xi = x[r * in + i];
      const T* w = Wt.data() + i * out;
      for (std::int64_t o = 0; o < out; ++o) yr[o] += xi * w[o];
    }
  }
}

// dx = dy W (overwritten, when dx != null); dW += dy^T x; db += colsum dy.
template <class T>
void linear_backward(const T* x, const T* W, const T* dy, std::int64_t rows, std::int64_t in, std::int64_t out, T* dx,
                     T* dW, T* db) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* dyr = dy + r * out;
    const T* xr = x + r * in;
    if (dx)
      for (std::int64_t i = 0; i < in; ++i) dx[r * in + i] = T(0);
    for (std::int64_t o = 0; o < out; ++o) {
      const T g = dyr[o];
      if (db) db[o] += g;
      T* dw = dW + o * in;
      for (std::int64_t i = 0; i < in; ++i) dw[i] += g * xr[i];
      if (dx) {
        const T* w = W + o * in;
        T* dxr = dx + r * in;
        for (std::int64_t i = 0; i < in; ++i) dxr[i] += g * w[i];
      }
    }
  }
}

template <class T>
struct Attention final : Kernel<T> {
  std::int64_t d, H, window;  // window < 0: full causal
  Attention(std::int64_t d_, std::int64_t heads, std::int64_t w) : d(d_), H(heads), window(w) {}

  std::int64_t first(std::int64_t t) const { return window < 0 ? 0 : std::max<std::int64_t>(0, t - window); }
  // Attention-dropout stream index of (example, layer, head, t, s); stream 1 + layer.
  bool keep(const Dropout& dr, std::int64_t layer, std::int64_t b, std::int64_t h, std::int64_t t, std::int64_t s,
            std::int64_t T_) const {
    const auto idx = static_cast<std::uint64_t>((((dr.row_offset + b) * H + h) * T_ + t) * T_ + s);
    return dr.keep(static_cast<std::uint64_t>(1 + layer), idx, dr.attention);
  }

  // cache: 0 qkv [B, T, 3d], 1 P [B, H, T, T] (undropped), 2 o [B, T, d]
  void forward(const typename Kernel<T>::Params& p, std::int64_t B, std::int64_t T_, const T* u, T* y,
               typename Kernel<T>::Cache& cache, const Dropout& dr, std::int64_t layer) const override {
    const std::int64_t D = d / H, rows = B * T_;
    cache.bufs.assign(3, {});
    auto& qkv = cache.bufs[0];
    auto& P = cache.bufs[1];
    auto& o = cache.bufs[2];
    qkv.resize(static_cast<std::size_t>(rows * 3 * d));
    P.assign(static_cast<std::size_t>(B * H * T_ * T_), T(0));
    o.assign(static_cast<std::size_t>(rows * d), T(0));
    linear(u, p("Wqkv.weight"), p("Wqkv.bias"), rows, d, 3 * d, qkv.data());
    const T scale = T(1.0 / std::sqrt(static_cast<double>(D)));
    const double pa = dr.attention;
    const T inv_keep = T(pa > 0 ? 1.0 / (1.0 - pa) : 1.0);
    std::vector<T> kt(static_cast<std::size_t>(D * T_));
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t h = 0; h < H; ++h) {
        const T* base = qkv.data() + b * T_ * 3 * d;
        for (std::int64_t s = 0; s < T_; ++s)
          for (std::int64_t e = 0; e < D; ++e) kt[static_cast<std::size_t>(e * T_ + s)] = base[s * 3 * d + d + h * D + e];
        for (std::int64_t t = 0; t < T_; ++t) {
          T* row = P.data() + ((b * H + h) * T_ + t) * T_;
          const T* q = base + t * 3 * d + h * D;
          const std::int64_t s0 = first(t);
          for (std::int64_t e = 0; e < D; ++e) {
            const T qe = q[e] * scale;
            const T* k = kt.data() + e * T_;
            for (std::int64_t s = s0; s <= t; ++s) row[s] += qe * k[s];
          }
          T mx = row[s0];
          for (std::int64_t s = s0; s <= t; ++s) mx = row[s] > mx ? row[s] : mx;
          T z = T(0);
          for (std::int64_t s = s0; s <= t; ++s) z += (row[s] = exp(row[s] - mx));
          for (std::int64_t s = s0; s <= t; ++s) row[s] /= z;
          T* orow = o.data() + (b * T_ + t) * d + h * D;
          for (std::int64_t s = s0; s <= t; ++s) {
            T w = row[s];
            if (pa > 0) w = keep(dr, layer, b, h, t, s, T_) ? w * inv_keep : T(0);
            const T* v = base + s * 3 * d + 2 * d + h * D;
            for (std::int64_t e = 0; e < D; ++e) orow[e] += w * v[e];
          }
        }
      }
    linear(o.data(), p("out_proj.weight"), p("out_proj.bias"), rows, d, d, y);
  }

  void backward(const typename Kernel<T>::Params& p, std::int64_t B, std::int64_t T_, const T* u, const T* dy, T* du,
                typename Kernel<T>::Grads& g, typename Kernel<T>::Cache& cache, const Dropout& dr,
                std::int64_t layer) const override {
    const std::int64_t D = d / H, rows = B * T_;
    const auto& qkv = cache.bufs[0];
    const auto& P = cache.bufs[1];
    const auto& o = cache.bufs[2];
    std::vector<T> dO(static_cast<std::size_t>(rows * d)), dqkv(static_cast<std::size_t>(rows * 3 * d), T(0));
    linear_backward(o.data(), p("out_proj.weight"), dy, rows, d, d, dO.data(), g("out_proj.weight"),
                    g("out_proj.bias"));
    const T scale = T(1.0 / std::sqrt(static_cast<double>(D)));
    const double pa = dr.attention;
    const T inv_keep = T(pa > 0 ? 1.0 / (1.0 - pa) : 1.0);
    std::vector<T> dP(static_cast<std::size_t>(T_));
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t h = 0; h < H; ++h) {
        const T* base = qkv.data() + b * T_ * 3 * d;
        T* dbase = dqkv.data() + b * T_ * 3 * d;
        for (std::int64_t t = 0; t < T_; ++t) {
          const T* row = P.data() + ((b * H + h) * T_ + t) * T_;
          const T* dot = dO.data() + (b * T_ + t) * d + h * D;
          const std::int64_t s0 = first(t);
          T rowdot = T(0);
          for (std::int64_t s = s0; s <= t; ++s) {
            const T* v = base + s * 3 * d + 2 * d + h * D;
            T* dv = dbase + s * 3 * d + 2 * d + h * D;
            T acc = T(0);
            for (std::int64_t e = 0; e < D; ++e) acc += dot[e] * v[e];
            T w = row[s], mask = T(1);
            if (pa > 0) {
              mask = keep(dr, layer, b, h, t, s, T_) ? inv_keep : T(0);
              w *= mask;
            }
            for (std::int64_t e = 0; e < D; ++e) dv[e] += w * dot[e];
            dP[static_cast<std::size_t>(s)] = acc * mask;
            rowdot += row[s] * dP[static_cast<std::size_t>(s)];
          }
          const T* q = base + t * 3 * d + h * D;
          T* dq = dbase + t * 3 * d + h * D;
          for (std::int64_t s = s0; s <= t; ++s) {
            const T dS = row[s] * (dP[static_cast<std::size_t>(s)] - rowdot) * scale;
            const T* k = base + s * 3 * d + d + h * D;
            T* dk = dbase + s * 3 * d + d + h * D;
            for (std::int64_t e = 0; e < D; ++e) {
              dq[e] += dS * k[e];
              dk[e] += dS * q[e];
            }
          }
        }
      }
    linear_backward(u, p("Wqkv.weight"), dqkv.data(), rows, d, 3 * d, du, g("Wqkv.weight"), g("Wqkv.bias"));
  }
};

template <class T>
struct BaseConv final : Kernel<T> {
  mixers::base_conv::Problem pr;
  explicit BaseConv(mixers::base_conv::Problem p) : pr(p) {}
  static constexpr std::int64_t Hd = mixers::base_conv::mlp_hidden;

  // The long filter as [T, D] (row s = tap s); for implicit also the MLP pre-activations a [T, 16].
  void filter(const typename Kernel<T>::Params& p, std::int64_t T_, std::vector<T>& h, std::vector<T>& pre) const {
    const std::int64_t D = pr.D;
    h.assign(static_cast<std::size_t>(T_ * D), T(0));
    if (pr.conv == mixers::base_conv::Conv::long_explicit) {
      const T* f = p("conv.filter");
      for (std::int64_t c = 0; c < D; ++c)
        for (std::int64_t s = 0; s < T_; ++s) h[static_cast<std::size_t>(s * D + c)] = f[c * pr.l_max + s];
      return;
    }
    std::vector<T> r(static_cast<std::size_t>(T_ * Hd));
    pre.resize(r.size());
    linear(p("conv.pos_emb.z"), p("conv.mlp.0.weight"), p("conv.mlp.0.bias"), T_, 3, Hd, pre.data());
    for (std::size_t k = 0; k < r.size(); ++k) r[k] = pre[k] > T(0) ? pre[k] : T(0);
    linear(r.data(), p("conv.mlp.2.weight"), p("conv.mlp.2.bias"), T_, Hd, D, h.data());
  }

  // cache: 0 proj [B, T, D], 1 conv out [B, T, D], 2 filter [T, D], 3 MLP pre-activations [T, 16]
  void forward(const typename Kernel<T>::Params& p, std::int64_t B, std::int64_t T_, const T* u, T* y,
               typename Kernel<T>::Cache& cache, const Dropout&, std::int64_t) const override {
    const std::int64_t D = pr.D, rows = B * T_;
    cache.bufs.assign(4, {});
    auto &proj = cache.bufs[0], &cv = cache.bufs[1];
    proj.resize(static_cast<std::size_t>(rows * D));
    cv.assign(static_cast<std::size_t>(rows * D), T(0));
    linear(u, p("projection.weight"), p("projection.bias"), rows, D, D, proj.data());
    if (pr.conv == mixers::base_conv::Conv::short_conv) {
      const T *w = p("conv.conv.weight"), *bias = p("conv.conv.bias");
      const std::int64_t K = pr.kernel_size;
      for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t t = 0; t < T_; ++t) {
          T* out = cv.data() + (b * T_ + t) * D;
          for (std::int64_t c = 0; c < D; ++c) out[c] = bias[c];
          for (std::int64_t j = 0; j < K; ++j) {
            const std::int64_t s = t - K + 1 + j;
            if (s < 0) continue;
            const T* in = u + (b * T_ + s) * D;
            for (std::int64_t c = 0; c < D; ++c) out[c] += w[c * K + j] * in[c];
          }
        }
    } else {
      filter(p, T_, cache.bufs[2], cache.bufs[3]);
      const auto& h = cache.bufs[2];
      for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t t = 0; t < T_; ++t) {
          T* out = cv.data() + (b * T_ + t) * D;
          const T* ut = u + (b * T_ + t) * D;
          for (std::int64_t c = 0; c < D; ++c) out[c] = ut[c];
          for (std::int64_t s = 0; s <= t; ++s) {
            const T* hs = h.data() + s * D;
            const T* in = u + (b * T_ + t - s) * D;
            for (std::int64_t c = 0; c < D; ++c) out[c] += hs[c] * in[c];
          }
        }
    }
    for (std::int64_t k = 0; k < rows * D; ++k)
      y[k] = cv[static_cast<std::size_t>(k)] * proj[static_cast<std::size_t>(k)] + u[k];
  }

  void backward(const typename Kernel<T>::Params& p, std::int64_t B, std::int64_t T_, const T* u, const T* dy, T* du,
                typename Kernel<T>::Grads& g, typename Kernel<T>::Cache& cache, const Dropout&,
                std::int64_t) const override {
    const std::int64_t D = pr.D, rows = B * T_;
    const auto &proj = cache.bufs[0], &cv = cache.bufs[1];
    std::vector<T> dc(static_cast<std::size_t>(rows * D)), dproj(dc.size());
    for (std::size_t k = 0; k < dc.size(); ++k) {
      dc[k] = dy[k] * proj[k];
      dproj[k] = dy[k] * cv[k];
    }
    linear_backward(u, p("projection.weight"), dproj.data(), rows, D, D, du, g("projection.weight"),
                    g("projection.bias"));
    for (std::int64_t k = 0; k < rows * D; ++k) du[k] += dy[k];
    if (pr.conv == mixers::base_conv::Conv::short_conv) {
      const T* w = p("conv.conv.weight");
      T *dw = g("conv.conv.weight"), *db = g("conv.conv.bias");
      const std::int64_t K = pr.kernel_size;
      for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t t = 0; t < T_; ++t) {
          const T* dct = dc.data() + (b * T_ + t) * D;
          for (std::int64_t c = 0; c < D; ++c) db[c] += dct[c];
          for (std::int64_t j = 0; j < K; ++j) {
            const std::int64_t s = t - K + 1 + j;
            if (s < 0) continue;
            const T* in = u + (b * T_ + s) * D;
            T* dus = du + (b * T_ + s) * D;
            for (std::int64_t c = 0; c < D; ++c) {
              dw[c * K + j] += dct[c] * in[c];
              dus[c] += w[c * K + j] * dct[c];
            }
          }
        }
      return;
    }
    const auto& h = cache.bufs[2];
    std::vector<T> dh(h.size(), T(0));
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t t = 0; t < T_; ++t) {
        const T* dct = dc.data() + (b * T_ + t) * D;
        T* dut = du + (b * T_ + t) * D;
        for (std::int64_t c = 0; c < D; ++c) dut[c] += dct[c];
        for (std::int64_t s = 0; s <= t; ++s) {
          const T* hs = h.data() + s * D;
          T* dhs = dh.data() + s * D;
          const T* in = u + (b * T_ + t - s) * D;
          T* din = du + (b * T_ + t - s) * D;
          for (std::int64_t c = 0; c < D; ++c) {
            dhs[c] += dct[c] * in[c];
            din[c] += hs[c] * dct[c];
          }
        }
      }
    if (pr.conv == mixers::base_conv::Conv::long_explicit) {
      T* df = g("conv.filter");
      for (std::int64_t c = 0; c < D; ++c)
        for (std::int64_t s = 0; s < T_; ++s) df[c * pr.l_max + s] += dh[static_cast<std::size_t>(s * D + c)];
      return;
    }
    const auto& pre = cache.bufs[3];
    std::vector<T> r(pre.size()), dr(pre.size());
    for (std::size_t k = 0; k < r.size(); ++k) r[k] = pre[k] > T(0) ? pre[k] : T(0);
    linear_backward(r.data(), p("conv.mlp.2.weight"), dh.data(), T_, Hd, D, dr.data(), g("conv.mlp.2.weight"),
                    g("conv.mlp.2.bias"));
    for (std::size_t k = 0; k < dr.size(); ++k) dr[k] = pre[k] > T(0) ? dr[k] : T(0);
    std::vector<T> dz(static_cast<std::size_t>(T_ * 3));
    linear_backward(p("conv.pos_emb.z"), p("conv.mlp.0.weight"), dr.data(), T_, 3, Hd, dz.data(),
                    g("conv.mlp.0.weight"), g("conv.mlp.0.bias"));
    T* gz = g("conv.pos_emb.z");
    for (std::size_t k = 0; k < dz.size(); ++k) gz[k] += dz[k];
  }
};

// Any registry mixer through its reference, on Named tensors. cache: 0 = nothing (u is passed back in).
template <class T>
struct Reference final : Kernel<T> {
  model::LayerMixer mixer;
  model::MixerMath<T> math;
  explicit Reference(const model::LayerMixer& m) : mixer(m), math(model::registry_math<T>(m)) {}

  Named<T> inputs(const typename Kernel<T>::Params& p, std::int64_t B, std::int64_t T_, const T* u) const {
    Named<T> in;
    for (const auto& s : mixer.tensors(B, T_)) {
      if (s.role == Role::output) continue;
      Tensor<T> t(s.shape);
      const T* src = s.role == Role::input ? u : p(s.name);
      std::copy(src, src + t.numel(), t.data());
      in.emplace(s.name, std::move(t));
    }
    return in;
  }
  void forward(const typename Kernel<T>::Params& p, std::int64_t B, std::int64_t T_, const T* u, T* y,
               typename Kernel<T>::Cache&, const Dropout&, std::int64_t) const override {
    Named<T> out{{"y", Tensor<T>({B, T_, mixer.tensors(1, 1).back().shape.back()})}};
    math.forward(B, T_, p.tokens, inputs(p, B, T_, u), out);
    std::copy(out.at("y").data(), out.at("y").data() + out.at("y").numel(), y);
  }
  void backward(const typename Kernel<T>::Params& p, std::int64_t B, std::int64_t T_, const T* u, const T* dy, T* du,
                typename Kernel<T>::Grads& g, typename Kernel<T>::Cache&, const Dropout&,
                std::int64_t) const override {
    const Named<T> in = inputs(p, B, T_, u);
    Tensor<T> dyt(in.at("u").shape());
    std::copy(dy, dy + dyt.numel(), dyt.data());
    Named<T> d_in;
    math.backward(B, T_, p.tokens, in, {{"y", std::move(dyt)}}, d_in);
    for (const auto& [name, t] : d_in) {
      if (name == "u") {
        std::copy(t.data(), t.data() + t.numel(), du);
        continue;
      }
      T* dst = g(name);
      for (std::int64_t k = 0; k < t.numel(); ++k) dst[k] += t.data()[k];
    }
  }
  bool has_auxiliary_loss() const override { return static_cast<bool>(math.aux_loss); }
  T auxiliary_loss(const typename Kernel<T>::Params& p, std::int64_t B, std::int64_t T_, const T* u) const override {
    return math.aux_loss(B, T_, p.tokens, inputs(p, B, T_, u));
  }
  // The reference adds into Named tensors: start them at zero, then add them into du and g.
  void auxiliary_backward(const typename Kernel<T>::Params& p, std::int64_t B, std::int64_t T_, const T* u,
                          const T& scale, T* du, typename Kernel<T>::Grads& g) const override {
    Named<T> in = inputs(p, B, T_, u), d_in;
    for (const auto& [name, t] : in) d_in.emplace(name, Tensor<T>(t.shape(), T(0)));
    math.aux_backward(B, T_, p.tokens, in, scale, d_in);
    for (const auto& [name, t] : d_in) {
      T* dst = name == "u" ? du : g(name);
      for (std::int64_t k = 0; k < t.numel(); ++k) dst[k] += t.data()[k];
    }
  }
};

}  // namespace kernel_detail

template <class T>
const T* Kernel<T>::Params::operator()(const std::string& name) const {
  const auto it = all->find(prefix + name);
  require<ShapeError>(it != all->end(), "train: parameter '", prefix, name, "' missing");
  return it->second.data();
}
template <class T>
T* Kernel<T>::Grads::operator()(const std::string& name) const {
  const auto it = all->find(prefix + name);
  require<ShapeError>(it != all->end(), "train: gradient buffer '", prefix, name, "' missing");
  return it->second.data();
}

template <class T>
std::unique_ptr<Kernel<T>> make_kernel(const model::LayerMixer& m) {
  using namespace kernel_detail;
  if (const auto p = m.problem<mixers::mha::Problem>(1, 1)) return std::make_unique<Attention<T>>(p->d, p->heads, -1);
  if (const auto p = m.problem<mixers::sliding_attn::Problem>(1, 1))
    return std::make_unique<Attention<T>>(p->d, 1, p->window);
  if (const auto p = m.problem<mixers::base_conv::Problem>(1, 1)) return std::make_unique<BaseConv<T>>(*p);
  return std::make_unique<Reference<T>>(m);
}

}  // namespace menagerie::train
