// Causal softmax attention by its definition; see core/ops/softmax_attention.hpp for the math.
#include "reference/softmax_attention.hpp"

#include <vector>

#include "reference/instantiate.hpp"
#include "reference/scalar.hpp"

namespace menagerie::ops::softmax_attention {

namespace {

// P[t, s] for one (b, h): softmax of the visible scores; entries outside W(t) are 0.
template <class T>
std::vector<T> probabilities(const Problem& p, const Tensor<T>& q, const Tensor<T>& k, std::int64_t b, std::int64_t h) {
  using namespace menagerie::ref;
  const T scale = cast<T>(p.softmax_scale());
  std::vector<T> P(static_cast<std::size_t>(p.T * p.T), T(0));
  for (std::int64_t t = 0; t < p.T; ++t) {
    const std::int64_t s0 = t - p.visible(t) + 1;
    T* row = &P[static_cast<std::size_t>(t * p.T)];
    T m = T(0);
    for (std::int64_t s = s0; s <= t; ++s) {
      T acc = T(0);
      for (std::int64_t d = 0; d < p.D; ++d) acc += q(b, t, h, d) * k(b, s, h, d);
      row[s] = scale * acc;
      m = s == s0 ? row[s] : max(m, row[s]);
    }
    T z = T(0);
    for (std::int64_t s = s0; s <= t; ++s) z += (row[s] = exp(row[s] - m));
    for (std::int64_t s = s0; s <= t; ++s) row[s] /= z;
  }
  return P;
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
      const auto P = probabilities(p, q, k, b, h);
      for (std::int64_t t = 0; t < p.T; ++t)
        for (std::int64_t e = 0; e < p.Dv; ++e) {
          T acc = T(0);
          for (std::int64_t s = t - p.visible(t) + 1; s <= t; ++s) acc += P[static_cast<std::size_t>(t * p.T + s)] * v(b, s, h, e);
          o(b, t, h, e) = acc;
        }
    }
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  using namespace menagerie::ref;
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
  const T scale = cast<T>(p.softmax_scale());
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.H; ++h) {
      const auto P = probabilities(p, q, k, b, h);
      for (std::int64_t t = 0; t < p.T; ++t) {
        const std::int64_t s0 = t - p.visible(t) + 1;
        std::vector<T> dP(static_cast<std::size_t>(t - s0 + 1));
        T rowdot = T(0);  // sum_s P[t,s] dP[t,s] = dO[t] . o[t]
        for (std::int64_t s = s0; s <= t; ++s) {
          const T pts = P[static_cast<std::size_t>(t * p.T + s)];
          T acc = T(0);
          for (std::int64_t e = 0; e < p.Dv; ++e) {
            acc += dO(b, t, h, e) * v(b, s, h, e);
            dv(b, s, h, e) += pts * dO(b, t, h, e);
          }
          dP[static_cast<std::size_t>(s - s0)] = acc;
          rowdot += pts * acc;
        }
        for (std::int64_t s = s0; s <= t; ++s) {
          const T dS = P[static_cast<std::size_t>(t * p.T + s)] * (dP[static_cast<std::size_t>(s - s0)] - rowdot) * scale;
          for (std::int64_t d = 0; d < p.D; ++d) {
            dq(b, t, h, d) += dS * k(b, s, h, d);
            dk(b, s, h, d) += dS * q(b, t, h, d);
          }
        }
      }
    }
}

#define INSTANTIATE(T)                                                                   \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&); \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::softmax_attention
