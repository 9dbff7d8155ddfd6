// JRT-RNN's prefix linear attention by its definition; see core/mixers/jrt.hpp for the math.
//   forward:  q, k, v = u Wq^T, u Wk^T, u Wv^T;  ke, ve = u Wke^T, u Wve^T (rows j < M read);
//             per (b, h, t): A[t, s] = phi(q_t).phi(k_s) (s <= t),  E[t, j] = phi(q_t).phi(ke_j) (j < M),
//             den_t = sum_s A + sum_j E + eps,  o_t = (sum_s A v_s + sum_j E ve_j) / den_t;  y = o Wout^T
//   backward (dO_t = (dy Wout)_t):  dA[t, s] = (dO_t.v_s - dO_t.o_t) / den_t,  dE[t, j] = (dO_t.ve_j - dO_t.o_t) / den_t;
//             dv_s = sum_{t>=s} A[t, s] dO_t / den_t,  dve_j = sum_t E[t, j] dO_t / den_t;
//             dphi(q_t) = sum_s dA phi(k_s) + sum_j dE phi(ke_j),  dphi(k_s) = sum_t dA phi(q_t),
//             dphi(ke_j) = sum_t dE phi(q_t);  through phi (TaylorExp) to dq, dk, dke;
//             du = dq Wq + dk Wk + dv Wv + dke Wke + dve Wve (the last two on rows < M), dW = dx^T u.
//   recurrent: (S, z) = (sum_{j<M} phi(ke_j) ve_j^T, sum_{j<M} phi(ke_j)), then linear_attention's step per token.
// The encoder projections are applied to every row for simplicity; rows j >= M are never read.
#include "reference/jrt.hpp"

#include "reference/instantiate.hpp"
#include "reference/linear.hpp"
#include "reference/linear_attention.hpp"
#include "reference/scalar.hpp"

namespace menagerie::mixers::jrt {

namespace {

namespace la = ops::linear_attention;

struct Part {
  const char* x;       // the projected tensor
  const char* weight;  // its projection
  bool head_dim;       // last axis Dv (values) rather than f (keys, queries)
};
constexpr Part parts[] = {{"q", "proj_q.weight", false},        {"k", "proj_k.weight", false},
                          {"v", "proj_v.weight", true},         {"ke", "proj_k_enc.weight", false},
                          {"ve", "proj_v_enc.weight", true}};

// q, k, v, ke, ve [B, T, H, .] from u.
template <class T>
Named<T> project(const Problem& p, const Named<T>& in) {
  const auto& u = get(in, "u", {p.B, p.T, p.d});
  Named<T> x;
  for (const auto& [name, w, value] : parts) {
    const std::int64_t rows = value ? p.d : p.heads * p.f;
    x.emplace(name, ref::linear(u, get(in, w, {rows, p.d})).reshaped({p.B, p.T, p.heads, rows / p.heads}));
  }
  return x;
}

template <class T>
T dot(const std::vector<T>& a, const std::vector<T>& b) {
  T acc = T(0);
  for (std::size_t i = 0; i < a.size(); ++i) acc += a[i] * b[i];
  return acc;
}

// phi of rows x[b, 0..n-1, h, :]: [n][F'].
template <class T>
std::vector<std::vector<T>> features(const Problem& p, const Tensor<T>& x, std::int64_t b, std::int64_t h,
                                     std::int64_t n) {
  std::vector<std::vector<T>> out;
  for (std::int64_t t = 0; t < n; ++t) out.push_back(la::apply_feature_map(attention_problem(p), &x(b, t, h, 0)));
  return out;
}

// dx [f] += (d phi / dx)^T dphi for TaylorExp, phi(x) = [1, x / f^{1/4}, vec(x x^T) / (sqrt(2) sqrt(f))].
template <class T>
void taylor_backward(const Problem& p, const T* x, const std::vector<T>& dphi, T* dx) {
  using namespace menagerie::ref;
  const T r2 = sqrt(T(2)), rd = sqrt(T(p.f)), rrd = sqrt(rd);
  const auto at = [&](std::int64_t i) { return dphi[static_cast<std::size_t>(i)]; };
  for (std::int64_t m = 0; m < p.f; ++m) {
    T acc = at(1 + m) / rrd;
    for (std::int64_t j = 0; j < p.f; ++j) acc += (at(1 + p.f + m * p.f + j) + at(1 + p.f + j * p.f + m)) * x[j] / r2 / rd;
    dx[m] += acc;
  }
}

// o [B, T, H, Dv] by the quadratic view.
template <class T>
Tensor<T> attend(const Problem& p, const Named<T>& x) {
  const auto &q = x.at("q"), &k = x.at("k"), &v = x.at("v"), &ke = x.at("ke"), &ve = x.at("ve");
  const std::int64_t Dv = p.head_dim();
  Tensor<T> o({p.B, p.T, p.heads, Dv});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.heads; ++h) {
      const auto pq = features(p, q, b, h, p.T), pk = features(p, k, b, h, p.T), pe = features(p, ke, b, h, p.prefix());
      for (std::int64_t t = 0; t < p.T; ++t) {
        std::vector<T> num(static_cast<std::size_t>(Dv), T(0));
        T den = T(0);
        for (std::int64_t j = 0; j < p.prefix(); ++j) {
          const T e = dot(pq[t], pe[j]);
          den += e;
          for (std::int64_t c = 0; c < Dv; ++c) num[c] += e * ve(b, j, h, c);
        }
        for (std::int64_t s = 0; s <= t; ++s) {
          const T a = dot(pq[t], pk[s]);
          den += a;
          for (std::int64_t c = 0; c < Dv; ++c) num[c] += a * v(b, s, h, c);
        }
        for (std::int64_t c = 0; c < Dv; ++c) o(b, t, h, c) = num[c] / (den + T(p.eps));
      }
    }
  return o;
}

// y = o Wout^T, with o [B, T, H, Dv] read as [B, T, d] ('b h l d -> b l (h d)').
template <class T>
void output(const Problem& p, const Named<T>& in, const Tensor<T>& o, Named<T>& out) {
  get(out, "y", {p.B, p.T, p.d}) = ref::linear(o.reshaped({p.B, p.T, p.d}), get(in, "out_proj.weight", {p.d, p.d}));
}

}  // namespace

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  output(p, in, attend(p, project(p, in)), out);
}

template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto x = project(p, in);
  const auto ap = attention_problem(p);
  const std::int64_t Fp = ap.expanded_dim(), Dv = p.head_dim();
  auto state = la::initial_state<T>(ap);
  for (std::int64_t j = 0; j < p.prefix(); ++j)  // the encoder: one pass over the prefix
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t h = 0; h < p.heads; ++h) {
        const auto pe = la::apply_feature_map(ap, &x.at("ke")(b, j, h, 0));
        for (std::int64_t i = 0; i < Fp; ++i) {
          state.z(b, h, i) += pe[i];
          for (std::int64_t c = 0; c < Dv; ++c) state.S(b, h, i, c) += pe[i] * x.at("ve")(b, j, h, c);
        }
      }
  Tensor<T> o({p.B, p.T, p.heads, Dv}), o_t({p.B, p.heads, Dv});
  for (std::int64_t t = 0; t < p.T; ++t) {  // the decoder, from the encoder's state, token by token
    la::reference_step(ap, state, to_tensor(x.at("q").view().select(1, t)), to_tensor(x.at("k").view().select(1, t)),
                       to_tensor(x.at("v").view().select(1, t)), o_t);
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t h = 0; h < p.heads; ++h)
        for (std::int64_t c = 0; c < Dv; ++c) o(b, t, h, c) = o_t(b, h, c);
  }
  output(p, in, o, out);
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  p.validate();
  const auto& u = get(in, "u", {p.B, p.T, p.d});
  const auto& Wo = get(in, "out_proj.weight", {p.d, p.d});
  const auto& dy = get(d_out, "y", {p.B, p.T, p.d});
  const auto x = project(p, in);
  const auto o = attend(p, x);
  Tensor<T> dWo({p.d, p.d}, T(0));
  const Tensor<T> dO = ref::linear_backward(o.reshaped({p.B, p.T, p.d}), Wo, dy, dWo)
                           .reshaped({p.B, p.T, p.heads, p.head_dim()});
  const auto &q = x.at("q"), &k = x.at("k"), &v = x.at("v"), &ke = x.at("ke"), &ve = x.at("ve");
  Named<T> dx;
  for (const auto& [name, w, value] : parts) dx.emplace(name, Tensor<T>(x.at(name).shape(), T(0)));
  auto &dq = dx.at("q"), &dk = dx.at("k"), &dv = dx.at("v"), &dke = dx.at("ke"), &dve = dx.at("ve");
  const std::int64_t Dv = p.head_dim();
  const auto Fp = static_cast<std::size_t>(attention_problem(p).expanded_dim());
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.heads; ++h) {
      const auto pq = features(p, q, b, h, p.T), pk = features(p, k, b, h, p.T), pe = features(p, ke, b, h, p.prefix());
      std::vector<std::vector<T>> dpk(static_cast<std::size_t>(p.T), std::vector<T>(Fp, T(0)));
      std::vector<std::vector<T>> dpe(static_cast<std::size_t>(p.prefix()), std::vector<T>(Fp, T(0)));
      for (std::int64_t t = 0; t < p.T; ++t) {
        T den = T(0), dO_o = T(0);
        for (std::int64_t j = 0; j < p.prefix(); ++j) den += dot(pq[t], pe[j]);
        for (std::int64_t s = 0; s <= t; ++s) den += dot(pq[t], pk[s]);
        den += T(p.eps);
        for (std::int64_t c = 0; c < Dv; ++c) dO_o += dO(b, t, h, c) * o(b, t, h, c);
        std::vector<T> dpq(Fp, T(0));
        // One attended row (weight a, value row `val`): its share of dv / dve and of dphi(q_t), dphi(key).
        const auto attend_back = [&](const std::vector<T>& key, const Tensor<T>& val, Tensor<T>& dval, std::int64_t s,
                                     std::vector<T>& dkey) {
          const T a = dot(pq[t], key);
          T dO_v = T(0);
          for (std::int64_t c = 0; c < Dv; ++c) {
            dO_v += dO(b, t, h, c) * val(b, s, h, c);
            dval(b, s, h, c) += a * dO(b, t, h, c) / den;
          }
          const T dA = (dO_v - dO_o) / den;
          for (std::size_t i = 0; i < Fp; ++i) {
            dpq[i] += dA * key[i];
            dkey[i] += dA * pq[t][i];
          }
        };
        for (std::int64_t j = 0; j < p.prefix(); ++j) attend_back(pe[j], ve, dve, j, dpe[j]);
        for (std::int64_t s = 0; s <= t; ++s) attend_back(pk[s], v, dv, s, dpk[s]);
        taylor_backward(p, &q(b, t, h, 0), dpq, &dq(b, t, h, 0));
      }
      for (std::int64_t s = 0; s < p.T; ++s) taylor_backward(p, &k(b, s, h, 0), dpk[s], &dk(b, s, h, 0));
      for (std::int64_t j = 0; j < p.prefix(); ++j) taylor_backward(p, &ke(b, j, h, 0), dpe[j], &dke(b, j, h, 0));
    }
  Tensor<T> du({p.B, p.T, p.d}, T(0));
  for (const auto& [name, w, value] : parts) {
    const auto& W = in.at(w);
    Tensor<T> dW(W.shape(), T(0));
    const Tensor<T> du_x = ref::linear_backward(u, W, dx.at(name).reshaped({p.B, p.T, W.size(0)}), dW);
    for (std::int64_t i = 0; i < du.numel(); ++i) du.data()[i] += du_x.data()[i];
    d_in.insert_or_assign(w, std::move(dW));
  }
  d_in.insert_or_assign("u", std::move(du));
  d_in.insert_or_assign("out_proj.weight", std::move(dWo));
}

#define INSTANTIATE(T)                                                                            \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                 \
  template void reference_forward_recurrent<T>(const Problem&, const Named<T>&, Named<T>&);       \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::mixers::jrt
