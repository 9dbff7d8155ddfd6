// The Gated DeltaNet mixer as zoology's GatedDeltaNet computes it (ShortConvolution + SiLU on q, k, v; l2norm in the
// kernel; sigmoid beta; g = -exp(A_log) softplus(a + dt_bias); chunk_gated_delta_rule; FusedRMSNormSwishGate or
// RMSNorm; o_proj), its backward by the chain rule and its step form; see core/mixers/gated_deltanet.hpp.
//   backward: dn = dy Wo;  (do, dw_norm, dgate) = RMSNorm(+gate) backward;  (dq, dk, dv, dbeta, dg) = delta rule
//             backward;  dbeta_pre = dbeta sigmoid'(beta_pre);  with z = a + dt_bias, g = -exp(A_log) softplus(z):
//             dA_log = sum dg g,  dz = -dg exp(A_log) sigmoid(z),  ddt_bias = sum dz,  a = u Wa^T;
//             dq_act = l2norm backward(dq), same for k;  each branch: SiLU', conv, projection backward;
//             du = sum of the six projections' dx.  D is not read: its gradient is 0.
#include "reference/gated_deltanet.hpp"

#include <string>
#include <utility>

#include "reference/activations.hpp"
#include "reference/delta_layer.hpp"
#include "reference/instantiate.hpp"
#include "reference/linear.hpp"
#include "reference/steps.hpp"

namespace menagerie::mixers::gated_deltanet {

namespace {

namespace dl = ref::delta_layer;
namespace dr = ops::delta_rule;

template <class T>
struct Params {
  const Tensor<T> &Wq, &Wk, &Wv, &Wb, &Wa, &A_log, &dt_bias, &cq, &ck, &cv;
  const Tensor<T>* Wg;  // use_gate only
  const Tensor<T> &wn, &Wo;
};

template <class T>
Params<T> params(const Problem& p, const Named<T>& in) {
  p.validate();
  const auto s = tensors(p);
  const auto at = [&](std::string_view name) -> const Tensor<T>& {
    for (const auto& x : s)
      if (x.name == name) return get(in, name, x.shape);
    throw ShapeError(cat("gated_deltanet: no tensor ", name));
  };
  return {at("q_proj.weight"),   at("k_proj.weight"),   at("v_proj.weight"),
          at("b_proj.weight"),   at("a_proj.weight"),   at("A_log"),
          at("dt_bias"),         at("q_conv1d.weight"), at("k_conv1d.weight"),
          at("v_conv1d.weight"), p.use_gate ? &at("g_proj.weight") : nullptr,
          at("o_norm.weight"),   at("o_proj.weight")};
}

// g[.., h] = -exp(A_log[h]) softplus(a[.., h] + dt_bias[h]) over a [.., H].
template <class T>
Tensor<T> log_decay(const Params<T>& P, const Tensor<T>& a) {
  using std::exp;
  const std::int64_t H = P.A_log.numel();
  Tensor<T> g(a.shape());
  for (std::int64_t i = 0; i < g.numel(); ++i)
    g.data()[i] = -exp(P.A_log.data()[i % H]) * ref::softplus(a.data()[i] + P.dt_bias.data()[i % H]);
  return g;
}

template <class T>
struct Forward {
  dl::Branch<T> q, k, v;  // [B, T, Kd | Kd | Vd]
  Tensor<T> beta_pre, a;  // [B, T, H]: b_proj and a_proj outputs
  Named<T> rule;          // the operator's inputs q, k (L2-normalised), v, beta, g
  Tensor<T> o, gate, n;   // [B, T, Vd]: rule output, gate input (use_gate), normed output
  Tensor<T> y;            // [B, T, d]
};

template <class T>
Forward<T> run(const Problem& p, const Params<T>& P, const Tensor<T>& u) {
  const std::int64_t H = p.heads, Dk = p.head_k_dim(), Dv = p.head_v_dim();
  Forward<T> f;
  f.q = dl::branch(u, P.Wq, P.cq);
  f.k = dl::branch(u, P.Wk, P.ck);
  f.v = dl::branch(u, P.Wv, P.cv);
  f.beta_pre = ref::linear(u, P.Wb);
  f.a = ref::linear(u, P.Wa);
  Tensor<T> beta(f.beta_pre.shape());
  for (std::int64_t i = 0; i < beta.numel(); ++i) beta.data()[i] = ref::sigmoid(f.beta_pre.data()[i]);
  f.rule.emplace("q", dl::l2norm(f.q.a, Dk).reshaped({p.B, p.T, H, Dk}));
  f.rule.emplace("k", dl::l2norm(f.k.a, Dk).reshaped({p.B, p.T, H, Dk}));
  f.rule.emplace("v", f.v.a.reshaped({p.B, p.T, H, Dv}));
  f.rule.emplace("beta", std::move(beta));
  f.rule.emplace("g", log_decay(P, f.a));
  Named<T> out;
  out.emplace("o", Tensor<T>({p.B, p.T, H, Dv}));
  dr::reference_forward<T>(rule_problem(p), f.rule, out);
  f.o = out.at("o").reshaped({p.B, p.T, p.value_dim()});
  if (p.use_gate) f.gate = ref::linear(u, *P.Wg);
  f.n = dl::rmsnorm(f.o, P.wn, p.use_gate ? &f.gate : nullptr, p.norm_eps);
  f.y = ref::linear(f.n, P.Wo);
  return f;
}

}  // namespace

template <class T>
State<T> initial_state(const Problem& p) {
  const std::int64_t K1 = p.conv_size - 1;
  return {Tensor<T>({p.B, p.key_dim(), K1}, T(0)), Tensor<T>({p.B, p.key_dim(), K1}, T(0)),
          Tensor<T>({p.B, p.value_dim(), K1}, T(0)), dr::initial_state<T>(rule_problem(p))};
}

template <class T>
void reference_step(const Problem& p, const Named<T>& in, State<T>& s, const Tensor<T>& u_t, Tensor<T>& y_t) {
  const auto P = params(p, in);
  const std::int64_t H = p.heads, Dk = p.head_k_dim(), Dv = p.head_v_dim();
  require<ShapeError>(u_t.shape() == Shape{p.B, p.d}, "gated_deltanet step: u_t has shape ", shape_str(u_t.shape()),
                      ", expected [", p.B, ", ", p.d, "]");
  const auto q = dl::l2norm(dl::branch_step(u_t, P.Wq, P.cq, s.conv_q), Dk).reshaped({p.B, H, Dk});
  const auto k = dl::l2norm(dl::branch_step(u_t, P.Wk, P.ck, s.conv_k), Dk).reshaped({p.B, H, Dk});
  const auto v = dl::branch_step(u_t, P.Wv, P.cv, s.conv_v).reshaped({p.B, H, Dv});
  auto beta = ref::linear(u_t, P.Wb);  // [B, H]
  for (std::int64_t i = 0; i < beta.numel(); ++i) beta.data()[i] = ref::sigmoid(beta.data()[i]);
  const auto g = log_decay(P, ref::linear(u_t, P.Wa));
  Tensor<T> o({p.B, H, Dv});
  dr::reference_step<T>(rule_problem(p), s.rule, q, k, v, beta, g, o);
  Tensor<T> gate;
  if (p.use_gate) gate = ref::linear(u_t, *P.Wg);
  y_t = ref::linear(dl::rmsnorm(o.reshaped({p.B, p.value_dim()}), P.wn, p.use_gate ? &gate : nullptr, p.norm_eps),
                    P.Wo);
}

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  const auto P = params(p, in);
  get(out, "y", {p.B, p.T, p.d}) = run(p, P, get(in, "u", {p.B, p.T, p.d})).y;
}

template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out) {
  params(p, in);  // validates the problem and the parameters' shapes
  const auto& u = get(in, "u", {p.B, p.T, p.d});
  auto& y = get(out, "y", {p.B, p.T, p.d});
  auto s = initial_state<T>(p);
  ref::run_steps(u, y, [&](const Tensor<T>& u_t, Tensor<T>& y_t) { reference_step(p, in, s, u_t, y_t); });
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  const auto P = params(p, in);
  const auto specs = tensors(p);
  const auto& u = get(in, "u", {p.B, p.T, p.d});
  const auto& dy = get(d_out, "y", {p.B, p.T, p.d});
  for (const auto& s : specs)
    if (s.role != Role::output) d_in.insert_or_assign(s.name, Tensor<T>(s.shape, T(0)));
  const std::int64_t H = p.heads;
  const auto f = run(p, P, u);
  auto& du = d_in.at("u");
  // y = n Wo^T;  n = RMSNorm(o) (* SiLU(gate)), gate = u Wg^T.
  const auto d_o =
      dl::output_backward(u, f.o, f.n, p.use_gate ? &f.gate : nullptr, P.wn, P.Wg, P.Wo, p.norm_eps, dy, d_in, du);
  // The gated delta rule.
  Named<T> d_rule_out, g;
  d_rule_out.emplace("o", d_o.reshaped({p.B, p.T, H, p.head_v_dim()}));
  dr::reference_backward<T>(rule_problem(p), f.rule, d_rule_out, g);
  // beta = sigmoid(u Wb^T).
  Tensor<T> dbeta_pre(f.beta_pre.shape());
  for (std::int64_t i = 0; i < dbeta_pre.numel(); ++i)
    dbeta_pre.data()[i] = g.at("beta").data()[i] * ref::d_sigmoid(f.beta_pre.data()[i]);
  const auto dub = ref::linear_backward(u, P.Wb, dbeta_pre, d_in.at("b_proj.weight"));
  for (std::int64_t i = 0; i < du.numel(); ++i) du.data()[i] += dub.data()[i];
  // g = -exp(A_log) softplus(z), z = u Wa^T + dt_bias:  dA_log = dg g,  dz = -dg exp(A_log) sigmoid(z).
  {
    using std::exp;
    auto &dA_log = d_in.at("A_log"), &ddt = d_in.at("dt_bias");
    const auto& gv = f.rule.at("g");
    const auto& dg = g.at("g");
    Tensor<T> dz(f.a.shape());
    for (std::int64_t i = 0; i < dz.numel(); ++i) {
      const std::int64_t h = i % H;
      dA_log.data()[h] += dg.data()[i] * gv.data()[i];
      dz.data()[i] = -dg.data()[i] * exp(P.A_log.data()[h]) * ref::sigmoid(f.a.data()[i] + P.dt_bias.data()[h]);
      ddt.data()[h] += dz.data()[i];
    }
    const auto dua = ref::linear_backward(u, P.Wa, dz, d_in.at("a_proj.weight"));
    for (std::int64_t i = 0; i < du.numel(); ++i) du.data()[i] += dua.data()[i];
  }
  // q, k through the L2 norm; then the three branches.
  const std::int64_t Kd = p.key_dim(), Vd = p.value_dim(), Dk = p.head_k_dim();
  const auto dqa = dl::l2norm_backward(f.q.a, Dk, g.at("q").reshaped({p.B, p.T, Kd}));
  const auto dka = dl::l2norm_backward(f.k.a, Dk, g.at("k").reshaped({p.B, p.T, Kd}));
  dl::branch_backward(u, P.Wq, P.cq, f.q, dqa, d_in.at("q_proj.weight"), d_in.at("q_conv1d.weight"), du);
  dl::branch_backward(u, P.Wk, P.ck, f.k, dka, d_in.at("k_proj.weight"), d_in.at("k_conv1d.weight"), du);
  dl::branch_backward(u, P.Wv, P.cv, f.v, g.at("v").reshaped({p.B, p.T, Vd}), d_in.at("v_proj.weight"),
                      d_in.at("v_conv1d.weight"), du);
}

#define INSTANTIATE(T)                                                                                        \
  template State<T> initial_state<T>(const Problem&);                                                         \
  template void reference_step<T>(const Problem&, const Named<T>&, State<T>&, const Tensor<T>&, Tensor<T>&); \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                             \
  template void reference_forward_recurrent<T>(const Problem&, const Named<T>&, Named<T>&);                   \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::mixers::gated_deltanet
