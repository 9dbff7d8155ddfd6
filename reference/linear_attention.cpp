// Causal linear attention by its definition; see core/ops/linear_attention.hpp for the math. The quadratic form
// builds A[t, s] = phi(q_t) . phi(k_s) explicitly; the recurrent form carries (S, z) from token to token.
#include "reference/linear_attention.hpp"

#include "reference/instantiate.hpp"
#include "reference/scalar.hpp"

namespace menagerie::ops::linear_attention {

template <class T>
std::vector<T> apply_feature_map(const Problem& p, const T* x) {
  using namespace menagerie::ref;
  if (p.feature_map == FeatureMap::identity) return std::vector<T>(x, x + p.F);
  const T r2 = sqrt(T(2)), rd = sqrt(T(p.F)), rrd = sqrt(rd);
  std::vector<T> phi(static_cast<std::size_t>(p.expanded_dim()));
  phi[0] = T(1);
  for (std::int64_t i = 0; i < p.F; ++i) phi[static_cast<std::size_t>(1 + i)] = x[i] / rrd;
  for (std::int64_t i = 0; i < p.F; ++i)
    for (std::int64_t j = 0; j < p.F; ++j) phi[static_cast<std::size_t>(1 + p.F + i * p.F + j)] = x[i] * x[j] / r2 / rd;
  return phi;
}

namespace {

// dx [F] += (d phi / dx)^T dphi for one row x [F].
template <class T>
void feature_map_backward(const Problem& p, const T* x, const std::vector<T>& dphi, T* dx) {
  using namespace menagerie::ref;
  if (p.feature_map == FeatureMap::identity) {
    for (std::int64_t m = 0; m < p.F; ++m) dx[m] += dphi[static_cast<std::size_t>(m)];
    return;
  }
  const T r2 = sqrt(T(2)), rd = sqrt(T(p.F)), rrd = sqrt(rd);
  for (std::int64_t m = 0; m < p.F; ++m) {
    T acc = dphi[static_cast<std::size_t>(1 + m)] / rrd;
    for (std::int64_t j = 0; j < p.F; ++j)
      acc += (dphi[static_cast<std::size_t>(1 + p.F + m * p.F + j)] + dphi[static_cast<std::size_t>(1 + p.F + j * p.F + m)]) *
             x[j] / r2 / rd;
    dx[m] += acc;
  }
}

template <class T>
T dot(const std::vector<T>& a, const std::vector<T>& b) {
  T acc = T(0);
  for (std::size_t i = 0; i < a.size(); ++i) acc += a[i] * b[i];
  return acc;
}

// phi of every row x[b, :, h, :] of a [B, T, H, F] tensor: [T][F'].
template <class T>
std::vector<std::vector<T>> features(const Problem& p, const Tensor<T>& x, std::int64_t b, std::int64_t h) {
  std::vector<std::vector<T>> out;
  for (std::int64_t t = 0; t < p.T; ++t) out.push_back(apply_feature_map(p, &x(b, t, h, 0)));
  return out;
}

}  // namespace

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto specs = tensors(p);
  const auto& q = get(in, "q", specs[0].shape);
  const auto& k = get(in, "k", specs[1].shape);
  const auto& v = get(in, "v", specs[2].shape);
  auto& o = get(out, "o", specs[3].shape);
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.H; ++h) {
      const auto pq = features(p, q, b, h), pk = features(p, k, b, h);
      for (std::int64_t t = 0; t < p.T; ++t) {
        std::vector<T> num(static_cast<std::size_t>(p.Dv), T(0));
        T den = T(0);
        for (std::int64_t s = 0; s <= t; ++s) {
          const T a = dot(pq[t], pk[s]);
          den += a;
          for (std::int64_t e = 0; e < p.Dv; ++e) num[e] += a * v(b, s, h, e);
        }
        for (std::int64_t e = 0; e < p.Dv; ++e) o(b, t, h, e) = p.normalize ? num[e] / (den + T(p.eps)) : num[e];
      }
    }
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  p.validate();
  const auto specs = tensors(p);
  const auto& q = get(in, "q", specs[0].shape);
  const auto& k = get(in, "k", specs[1].shape);
  const auto& v = get(in, "v", specs[2].shape);
  const auto& dO = get(d_out, "o", specs[3].shape);
  d_in.insert_or_assign("q", Tensor<T>(specs[0].shape, T(0)));
  d_in.insert_or_assign("k", Tensor<T>(specs[1].shape, T(0)));
  d_in.insert_or_assign("v", Tensor<T>(specs[2].shape, T(0)));
  auto &dq = d_in.at("q"), &dk = d_in.at("k"), &dv = d_in.at("v");
  const auto Fp = static_cast<std::size_t>(p.expanded_dim());
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.H; ++h) {
      const auto pq = features(p, q, b, h), pk = features(p, k, b, h);
      std::vector<std::vector<T>> dpk(static_cast<std::size_t>(p.T), std::vector<T>(Fp, T(0)));
      for (std::int64_t t = 0; t < p.T; ++t) {
        // den_t and dO_t . o_t (normalize), recomputed from the forward.
        T den = T(1), dO_o = T(0);
        if (p.normalize) {
          std::vector<T> num(static_cast<std::size_t>(p.Dv), T(0));
          den = T(p.eps);
          for (std::int64_t s = 0; s <= t; ++s) {
            const T a = dot(pq[t], pk[s]);
            den += a;
            for (std::int64_t e = 0; e < p.Dv; ++e) num[e] += a * v(b, s, h, e);
          }
          for (std::int64_t e = 0; e < p.Dv; ++e) dO_o += dO(b, t, h, e) * num[e] / den;
        }
        std::vector<T> dpq(Fp, T(0));
        for (std::int64_t s = 0; s <= t; ++s) {
          const T a = dot(pq[t], pk[s]);
          T dO_v = T(0);
          for (std::int64_t e = 0; e < p.Dv; ++e) {
            dO_v += dO(b, t, h, e) * v(b, s, h, e);
            dv(b, s, h, e) += a * dO(b, t, h, e) / den;
          }
          const T dA = (dO_v - dO_o) / den;
          for (std::size_t i = 0; i < Fp; ++i) {
            dpq[i] += dA * pk[s][i];
            dpk[s][i] += dA * pq[t][i];
          }
        }
        feature_map_backward(p, &q(b, t, h, 0), dpq, &dq(b, t, h, 0));
      }
      for (std::int64_t s = 0; s < p.T; ++s) feature_map_backward(p, &k(b, s, h, 0), dpk[s], &dk(b, s, h, 0));
    }
}

template <class T>
State<T> initial_state(const Problem& p) {
  p.validate();
  return {Tensor<T>({p.B, p.H, p.expanded_dim(), p.Dv}, T(0)), Tensor<T>({p.B, p.H, p.expanded_dim()}, T(0))};
}

template <class T>
void reference_step(const Problem& p, State<T>& state, const Tensor<T>& q_t, const Tensor<T>& k_t,
                    const Tensor<T>& v_t, Tensor<T>& o_t) {
  const std::int64_t Fp = p.expanded_dim();
  require<ShapeError>(q_t.shape() == Shape{p.B, p.H, p.F} && k_t.shape() == q_t.shape() &&
                          v_t.shape() == Shape{p.B, p.H, p.Dv} && o_t.shape() == v_t.shape(),
                      "linear_attention step: q_t ", shape_str(q_t.shape()), ", k_t ", shape_str(k_t.shape()), ", v_t ",
                      shape_str(v_t.shape()), ", o_t ", shape_str(o_t.shape()), ", expected [B, H, F] x2 and [B, H, Dv] x2");
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.H; ++h) {
      const auto pk = apply_feature_map(p, &k_t(b, h, 0));
      for (std::int64_t i = 0; i < Fp; ++i) {
        state.z(b, h, i) += pk[i];
        for (std::int64_t e = 0; e < p.Dv; ++e) state.S(b, h, i, e) += pk[i] * v_t(b, h, e);
      }
      const auto pq = apply_feature_map(p, &q_t(b, h, 0));
      T den = T(p.eps);
      for (std::int64_t i = 0; i < Fp; ++i) den += pq[i] * state.z(b, h, i);
      for (std::int64_t e = 0; e < p.Dv; ++e) {
        T acc = T(0);
        for (std::int64_t i = 0; i < Fp; ++i) acc += pq[i] * state.S(b, h, i, e);
        o_t(b, h, e) = p.normalize ? acc / den : acc;
      }
    }
}

template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto specs = tensors(p);
  const auto& q = get(in, "q", specs[0].shape);
  const auto& k = get(in, "k", specs[1].shape);
  const auto& v = get(in, "v", specs[2].shape);
  auto& o = get(out, "o", specs[3].shape);
  auto state = initial_state<T>(p);
  Tensor<T> o_t({p.B, p.H, p.Dv});
  for (std::int64_t t = 0; t < p.T; ++t) {
    reference_step(p, state, to_tensor(q.view().select(1, t)), to_tensor(k.view().select(1, t)),
                   to_tensor(v.view().select(1, t)), o_t);
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t h = 0; h < p.H; ++h)
        for (std::int64_t e = 0; e < p.Dv; ++e) o(b, t, h, e) = o_t(b, h, e);
  }
}

#define INSTANTIATE(T)                                                                                          \
  template std::vector<T> apply_feature_map<T>(const Problem&, const T*);                                      \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                              \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);            \
  template State<T> initial_state<T>(const Problem&);                                                          \
  template void reference_step<T>(const Problem&, State<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, \
                                  Tensor<T>&);                                                                 \
  template void reference_forward_recurrent<T>(const Problem&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::linear_attention
