// The m2_channel operator by its definition; see core/ops/m2_channel.hpp. Per token x (length d = b1 b2):
//   g = M_gate x, v = M_value x, h = GELU(g) ⊙ v, y = M_out h + b,   GELU(z) = z Φ(z), Φ(z) = (1 + erf(z/√2))/2
// Monarch product y = M x = P_(b2,b1) L P_(b1,b2) R x (monarch_apply) and its backward, with r = R x,
// w = P_(b1,b2) r, z = L w:  dz = P_(b2,b1)^T dy = P_(b1,b2) dy;  dL_j += dz_j w_j^T;  dw = L^T dz;
//   dr = P_(b1,b2)^T dw = P_(b2,b1) dw;  dR_i += dr_i x_i^T;  dx = R^T dr   (per block i of b2, j of b1)
// Gate: dh = M_out^T dy (the same backward), dg = dh ⊙ v ⊙ GELU'(g), GELU'(z) = Φ(z) + z φ(z), φ(z) = e^{-z²/2}/√(2π);
//   dv = dh ⊙ GELU(g); dx = M_gate^T dg + M_value^T dv.
#include "reference/m2_channel.hpp"

#include <boost/math/constants/constants.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <string>
#include <type_traits>

#include "reference/instantiate.hpp"
#include "reference/monarch.hpp"
#include "reference/scalar.hpp"

namespace menagerie::ops::m2_channel {

namespace {

using ref::exp;
using ref::sqrt;

std::size_t sz(std::int64_t i) { return static_cast<std::size_t>(i); }

template <class T>
T erf_of(const T& z) {
  if constexpr (std::is_floating_point_v<T>)
    return std::erf(z);
  else
    return boost::math::erf(z);
}
template <class T>
T phi_cdf(const T& z) { return (T(1) + erf_of(T(z / sqrt(T(2))))) / T(2); }
template <class T>
T gelu(const T& z) { return z * phi_cdf(z); }
template <class T>
T d_gelu(const T& z) {
  return phi_cdf(z) + z * exp(-z * z / T(2)) / sqrt(T(2) * boost::math::constants::pi<T>());
}

template <class T>
ref::Monarch<T> monarch(const Problem& p, const Named<T>& in, const std::string& name) {
  const auto& R = get(in, name + ".R", {p.b1, p.b2, p.b2});
  const auto& L = get(in, name + ".L", {p.b2, p.b1, p.b1});
  return {p.b1, p.b2, std::vector<T>(R.data(), R.data() + R.numel()), std::vector<T>(L.data(), L.data() + L.numel())};
}

// dx = M^T dy; dR, dL [as in the header] accumulated into d_in["<name>.R"], ["<name>.L"].
template <class T>
std::vector<T> monarch_backward(const ref::Monarch<T>& M, const std::vector<T>& x, const std::vector<T>& dy,
                                Tensor<T>& dR, Tensor<T>& dL) {
  const std::int64_t b1 = M.b1, b2 = M.b2;
  std::vector<T> r(x.size(), T(0));
  for (std::int64_t i = 0; i < b1; ++i)
    for (std::int64_t a = 0; a < b2; ++a)
      for (std::int64_t c = 0; c < b2; ++c) r[sz(i * b2 + a)] += M.R[sz((i * b2 + a) * b2 + c)] * x[sz(i * b2 + c)];
  const std::vector<T> w = ref::transpose_permutation(r, b1, b2), dz = ref::transpose_permutation(dy, b1, b2);
  std::vector<T> dw(x.size(), T(0));
  for (std::int64_t j = 0; j < b2; ++j)
    for (std::int64_t a = 0; a < b1; ++a)
      for (std::int64_t c = 0; c < b1; ++c) {
        dL.data()[(j * b1 + a) * b1 + c] += dz[sz(j * b1 + a)] * w[sz(j * b1 + c)];
        dw[sz(j * b1 + c)] += M.L[sz((j * b1 + a) * b1 + c)] * dz[sz(j * b1 + a)];
      }
  const std::vector<T> dr = ref::transpose_permutation(dw, b2, b1);
  std::vector<T> dx(x.size(), T(0));
  for (std::int64_t i = 0; i < b1; ++i)
    for (std::int64_t a = 0; a < b2; ++a)
      for (std::int64_t c = 0; c < b2; ++c) {
        dR.data()[(i * b2 + a) * b2 + c] += dr[sz(i * b2 + a)] * x[sz(i * b2 + c)];
        dx[sz(i * b2 + c)] += M.R[sz((i * b2 + a) * b2 + c)] * dr[sz(i * b2 + a)];
      }
  return dx;
}

}  // namespace

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto& x = get(in, "x", {p.B, p.T, p.d});
  const auto& bias = get(in, "out.bias", {p.d});
  auto& y = get(out, "y", {p.B, p.T, p.d});
  const auto G = monarch(p, in, "gate"), Vm = monarch(p, in, "value"), O = monarch(p, in, "out");
  for (std::int64_t row = 0; row < p.B * p.T; ++row) {
    const std::vector<T> xr(x.data() + row * p.d, x.data() + (row + 1) * p.d);
    const std::vector<T> g = ref::monarch_apply(G, xr), v = ref::monarch_apply(Vm, xr);
    std::vector<T> h(xr.size());
    for (std::int64_t e = 0; e < p.d; ++e) h[sz(e)] = gelu(g[sz(e)]) * v[sz(e)];
    const std::vector<T> o = ref::monarch_apply(O, h);
    for (std::int64_t e = 0; e < p.d; ++e) y.data()[row * p.d + e] = o[sz(e)] + bias(e);
  }
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  p.validate();
  const auto& x = get(in, "x", {p.B, p.T, p.d});
  const auto& dy = get(d_out, "y", {p.B, p.T, p.d});
  const auto G = monarch(p, in, "gate"), Vm = monarch(p, in, "value"), O = monarch(p, in, "out");
  Named<T> grads;
  for (const auto m : matrices) {
    grads.emplace(std::string(m) + ".R", Tensor<T>({p.b1, p.b2, p.b2}, T(0)));
    grads.emplace(std::string(m) + ".L", Tensor<T>({p.b2, p.b1, p.b1}, T(0)));
  }
  Tensor<T> dx({p.B, p.T, p.d}, T(0)), db({p.d}, T(0));
  for (std::int64_t row = 0; row < p.B * p.T; ++row) {
    const std::vector<T> xr(x.data() + row * p.d, x.data() + (row + 1) * p.d);
    const std::vector<T> dyr(dy.data() + row * p.d, dy.data() + (row + 1) * p.d);
    const std::vector<T> g = ref::monarch_apply(G, xr), v = ref::monarch_apply(Vm, xr);
    std::vector<T> h(xr.size()), dg(xr.size()), dv(xr.size());
    for (std::int64_t e = 0; e < p.d; ++e) h[sz(e)] = gelu(g[sz(e)]) * v[sz(e)];
    const std::vector<T> dh = monarch_backward(O, h, dyr, grads.at("out.R"), grads.at("out.L"));
    for (std::int64_t e = 0; e < p.d; ++e) {
      db(e) += dyr[sz(e)];
      dg[sz(e)] = dh[sz(e)] * v[sz(e)] * d_gelu(g[sz(e)]);
      dv[sz(e)] = dh[sz(e)] * gelu(g[sz(e)]);
    }
    const std::vector<T> dxg = monarch_backward(G, xr, dg, grads.at("gate.R"), grads.at("gate.L"));
    const std::vector<T> dxv = monarch_backward(Vm, xr, dv, grads.at("value.R"), grads.at("value.L"));
    for (std::int64_t e = 0; e < p.d; ++e) dx.data()[row * p.d + e] = dxg[sz(e)] + dxv[sz(e)];
  }
  d_in.insert_or_assign("x", std::move(dx));
  d_in.insert_or_assign("out.bias", std::move(db));
  for (auto& [name, t] : grads) d_in.insert_or_assign(name, std::move(t));
}

#define INSTANTIATE(T)                                                                    \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);         \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::m2_channel
