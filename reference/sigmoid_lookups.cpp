// The sigmoid_lookups mixer by its definition; see core/mixers/sigmoid_lookups.hpp.
//   forward:  a = MHA(u);  z_t = w . u_t;  g_t = sigmoid(z_t);  y_t = u_t + m_t g_t a_t
//   backward (m fixed):  da_t = m_t g_t dy_t  -> MHA backward (du_attn, the MHA parameters);
//             dz_t = m_t (dy_t . a_t) g_t (1 - g_t);  dw = sum_{b,t} dz_t u_t;  du_t = dy_t + du_attn_t + dz_t w
//   auxiliary loss: L = c ReLU(gbar - n/T), gbar = mean_{b,t} g_t;
//             dL/dz_t = c [gbar > n/T] g_t (1 - g_t) / (B T);  dw += dL/dz_t u_t, du_t += dL/dz_t w
#include "reference/sigmoid_lookups.hpp"

#include <algorithm>
#include <numeric>

#include "reference/activations.hpp"
#include "reference/instantiate.hpp"
#include "reference/mha.hpp"
#include "reference/scalar.hpp"

namespace menagerie::mixers::sigmoid_lookups {

namespace {

template <class T>
Named<T> attention_inputs(const Named<T>& in) {
  Named<T> a;
  for (const char* name : {"u", "Wqkv.weight", "Wqkv.bias", "out_proj.weight", "out_proj.bias"})
    a.emplace(name, in.at(name));
  return a;
}

template <class T>
Tensor<T> attention(const Problem& p, const Named<T>& in) {
  Named<T> out{{"y", Tensor<T>({p.B, p.T, p.d})}};
  mha::reference_forward<T>(attention_problem(p), attention_inputs(in), out);
  return std::move(out.at("y"));
}

}  // namespace

template <class T>
Tensor<T> selection_scores(const Problem& p, const Named<T>& in) {
  const auto& u = get(in, "u", {p.B, p.T, p.d});
  const auto& w = get(in, "selecting.weight", {1, p.d});
  Tensor<T> g({p.B, p.T});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t) {
      T z = T(0);
      for (std::int64_t e = 0; e < p.d; ++e) z += w(0, e) * u(b, t, e);
      g(b, t) = ref::sigmoid(z);
    }
  return g;
}

template <class T>
Tensor<T> selection_mask(const Problem& p, const Tensor<T>& g) {
  Tensor<T> m({p.B, p.T}, p.inference ? T(0) : T(1));
  if (!p.inference) return m;
  for (std::int64_t b = 0; b < p.B; ++b) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(p.T));
    std::iota(order.begin(), order.end(), std::int64_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t i, std::int64_t j) { return g(b, i) > g(b, j); });
    for (std::int64_t r = 0; r < p.top_k(); ++r) m(b, order[static_cast<std::size_t>(r)]) = T(1);
  }
  return m;
}

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto& u = get(in, "u", {p.B, p.T, p.d});
  auto& y = get(out, "y", {p.B, p.T, p.d});
  const Tensor<T> a = attention(p, in), g = selection_scores(p, in), m = selection_mask(p, g);
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t) {
      const T gate = m(b, t) * g(b, t);
      for (std::int64_t e = 0; e < p.d; ++e) y(b, t, e) = u(b, t, e) + gate * a(b, t, e);
    }
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  p.validate();
  const auto& u = get(in, "u", {p.B, p.T, p.d});
  const auto& w = get(in, "selecting.weight", {1, p.d});
  const auto& dy = get(d_out, "y", {p.B, p.T, p.d});
  const Tensor<T> a = attention(p, in), g = selection_scores(p, in), m = selection_mask(p, g);
  Tensor<T> da({p.B, p.T, p.d}), dw({1, p.d}, T(0));
  Tensor<T> dz({p.B, p.T}, T(0));
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t) {
      const T gate = m(b, t) * g(b, t);
      T dg = T(0);
      for (std::int64_t e = 0; e < p.d; ++e) {
        da(b, t, e) = gate * dy(b, t, e);
        dg += dy(b, t, e) * a(b, t, e);
      }
      dz(b, t) = m(b, t) * dg * g(b, t) * (T(1) - g(b, t));
    }
  Named<T> d_attn;
  mha::reference_backward<T>(attention_problem(p), attention_inputs(in), {{"y", da}}, d_attn);
  Tensor<T> du = std::move(d_attn.at("u"));
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t e = 0; e < p.d; ++e) {
        du(b, t, e) += dy(b, t, e) + dz(b, t) * w(0, e);
        dw(0, e) += dz(b, t) * u(b, t, e);
      }
  d_in.insert_or_assign("u", std::move(du));
  d_in.insert_or_assign("selecting.weight", std::move(dw));
  for (const char* name : {"Wqkv.weight", "Wqkv.bias", "out_proj.weight", "out_proj.bias"})
    d_in.insert_or_assign(name, std::move(d_attn.at(name)));
}

namespace {

// (gbar, n/T) of the auxiliary loss.
template <class T>
std::pair<T, T> mean_and_target(const Problem& p, const Tensor<T>& g) {
  T sum = T(0);
  for (std::int64_t i = 0; i < g.numel(); ++i) sum += g.data()[i];
  const T len = ref::cast<T>(static_cast<double>(p.T));
  const T n = p.n_lookups > 0 ? ref::cast<T>(static_cast<double>(p.n_lookups)) : sqrt(len);
  return {sum / ref::cast<T>(static_cast<double>(g.numel())), n / len};
}

}  // namespace

template <class T>
T auxiliary_loss(const Problem& p, const Named<T>& in) {
  p.validate();
  const auto [mean, target] = mean_and_target(p, selection_scores(p, in));
  return ref::cast<T>(p.selection_penalty) * ref::relu(T(mean - target));
}

template <class T>
void auxiliary_loss_backward(const Problem& p, const Named<T>& in, const T& scale, Named<T>& d_in) {
  p.validate();
  const auto& u = get(in, "u", {p.B, p.T, p.d});
  const auto& w = get(in, "selecting.weight", {1, p.d});
  auto& du = get(d_in, "u", {p.B, p.T, p.d});
  auto& dw = get(d_in, "selecting.weight", {1, p.d});
  const Tensor<T> g = selection_scores(p, in);
  const auto [mean, target] = mean_and_target(p, g);
  if (!(mean > target)) return;
  const T c = scale * ref::cast<T>(p.selection_penalty) / ref::cast<T>(static_cast<double>(g.numel()));
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t) {
      const T dz = c * g(b, t) * (T(1) - g(b, t));
      for (std::int64_t e = 0; e < p.d; ++e) {
        du(b, t, e) += dz * w(0, e);
        dw(0, e) += dz * u(b, t, e);
      }
    }
}

#define INSTANTIATE(T)                                                                          \
  template Tensor<T> selection_scores<T>(const Problem&, const Named<T>&);                      \
  template Tensor<T> selection_mask<T>(const Problem&, const Tensor<T>&);                       \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);               \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&); \
  template T auxiliary_loss<T>(const Problem&, const Named<T>&);                                \
  template void auxiliary_loss_backward<T>(const Problem&, const Named<T>&, const T&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::mixers::sigmoid_lookups
