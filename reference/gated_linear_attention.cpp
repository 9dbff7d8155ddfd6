// Gated linear attention by its definition; see core/ops/gated_linear_attention.hpp for the math. Every decay
// factor exp(G_t - G_s) is evaluated from the sum of the g_j with s < j <= t alone (accumulated along t for a
// fixed s), never as a difference of two long cumulative sums: at a cumulative log decay of -1e4 that difference
// would lose about 1e4 * eps of its absolute accuracy. The naive chunked form is written the way it fails.
#include "reference/gated_linear_attention.hpp"

#include <algorithm>
#include <vector>

#include "reference/instantiate.hpp"
#include "reference/scalar.hpp"

namespace menagerie::ops::gated_linear_attention {

namespace {

template <class T>
struct Inputs {
  const Tensor<T>&q, &k, &v, &g;
};

template <class T>
Inputs<T> inputs(const Problem& p, const Named<T>& in) {
  p.validate();
  const auto s = tensors(p);
  return {get(in, "q", s[0].shape), get(in, "k", s[1].shape), get(in, "v", s[2].shape), get(in, "g", s[3].shape)};
}

// The pair weights of head (b, h) for the tokens [t0, t1): w[t][s] = sum_i q_ti k_si exp(sum_{s<j<=t} g_ji) for
// t0 <= s <= t < t1, with the exponent accumulated along t.
template <class T>
std::vector<std::vector<T>> pair_weights(const Problem& p, const Inputs<T>& x, std::int64_t b, std::int64_t h,
                                         std::int64_t t0, std::int64_t t1) {
  using namespace menagerie::ref;
  std::vector<std::vector<T>> w(static_cast<std::size_t>(t1 - t0), std::vector<T>(static_cast<std::size_t>(t1 - t0), T(0)));
  std::vector<T> e(static_cast<std::size_t>(p.Dk));
  for (std::int64_t s = t0; s < t1; ++s) {
    std::fill(e.begin(), e.end(), T(0));
    for (std::int64_t t = s; t < t1; ++t) {
      T a = T(0);
      for (std::int64_t i = 0; i < p.Dk; ++i) {
        if (t > s) e[i] += x.g(b, t, h, i);
        a += x.q(b, t, h, i) * x.k(b, s, h, i) * exp(e[i]);
      }
      w[t - t0][s - t0] = a;
    }
  }
  return w;
}

}  // namespace

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  const auto x = inputs(p, in);
  auto& o = get(out, "o", tensors(p)[4].shape);
  const T scale = T(p.scale);
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.H; ++h) {
      const auto w = pair_weights(p, x, b, h, 0, p.T);
      for (std::int64_t t = 0; t < p.T; ++t)
        for (std::int64_t e = 0; e < p.Dv; ++e) {
          T acc = T(0);
          for (std::int64_t s = 0; s <= t; ++s) acc += w[t][s] * x.v(b, s, h, e);
          o(b, t, h, e) = scale * acc;
        }
    }
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  using namespace menagerie::ref;
  const auto x = inputs(p, in);
  const auto specs = tensors(p);
  const auto& dO = get(d_out, "o", specs[4].shape);
  Tensor<T> dq(specs[0].shape, T(0)), dk(specs[1].shape, T(0)), dv(specs[2].shape, T(0)), dg(specs[3].shape, T(0));
  const T scale = T(p.scale);
  std::vector<T> e(static_cast<std::size_t>(p.Dk));
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.H; ++h) {
      const auto w = pair_weights(p, x, b, h, 0, p.T);
      for (std::int64_t s = 0; s < p.T; ++s) {
        std::fill(e.begin(), e.end(), T(0));
        for (std::int64_t t = s; t < p.T; ++t) {
          T dA = T(0);  // scale dO_t . v_s
          for (std::int64_t c = 0; c < p.Dv; ++c) {
            dA += dO(b, t, h, c) * x.v(b, s, h, c);
            dv(b, s, h, c) += scale * w[t][s] * dO(b, t, h, c);
          }
          dA *= scale;
          for (std::int64_t i = 0; i < p.Dk; ++i) {
            if (t > s) e[i] += x.g(b, t, h, i);
            const T f = dA * exp(e[i]);
            dq(b, t, h, i) += f * x.k(b, s, h, i);
            dk(b, s, h, i) += f * x.q(b, t, h, i);
          }
        }
      }
      // dG = q dq - k dk; g_t enters every G_t' with t' >= t.
      for (std::int64_t i = 0; i < p.Dk; ++i) {
        T acc = T(0);
        for (std::int64_t t = p.T - 1; t >= 0; --t) {
          acc += x.q(b, t, h, i) * dq(b, t, h, i) - x.k(b, t, h, i) * dk(b, t, h, i);
          dg(b, t, h, i) = acc;
        }
      }
    }
  d_in.insert_or_assign("q", std::move(dq));
  d_in.insert_or_assign("k", std::move(dk));
  d_in.insert_or_assign("v", std::move(dv));
  d_in.insert_or_assign("g", std::move(dg));
}

template <class T>
void reference_forward_chunked(const Problem& p, const Named<T>& in, Named<T>& out, std::int64_t chunk,
                               ChunkForm form) {
  using namespace menagerie::ref;
  require<ShapeError>(chunk >= 1, "gated_linear_attention: chunk = ", chunk, " tokens, expected >= 1");
  const auto x = inputs(p, in);
  auto& o = get(out, "o", tensors(p)[4].shape);
  const T scale = T(p.scale);
  const std::int64_t Dk = p.Dk, Dv = p.Dv;
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.H; ++h) {
      std::vector<T> S(static_cast<std::size_t>(Dk * Dv), T(0));  // [Dk, Dv]
      for (std::int64_t t0 = 0; t0 < p.T; t0 += chunk) {
        const std::int64_t t1 = std::min(p.T, t0 + chunk), n = t1 - t0;
        // G[t][i]: log decay from the chunk's start through t (a sum over at most `chunk` tokens).
        std::vector<std::vector<T>> G(static_cast<std::size_t>(n), std::vector<T>(static_cast<std::size_t>(Dk)));
        for (std::int64_t i = 0; i < Dk; ++i) {
          T acc = T(0);
          for (std::int64_t t = t0; t < t1; ++t) G[t - t0][i] = acc += x.g(b, t, h, i);
        }
        std::vector<std::vector<T>> w;
        if (form == ChunkForm::stable) {
          w = pair_weights(p, x, b, h, t0, t1);
        } else {  // (q_t exp(G_t)) . (k_s exp(-G_s))
          w.assign(static_cast<std::size_t>(n), std::vector<T>(static_cast<std::size_t>(n), T(0)));
          for (std::int64_t t = 0; t < n; ++t)
            for (std::int64_t s = 0; s <= t; ++s)
              for (std::int64_t i = 0; i < Dk; ++i)
                w[t][s] += x.q(b, t0 + t, h, i) * exp(G[t][i]) * (x.k(b, t0 + s, h, i) * exp(-G[s][i]));
        }
        for (std::int64_t t = 0; t < n; ++t)
          for (std::int64_t e = 0; e < Dv; ++e) {
            T acc = T(0);
            for (std::int64_t i = 0; i < Dk; ++i) acc += x.q(b, t0 + t, h, i) * exp(G[t][i]) * S[i * Dv + e];
            for (std::int64_t s = 0; s <= t; ++s) acc += w[t][s] * x.v(b, t0 + s, h, e);
            o(b, t0 + t, h, e) = scale * acc;
          }
        // S_C = diag(exp(G_C)) S_0 + sum_s (k_s exp(G_C - G_s)) v_s^T; the stable form sums g over (s, C].
        for (std::int64_t i = 0; i < Dk; ++i) {
          const T decay = exp(G[n - 1][i]);
          for (std::int64_t e = 0; e < Dv; ++e) S[i * Dv + e] *= decay;
          T tail = T(0);  // sum_{s<j<=C} g_j, built from the chunk's end backwards
          for (std::int64_t s = n - 1; s >= 0; --s) {
            const T f = form == ChunkForm::stable ? exp(tail) : exp(G[n - 1][i]) * exp(-G[s][i]);
            for (std::int64_t e = 0; e < Dv; ++e) S[i * Dv + e] += x.k(b, t0 + s, h, i) * f * x.v(b, t0 + s, h, e);
            tail += x.g(b, t0 + s, h, i);
          }
        }
      }
    }
}

template <class T>
State<T> initial_state(const Problem& p) {
  p.validate();
  return {Tensor<T>({p.B, p.H, p.Dk, p.Dv}, T(0))};
}

template <class T>
void reference_step(const Problem& p, State<T>& state, const Tensor<T>& q_t, const Tensor<T>& k_t,
                    const Tensor<T>& v_t, const Tensor<T>& g_t, Tensor<T>& o_t) {
  using namespace menagerie::ref;
  const T scale = T(p.scale);
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.H; ++h) {
      for (std::int64_t i = 0; i < p.Dk; ++i) {
        const T a = exp(g_t(b, h, i));
        for (std::int64_t e = 0; e < p.Dv; ++e)
          state.S(b, h, i, e) = a * state.S(b, h, i, e) + k_t(b, h, i) * v_t(b, h, e);
      }
      for (std::int64_t e = 0; e < p.Dv; ++e) {
        T acc = T(0);
        for (std::int64_t i = 0; i < p.Dk; ++i) acc += state.S(b, h, i, e) * q_t(b, h, i);
        o_t(b, h, e) = scale * acc;
      }
    }
}

template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out) {
  const auto x = inputs(p, in);
  auto& o = get(out, "o", tensors(p)[4].shape);
  auto state = initial_state<T>(p);
  Tensor<T> q_t({p.B, p.H, p.Dk}), k_t({p.B, p.H, p.Dk}), g_t({p.B, p.H, p.Dk}), v_t({p.B, p.H, p.Dv}),
      o_t({p.B, p.H, p.Dv});
  for (std::int64_t t = 0; t < p.T; ++t) {
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t h = 0; h < p.H; ++h) {
        for (std::int64_t i = 0; i < p.Dk; ++i) {
          q_t(b, h, i) = x.q(b, t, h, i);
          k_t(b, h, i) = x.k(b, t, h, i);
          g_t(b, h, i) = x.g(b, t, h, i);
        }
        for (std::int64_t e = 0; e < p.Dv; ++e) v_t(b, h, e) = x.v(b, t, h, e);
      }
    reference_step(p, state, q_t, k_t, v_t, g_t, o_t);
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
                                  const Tensor<T>&, Tensor<T>&);                                                  \
  template void reference_forward_recurrent<T>(const Problem&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::gated_linear_attention
