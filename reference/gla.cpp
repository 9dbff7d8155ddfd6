// The GLA mixer as zoology's GatedLinearAttention computes it (chunk_gla / fused_recurrent_gla, then
// FusedRMSNormSwishGate), its backward by the chain rule and its step form; see core/mixers/gla.hpp for the math.
//   forward:  q, k, v, gt = u W^T;  a = u W0^T, gpre = a W1^T + b1, gk = logsigmoid(gpre) / nz;
//             o = gated_linear_attention(q, k, v, gk);  n = norm_gate(o, gt);  y = n Wo^T
//   backward: dn = dy Wo, dWo = dy^T n;  norm_gate backward (below) -> do, dgt, dw;
//             (dq, dk, dv, dgk) = operator backward;  dgpre = dgk sigmoid(-gpre) / nz  (logsigmoid' = sigmoid(-x));
//             da = dgpre W1, dW1 = dgpre^T a, db1 = colsum dgpre;  du = sum over the five projections of dX W
#include "reference/gla.hpp"

#include <utility>

#include "reference/activations.hpp"
#include "reference/instantiate.hpp"
#include "reference/linear.hpp"
#include "reference/steps.hpp"

namespace menagerie::mixers::gla {

namespace {

namespace ga = ops::gated_linear_attention;

template <class T>
struct Params {
  // [Kd, d], [Kd, d], [Vd, d], [Vd, d], [R, d], [Kd, R], [Kd], [d, Vd], [Dv]
  const Tensor<T> &Wq, &Wk, &Wv, &Wg, &W0, &W1, &b1, &Wo, &w;
};

template <class T>
Params<T> params(const Problem& p, const Named<T>& in) {
  p.validate();
  const auto s = tensors(p);
  return {get(in, s[1].name, s[1].shape), get(in, s[2].name, s[2].shape), get(in, s[3].name, s[3].shape),
          get(in, s[4].name, s[4].shape), get(in, s[5].name, s[5].shape), get(in, s[6].name, s[6].shape),
          get(in, s[7].name, s[7].shape), get(in, s[8].name, s[8].shape), get(in, s[9].name, s[9].shape)};
}

// The projections of u [rows..., d]; each result keeps u's leading axes.
template <class T>
struct Projected {
  Tensor<T> q, k, v, gt;  // [..., Kd], [..., Kd], [..., Vd], [..., Vd]
  Tensor<T> a, gpre, gk;  // [..., R], [..., Kd], [..., Kd]
};

template <class T>
Projected<T> project(const Problem& p, const Params<T>& P, const Tensor<T>& u) {
  Projected<T> f{ref::linear(u, P.Wq), ref::linear(u, P.Wk), ref::linear(u, P.Wv), ref::linear(u, P.Wg),
                 ref::linear(u, P.W0), {}, {}};
  f.gpre = ref::linear(f.a, P.W1, &P.b1);
  f.gk = Tensor<T>(f.gpre.shape());
  const T nz = ref::cast<T>(static_cast<double>(p.gate_logit_normalizer));
  for (std::int64_t i = 0; i < f.gk.numel(); ++i) f.gk.data()[i] = -ref::softplus<T>(-f.gpre.data()[i]) / nz;
  return f;
}

// The operator's inputs, with `lead` the leading axes ({B, T} or, for a step, {B}).
template <class T>
Named<T> attention_inputs(const Problem& p, const Projected<T>& f, Shape lead) {
  Shape sk = lead, sv = lead;
  sk.insert(sk.end(), {p.num_heads, p.head_k_dim()});
  sv.insert(sv.end(), {p.num_heads, p.head_v_dim()});
  Named<T> x;
  x.emplace("q", f.q.reshaped(sk));
  x.emplace("k", f.k.reshaped(sk));
  x.emplace("v", f.v.reshaped(sv));
  x.emplace("g", f.gk.reshaped(sk));
  return x;
}

// FusedRMSNormSwishGate per head of Dv channels: n_j = o_j rho w_j silu(gt_j), rho = (mean_j o_j^2 + eps)^-1/2.
// o and gt share one flat layout ([..., H, Dv] = [..., Vd]); n has gt's shape.
template <class T>
T rho(const Problem& p, const T* x) {
  T ss = 0;
  for (std::int64_t j = 0; j < p.head_v_dim(); ++j) ss += x[j] * x[j];
  using std::sqrt;
  return T(1) / sqrt(ss / ref::cast<T>(static_cast<double>(p.head_v_dim())) + ref::cast<T>(p.norm_eps));
}

template <class T>
Tensor<T> norm_gate(const Problem& p, const Tensor<T>& w, const Tensor<T>& o, const Tensor<T>& gt) {
  const std::int64_t Dv = p.head_v_dim();
  Tensor<T> n(gt.shape());
  for (std::int64_t g0 = 0; g0 < o.numel(); g0 += Dv) {
    const T r = rho(p, o.data() + g0);
    for (std::int64_t j = 0; j < Dv; ++j)
      n.data()[g0 + j] = o.data()[g0 + j] * r * w(j) * ref::silu(gt.data()[g0 + j]);
  }
  return n;
}

// Given dn: returns do; writes dgt and accumulates dw. With e_j = dn_j w_j silu(gt_j) (the gradient of o_j rho):
//   do_j = rho e_j - o_j rho^3 (sum_i e_i o_i) / Dv;  dw_j += dn_j o_j rho silu(gt_j);
//   dgt_j = dn_j o_j rho w_j silu'(gt_j).
template <class T>
Tensor<T> norm_gate_backward(const Problem& p, const Tensor<T>& w, const Tensor<T>& o, const Tensor<T>& gt,
                             const Tensor<T>& dn, Tensor<T>& dgt, Tensor<T>& dw) {
  const std::int64_t Dv = p.head_v_dim();
  const T n_inv = T(1) / ref::cast<T>(static_cast<double>(Dv));
  Tensor<T> d_o(o.shape());
  for (std::int64_t g0 = 0; g0 < o.numel(); g0 += Dv) {
    const T r = rho(p, o.data() + g0);
    T dot = 0;
    for (std::int64_t j = 0; j < Dv; ++j)
      dot += dn.data()[g0 + j] * w(j) * ref::silu(gt.data()[g0 + j]) * o.data()[g0 + j];
    for (std::int64_t j = 0; j < Dv; ++j) {
      const T x = o.data()[g0 + j], z = gt.data()[g0 + j], g = dn.data()[g0 + j];
      d_o.data()[g0 + j] = r * g * w(j) * ref::silu(z) - x * r * r * r * dot * n_inv;
      dw(j) += g * x * r * ref::silu(z);
      dgt.data()[g0 + j] = g * x * r * w(j) * ref::d_silu(z);
    }
  }
  return d_o;
}

template <class T>
Tensor<T> empty_o(const Problem& p) {
  return Tensor<T>({p.B, p.T, p.num_heads, p.head_v_dim()});
}

}  // namespace

template <class T>
State<T> initial_state(const Problem& p) {
  return ga::initial_state<T>(attention_problem(p));
}

template <class T>
void reference_step(const Problem& p, const Named<T>& in, State<T>& s, const Tensor<T>& u_t, Tensor<T>& y_t) {
  const auto P = params(p, in);
  require<ShapeError>(u_t.shape() == Shape{p.B, p.d}, "gla step: u_t has shape ", shape_str(u_t.shape()),
                      ", expected [", p.B, ", ", p.d, "]");
  const auto f = project(p, P, u_t);
  const auto x = attention_inputs(p, f, {p.B});
  Tensor<T> o_t({p.B, p.num_heads, p.head_v_dim()});
  ga::reference_step<T>(attention_problem(p), s, x.at("q"), x.at("k"), x.at("v"), x.at("g"), o_t);
  y_t = ref::linear(norm_gate(p, P.w, o_t, f.gt), P.Wo);
}

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  const auto P = params(p, in);
  const auto specs = tensors(p);
  const auto f = project(p, P, get(in, "u", specs[0].shape));
  Named<T> o;
  o.emplace("o", empty_o<T>(p));
  ga::reference_forward<T>(attention_problem(p), attention_inputs(p, f, {p.B, p.T}), o);
  get(out, "y", specs[10].shape) = ref::linear(norm_gate(p, P.w, o.at("o"), f.gt), P.Wo);
}

template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out) {
  const auto specs = tensors(p);
  const auto& u = get(in, "u", specs[0].shape);
  auto& y = get(out, "y", specs[10].shape);
  auto s = initial_state<T>(p);
  ref::run_steps(u, y, [&](const Tensor<T>& u_t, Tensor<T>& y_t) { reference_step(p, in, s, u_t, y_t); });
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  const auto P = params(p, in);
  const auto specs = tensors(p);
  const auto& u = get(in, "u", specs[0].shape);
  const auto& dy = get(d_out, "y", specs[10].shape);
  for (std::size_t i = 0; i < 10; ++i) d_in.insert_or_assign(specs[i].name, Tensor<T>(specs[i].shape, T(0)));
  const auto f = project(p, P, u);
  const auto x = attention_inputs(p, f, {p.B, p.T});
  Named<T> o;
  o.emplace("o", empty_o<T>(p));
  ga::reference_forward<T>(attention_problem(p), x, o);
  // y = n Wo^T, n = norm_gate(o, gt).
  const auto dn = ref::linear_backward(norm_gate(p, P.w, o.at("o"), f.gt), P.Wo, dy, d_in.at("o_proj.weight"));
  Tensor<T> dgt(f.gt.shape());
  Named<T> d_o, g;
  d_o.emplace("o", norm_gate_backward(p, P.w, o.at("o"), f.gt, dn, dgt, d_in.at("g_norm_swish_gate.weight")));
  ga::reference_backward<T>(attention_problem(p), x, d_o, g);
  // gk = logsigmoid(gpre) / nz, gpre = a W1^T + b1, a = u W0^T.
  const T nz = ref::cast<T>(static_cast<double>(p.gate_logit_normalizer));
  Tensor<T> dgpre(f.gpre.shape());
  for (std::int64_t i = 0; i < dgpre.numel(); ++i)
    dgpre.data()[i] = g.at("g").data()[i] * ref::sigmoid<T>(-f.gpre.data()[i]) / nz;
  const auto da = ref::linear_backward(f.a, P.W1, dgpre, d_in.at("gk_proj.1.weight"), &d_in.at("gk_proj.1.bias"));
  // The five projections of u.
  auto& du = d_in.at("u");
  const std::pair<const Tensor<T>*, const char*> parts[] = {{&g.at("q"), "q_proj.weight"},
                                                           {&g.at("k"), "k_proj.weight"},
                                                           {&g.at("v"), "v_proj.weight"},
                                                           {&dgt, "g_proj.weight"},
                                                           {&da, "gk_proj.0.weight"}};
  for (const auto& [dx, w] : parts) {
    const auto du_x = ref::linear_backward(u, in.at(w), *dx, d_in.at(w));
    for (std::int64_t i = 0; i < du.numel(); ++i) du.data()[i] += du_x.data()[i];
  }
}

#define INSTANTIATE(T)                                                                                        \
  template State<T> initial_state<T>(const Problem&);                                                         \
  template void reference_step<T>(const Problem&, const Named<T>&, State<T>&, const Tensor<T>&, Tensor<T>&); \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                             \
  template void reference_forward_recurrent<T>(const Problem&, const Named<T>&, Named<T>&);                   \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::mixers::gla
