// The gated delta rule by its definition; see core/ops/delta_rule.hpp for the math. The chunked (UT) form solves
// for the pseudo-values u_t by forward substitution, (I + A) U = R, which is the WY representation's
// (I + A)^{-1} applied without forming the inverse; its decay factors exp(G_t - G_s) are sums of the g_j with
// s < j <= t alone, accumulated along t. The naive form multiplies exp(G_t) by exp(-G_s) as it fails. The backward
// runs the recurrence in reverse over the recomputed states.
#include "reference/delta_rule.hpp"

#include <algorithm>
#include <vector>

#include "reference/instantiate.hpp"
#include "reference/scalar.hpp"

namespace menagerie::ops::delta_rule {

namespace {

template <class T>
struct Inputs {
  const Tensor<T>&q, &k, &v, &beta, &g;
};

template <class T>
Inputs<T> inputs(const Problem& p, const Named<T>& in) {
  p.validate();
  const auto s = tensors(p);
  return {get(in, "q", s[0].shape), get(in, "k", s[1].shape), get(in, "v", s[2].shape), get(in, "beta", s[3].shape),
          get(in, "g", s[4].shape)};
}

template <class T>
using Matrix = std::vector<std::vector<T>>;

template <class T>
Matrix<T> matrix(std::int64_t rows, std::int64_t cols) {
  return Matrix<T>(static_cast<std::size_t>(rows), std::vector<T>(static_cast<std::size_t>(cols), T(0)));
}

// The chunked form over chunks of `chunk` tokens for head (b, h); o [B, T, H, Dv] written.
template <class T>
void chunked(const Problem& p, const Inputs<T>& x, Tensor<T>& o, std::int64_t b, std::int64_t h, std::int64_t chunk,
             ChunkForm form) {
  using namespace menagerie::ref;
  const std::int64_t Dk = p.Dk, Dv = p.Dv;
  const T scale = T(p.scale);
  auto S = matrix<T>(Dv, Dk);
  for (std::int64_t t0 = 0; t0 < p.T; t0 += chunk) {
    const std::int64_t n = std::min(p.T, t0 + chunk) - t0;
    const auto kk = [&](std::int64_t t, std::int64_t s, const Tensor<T>& y) {  // k_{t0+t} . y_{t0+s}
      T acc = T(0);
      for (std::int64_t i = 0; i < Dk; ++i) acc += x.k(b, t0 + t, h, i) * y(b, t0 + s, h, i);
      return acc;
    };
    // eG[t] = exp(G_t) from the chunk's start; E[t][s] = exp(G_t - G_s), s <= t.
    std::vector<T> G(static_cast<std::size_t>(n)), eG(static_cast<std::size_t>(n));
    T acc = T(0);
    for (std::int64_t t = 0; t < n; ++t) {
      G[t] = acc += x.g(b, t0 + t, h);
      eG[t] = exp(G[t]);
    }
    auto E = matrix<T>(n, n);
    for (std::int64_t s = 0; s < n; ++s) {
      T seg = T(0);
      for (std::int64_t t = s; t < n; ++t) {
        if (t > s) seg += x.g(b, t0 + t, h);
        E[t][s] = form == ChunkForm::stable ? exp(seg) : eG[t] * exp(-G[s]);
      }
    }
    // u_t = beta_t (v_t - exp(G_t) S_0 k_t) - beta_t sum_{s<t} E[t][s] (k_t . k_s) u_s.
    auto U = matrix<T>(n, Dv);
    for (std::int64_t t = 0; t < n; ++t) {
      const T bt = x.beta(b, t0 + t, h);
      for (std::int64_t e = 0; e < Dv; ++e) {
        T sk = T(0);
        for (std::int64_t i = 0; i < Dk; ++i) sk += S[e][i] * x.k(b, t0 + t, h, i);
        U[t][e] = bt * (x.v(b, t0 + t, h, e) - eG[t] * sk);
      }
      for (std::int64_t s = 0; s < t; ++s) {
        const T a = bt * E[t][s] * kk(t, s, x.k);
        for (std::int64_t e = 0; e < Dv; ++e) U[t][e] -= a * U[s][e];
      }
    }
    // o_t = scale [exp(G_t) S_0 q_t + sum_{s<=t} E[t][s] (k_s . q_t) u_s].
    for (std::int64_t t = 0; t < n; ++t) {
      std::vector<T> w(static_cast<std::size_t>(t + 1));
      for (std::int64_t s = 0; s <= t; ++s) w[s] = E[t][s] * kk(s, t, x.q);
      for (std::int64_t e = 0; e < Dv; ++e) {
        T y = T(0);
        for (std::int64_t i = 0; i < Dk; ++i) y += S[e][i] * x.q(b, t0 + t, h, i);
        y *= eG[t];
        for (std::int64_t s = 0; s <= t; ++s) y += w[s] * U[s][e];
        o(b, t0 + t, h, e) = scale * y;
      }
    }
    // S_C = exp(G_C) S_0 + sum_s E[C][s] u_s k_s^T.
    for (std::int64_t e = 0; e < Dv; ++e)
      for (std::int64_t i = 0; i < Dk; ++i) {
        T y = eG[n - 1] * S[e][i];
        for (std::int64_t s = 0; s < n; ++s) y += E[n - 1][s] * U[s][e] * x.k(b, t0 + s, h, i);
        S[e][i] = y;
      }
  }
}

// One token of head (b, h) on S [Dv, Dk]: S <- a S; u = beta (v - S k); S += u k^T.
template <class T>
void update(const Problem& p, Matrix<T>& S, const T* k, const T* v, const T& beta, const T& g) {
  using namespace menagerie::ref;
  const T a = exp(g);
  for (std::int64_t e = 0; e < p.Dv; ++e) {
    T sk = T(0);
    for (std::int64_t i = 0; i < p.Dk; ++i) sk += (S[e][i] *= a) * k[i];
    const T u = beta * (v[e] - sk);
    for (std::int64_t i = 0; i < p.Dk; ++i) S[e][i] += u * k[i];
  }
}

}  // namespace

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  reference_forward_chunked(p, in, out, p.T, ChunkForm::stable);
}

template <class T>
void reference_forward_chunked(const Problem& p, const Named<T>& in, Named<T>& out, std::int64_t chunk,
                               ChunkForm form) {
  require<ShapeError>(chunk >= 1, "delta_rule: chunk = ", chunk, " tokens, expected >= 1");
  const auto x = inputs(p, in);
  auto& o = get(out, "o", tensors(p)[5].shape);
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.H; ++h) chunked(p, x, o, b, h, chunk, form);
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  using namespace menagerie::ref;
  const auto x = inputs(p, in);
  const auto specs = tensors(p);
  const auto& dO = get(d_out, "o", specs[5].shape);
  Tensor<T> dq(specs[0].shape, T(0)), dk(specs[1].shape, T(0)), dv(specs[2].shape, T(0)), db(specs[3].shape, T(0)),
      dg(specs[4].shape, T(0));
  const T scale = T(p.scale);
  const std::int64_t Dk = p.Dk, Dv = p.Dv;
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.H; ++h) {
      std::vector<Matrix<T>> S(static_cast<std::size_t>(p.T + 1), matrix<T>(Dv, Dk));  // S[t + 1] = S_t
      for (std::int64_t t = 0; t < p.T; ++t) {
        S[t + 1] = S[t];
        update(p, S[t + 1], &x.k(b, t, h, 0), &x.v(b, t, h, 0), x.beta(b, t, h), x.g(b, t, h));
      }
      auto dS = matrix<T>(Dv, Dk);
      for (std::int64_t t = p.T - 1; t >= 0; --t) {
        const auto& St = S[t + 1];
        const auto& P = S[t];
        const T a = exp(x.g(b, t, h)), bt = x.beta(b, t, h);
        for (std::int64_t e = 0; e < Dv; ++e)
          for (std::int64_t i = 0; i < Dk; ++i) {
            dS[e][i] += scale * dO(b, t, h, e) * x.q(b, t, h, i);
            dq(b, t, h, i) += scale * St[e][i] * dO(b, t, h, e);
          }
        std::vector<T> Pk(static_cast<std::size_t>(Dv), T(0)), dSk(static_cast<std::size_t>(Dv), T(0));
        for (std::int64_t e = 0; e < Dv; ++e)
          for (std::int64_t i = 0; i < Dk; ++i) {
            Pk[e] += P[e][i] * x.k(b, t, h, i);
            dSk[e] += dS[e][i] * x.k(b, t, h, i);
          }
        T dbeta = T(0), dP_inner = T(0), dSk_Pk = T(0);
        for (std::int64_t e = 0; e < Dv; ++e) {
          dbeta += (x.v(b, t, h, e) - a * Pk[e]) * dSk[e];
          dSk_Pk += dSk[e] * Pk[e];
          for (std::int64_t i = 0; i < Dk; ++i) dP_inner += dS[e][i] * P[e][i];
          dv(b, t, h, e) = bt * dSk[e];
        }
        db(b, t, h) = dbeta;
        dg(b, t, h) = a * (dP_inner - bt * dSk_Pk);
        for (std::int64_t i = 0; i < Dk; ++i) {
          T acc = T(0);
          for (std::int64_t e = 0; e < Dv; ++e)
            acc += dS[e][i] * (x.v(b, t, h, e) - a * Pk[e]) - a * P[e][i] * dSk[e];
          dk(b, t, h, i) = bt * acc;
        }
        for (std::int64_t e = 0; e < Dv; ++e)
          for (std::int64_t i = 0; i < Dk; ++i) dS[e][i] = a * (dS[e][i] - bt * dSk[e] * x.k(b, t, h, i));
      }
    }
  d_in.insert_or_assign("q", std::move(dq));
  d_in.insert_or_assign("k", std::move(dk));
  d_in.insert_or_assign("v", std::move(dv));
  d_in.insert_or_assign("beta", std::move(db));
  d_in.insert_or_assign("g", std::move(dg));
}

template <class T>
State<T> initial_state(const Problem& p) {
  p.validate();
  return {Tensor<T>({p.B, p.H, p.Dv, p.Dk}, T(0))};
}

template <class T>
void reference_step(const Problem& p, State<T>& state, const Tensor<T>& q_t, const Tensor<T>& k_t,
                    const Tensor<T>& v_t, const Tensor<T>& beta_t, const Tensor<T>& g_t, Tensor<T>& o_t) {
  const T scale = T(p.scale);
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.H; ++h) {
      auto S = matrix<T>(p.Dv, p.Dk);
      for (std::int64_t e = 0; e < p.Dv; ++e)
        for (std::int64_t i = 0; i < p.Dk; ++i) S[e][i] = state.S(b, h, e, i);
      update(p, S, &k_t(b, h, 0), &v_t(b, h, 0), beta_t(b, h), g_t(b, h));
      for (std::int64_t e = 0; e < p.Dv; ++e) {
        T acc = T(0);
        for (std::int64_t i = 0; i < p.Dk; ++i) acc += (state.S(b, h, e, i) = S[e][i]) * q_t(b, h, i);
        o_t(b, h, e) = scale * acc;
      }
    }
}

template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out) {
  const auto x = inputs(p, in);
  auto& o = get(out, "o", tensors(p)[5].shape);
  auto state = initial_state<T>(p);
  Tensor<T> q_t({p.B, p.H, p.Dk}), k_t({p.B, p.H, p.Dk}), v_t({p.B, p.H, p.Dv}), beta_t({p.B, p.H}), g_t({p.B, p.H}),
      o_t({p.B, p.H, p.Dv});
  for (std::int64_t t = 0; t < p.T; ++t) {
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t h = 0; h < p.H; ++h) {
        for (std::int64_t i = 0; i < p.Dk; ++i) {
          q_t(b, h, i) = x.q(b, t, h, i);
          k_t(b, h, i) = x.k(b, t, h, i);
        }
        for (std::int64_t e = 0; e < p.Dv; ++e) v_t(b, h, e) = x.v(b, t, h, e);
        beta_t(b, h) = x.beta(b, t, h);
        g_t(b, h) = x.g(b, t, h);
      }
    reference_step(p, state, q_t, k_t, v_t, beta_t, g_t, o_t);
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t h = 0; h < p.H; ++h)
        for (std::int64_t e = 0; e < p.Dv; ++e) o(b, t, h, e) = o_t(b, h, e);
  }
}

#define INSTANTIATE(T)                                                                                            \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                                 \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);               \
  template void reference_forward_chunked<T>(const Problem&, const Named<T>&, Named<T>&, std::int64_t, ChunkForm); \
  template State<T> initial_state<T>(const Problem&);                                                             \
  template void reference_step<T>(const Problem&, State<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, \
                                  const Tensor<T>&, const Tensor<T>&, Tensor<T>&);                                \
  template void reference_forward_recurrent<T>(const Problem&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::delta_rule
