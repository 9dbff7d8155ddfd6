// The WKV recurrence by its plain formula, by the kernel's stable step, and its hand-derived backward; see
// core/ops/wkv.hpp for the math.
#include "reference/wkv.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include "reference/instantiate.hpp"
#include "reference/scalar.hpp"

namespace menagerie::ops::wkv {

namespace {

// x[b, :, d] of a [B, T, D] tensor.
template <class T>
std::vector<T> column(const Tensor<T>& x, std::int64_t b, std::int64_t d) {
  std::vector<T> c(static_cast<std::size_t>(x.size(1)));
  for (std::size_t t = 0; t < c.size(); ++t) c[t] = x(b, static_cast<std::int64_t>(t), d);
  return c;
}

}  // namespace

template <class T>
State<T> initial_state(const Problem& p) {
  p.validate();
  return {Tensor<T>({p.B, p.D}, T(0)), Tensor<T>({p.B, p.D}, T(0)),
          Tensor<T>({p.B, p.D}, -std::numeric_limits<T>::infinity())};
}

template <class T>
void reference_step(const Problem& p, const Tensor<T>& time_decay, const Tensor<T>& time_first, const Tensor<T>& k_t,
                    const Tensor<T>& v_t, State<T>& s, Tensor<T>& y_t) {
  using namespace menagerie::ref;
  const Shape row = {p.B, p.D};
  require<ShapeError>(k_t.shape() == row && v_t.shape() == row && y_t.shape() == row && s.o.shape() == row,
                      "wkv step: k_t, v_t, y_t and the state must have shape ", shape_str(row));
  require<ShapeError>(time_decay.shape() == Shape{p.D} && time_first.shape() == Shape{p.D},
                      "wkv step: time_decay and time_first must have shape [", p.D, "]");
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t d = 0; d < p.D; ++d) {
      const T w = exp(time_decay(d)), k = k_t(b, d), v = v_t(b, d);
      T &P = s.p(b, d), &Q = s.q(b, d), &o = s.o(b, d);
      const T bk = time_first(d) + k;
      T m = max(o, bk);
      T e_old = exp(o - m), e_new = exp(bk - m);
      y_t(b, d) = (e_old * P + e_new * v) / (e_old * Q + e_new);
      m = max(o - w, k);
      e_old = exp(o - w - m);
      e_new = exp(k - m);
      P = e_old * P + e_new * v;
      Q = e_old * Q + e_new;
      o = m;
    }
}

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  using namespace menagerie::ref;
  p.validate();
  const auto specs = tensors(p);
  const auto& k = get(in, "k", specs[0].shape);
  const auto& v = get(in, "v", specs[1].shape);
  const auto& time_decay = get(in, "time_decay", specs[2].shape);
  const auto& time_first = get(in, "time_first", specs[3].shape);
  auto& y = get(out, "y", specs[4].shape);
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t d = 0; d < p.D; ++d) {
      const auto kc = column(k, b, d), vc = column(v, b, d);
      const T w = exp(time_decay(d));
      for (std::size_t t = 0; t < kc.size(); ++t) {
        const T bonus = exp(time_first(d) + kc[t]);
        T num = bonus * vc[t], den = bonus;
        for (std::size_t s = 0; s < t; ++s) {
          const T e = exp(-cast<T>(static_cast<double>(t - 1 - s)) * w + kc[s]);
          num += e * vc[s];
          den += e;
        }
        y(b, static_cast<std::int64_t>(t), d) = num / den;
      }
    }
}

template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto specs = tensors(p);
  const auto& k = get(in, "k", specs[0].shape);
  const auto& v = get(in, "v", specs[1].shape);
  const auto& time_decay = get(in, "time_decay", specs[2].shape);
  const auto& time_first = get(in, "time_first", specs[3].shape);
  auto& y = get(out, "y", specs[4].shape);
  auto state = initial_state<T>(p);
  Tensor<T> k_t({p.B, p.D}), v_t({p.B, p.D}), y_t({p.B, p.D});
  for (std::int64_t t = 0; t < p.T; ++t) {
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t d = 0; d < p.D; ++d) {
        k_t(b, d) = k(b, t, d);
        v_t(b, d) = v(b, t, d);
      }
    reference_step(p, time_decay, time_first, k_t, v_t, state, y_t);
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t d = 0; d < p.D; ++d) y(b, t, d) = y_t(b, d);
  }
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  using namespace menagerie::ref;
  p.validate();
  const auto specs = tensors(p);
  const auto& k = get(in, "k", specs[0].shape);
  const auto& v = get(in, "v", specs[1].shape);
  const auto& time_decay = get(in, "time_decay", specs[2].shape);
  const auto& time_first = get(in, "time_first", specs[3].shape);
  const auto& dy = get(d_out, "y", specs[4].shape);
  for (int i = 0; i < 4; ++i) d_in.insert_or_assign(specs[static_cast<std::size_t>(i)].name,
                                                    Tensor<T>(specs[static_cast<std::size_t>(i)].shape, T(0)));
  auto &dk = d_in.at("k"), &dv = d_in.at("v"), &dtd = d_in.at("time_decay"), &dtf = d_in.at("time_first");
  const auto n = static_cast<std::size_t>(p.T);
  std::vector<T> P(n), dkc(n), dvc(n);
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t d = 0; d < p.D; ++d) {
      const auto kc = column(k, b, d), vc = column(v, b, d);
      const T w = exp(time_decay(d));
      T dw = T(0);
      std::fill(dkc.begin(), dkc.end(), T(0));
      std::fill(dvc.begin(), dvc.end(), T(0));
      for (std::size_t t = 0; t < n; ++t) {
        // Exponents of y_t's weights, s < t decayed and s = t with the bonus; then softmax over s.
        for (std::size_t s = 0; s < t; ++s) P[s] = -cast<T>(static_cast<double>(t - 1 - s)) * w + kc[s];
        P[t] = time_first(d) + kc[t];
        T m = P[t];
        for (std::size_t s = 0; s < t; ++s) m = max(m, P[s]);
        T z = T(0);
        for (std::size_t s = 0; s <= t; ++s) z += (P[s] = exp(P[s] - m));
        T yt = T(0);
        for (std::size_t s = 0; s <= t; ++s) yt += (P[s] /= z) * vc[s];
        const T g = dy(b, static_cast<std::int64_t>(t), d);
        for (std::size_t s = 0; s <= t; ++s) {
          const T c = g * P[s] * (vc[s] - yt);
          dvc[s] += g * P[s];
          dkc[s] += c;
          if (s == t)
            dtf(d) += c;
          else
            dw -= cast<T>(static_cast<double>(t - 1 - s)) * c;
        }
      }
      dtd(d) += dw * w;
      for (std::size_t t = 0; t < n; ++t) {
        dk(b, static_cast<std::int64_t>(t), d) = dkc[t];
        dv(b, static_cast<std::int64_t>(t), d) = dvc[t];
      }
    }
}

#define INSTANTIATE(T)                                                                                              \
  template State<T> initial_state<T>(const Problem&);                                                               \
  template void reference_step<T>(const Problem&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,             \
                                  const Tensor<T>&, State<T>&, Tensor<T>&);                                         \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                                   \
  template void reference_forward_recurrent<T>(const Problem&, const Named<T>&, Named<T>&);                         \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::wkv
