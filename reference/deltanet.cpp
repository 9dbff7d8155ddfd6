// The DeltaNet mixer as zoology's DeltaNet computes it (ShortConvolution + SiLU on q, k, v; l2norm in the kernel;
// sigmoid beta, doubled with allow_neg_eigval; chunk_delta_rule; RMSNorm or FusedRMSNormSwishGate; o_proj), its
// backward by the chain rule and its step form; see core/mixers/deltanet.hpp for the math.
// DeltaProduct (num_householder n > 1): k, v, beta viewed as T n sub-steps ('b t (n h d) -> b (t n) h d', a reshape
// of the row-major data), q scattered to each token's last sub-step, o gathered from it.
//   backward: dn = dy Wo;  (do, dw_norm, dgate) = RMSNorm(+gate) backward;  (dq, dk, dv, dbeta) = delta rule
//             backward;  dbeta_pre = dbeta c sigmoid'(beta_pre) (c = 1 or 2);  dq_act = l2norm backward(dq), same
//             for k;  each branch: SiLU', conv, projection backward;  du = sum of the five projections' dx.
#include "reference/deltanet.hpp"

#include <string>
#include <utility>

#include "reference/activations.hpp"
#include "reference/delta_layer.hpp"
#include "reference/instantiate.hpp"
#include "reference/linear.hpp"
#include "reference/steps.hpp"

namespace menagerie::mixers::deltanet {

namespace {

namespace dl = ref::delta_layer;
namespace dr = ops::delta_rule;

template <class T>
struct Params {
  const Tensor<T> &Wq, &Wk, &Wv, &Wb, &cq, &ck, &cv;
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
    throw ShapeError(cat("deltanet: no tensor ", name));
  };
  return {at("q_proj.weight"),   at("k_proj.weight"),   at("v_proj.weight"),
          at("b_proj.weight"),   at("q_conv1d.weight"), at("k_conv1d.weight"),
          at("v_conv1d.weight"), p.use_gate ? &at("g_proj.weight") : nullptr,
          at("o_norm.weight"),   at("o_proj.weight")};
}

template <class T>
T beta_of(const Problem& p, const T& pre) {
  return (p.allow_neg_eigval ? T(2) : T(1)) * ref::sigmoid(pre);
}

// x [B, T, H D] -> [B, T n, H, D], zero except at each token's last sub-step (q forward, d_o backward).
template <class T>
Tensor<T> scatter_last(const Problem& p, const Tensor<T>& x) {
  const std::int64_t n = p.householder, C = x.numel() / (p.B * p.T);
  Tensor<T> out({p.B, p.T * n, p.heads, C / p.heads}, T(0));
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t c = 0; c < C; ++c) out.data()[((b * p.T + t) * n + n - 1) * C + c] = x.data()[(b * p.T + t) * C + c];
  return out;
}

// x [B, T n, H, D] -> [B, T, H D]: each token's last sub-step.
template <class T>
Tensor<T> gather_last(const Problem& p, const Tensor<T>& x) {
  const std::int64_t n = p.householder, C = x.numel() / (p.B * p.T * n);
  Tensor<T> out({p.B, p.T, C});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t c = 0; c < C; ++c) out.data()[(b * p.T + t) * C + c] = x.data()[((b * p.T + t) * n + n - 1) * C + c];
  return out;
}

template <class T>
struct Forward {
  dl::Branch<T> q, k, v;  // [B, T, Kd | Kd | Vd]
  Tensor<T> beta_pre;     // [B, T, n H]
  Named<T> rule;          // the operator's inputs q, k (L2-normalised), v, beta, g (= 0)
  Tensor<T> o, gate, n;   // [B, T, Vd]: rule output, gate input (use_gate), normed output
  Tensor<T> y;            // [B, T, d]
};

template <class T>
Forward<T> run(const Problem& p, const Params<T>& P, const Tensor<T>& u) {
  const std::int64_t H = p.heads, Dk = p.head_k_dim(), Dv = p.head_v_dim(), Tn = p.T * p.householder;
  Forward<T> f;
  f.q = dl::branch(u, P.Wq, P.cq);
  f.k = dl::branch(u, P.Wk, P.ck);
  f.v = dl::branch(u, P.Wv, P.cv);
  f.beta_pre = ref::linear(u, P.Wb);
  Tensor<T> beta(f.beta_pre.shape());
  for (std::int64_t i = 0; i < beta.numel(); ++i) beta.data()[i] = beta_of(p, f.beta_pre.data()[i]);
  f.rule.emplace("q", scatter_last(p, dl::l2norm(f.q.a, Dk)));
  f.rule.emplace("k", dl::l2norm(f.k.a, Dk).reshaped({p.B, Tn, H, Dk}));
  f.rule.emplace("v", f.v.a.reshaped({p.B, Tn, H, Dv}));
  f.rule.emplace("beta", beta.reshaped({p.B, Tn, H}));
  f.rule.emplace("g", Tensor<T>({p.B, Tn, H}, T(0)));
  Named<T> out;
  out.emplace("o", Tensor<T>({p.B, Tn, H, Dv}));
  dr::reference_forward<T>(rule_problem(p), f.rule, out);
  f.o = gather_last(p, out.at("o"));
  if (p.use_gate) f.gate = ref::linear(u, *P.Wg);
  f.n = dl::rmsnorm(f.o, P.wn, p.use_gate ? &f.gate : nullptr, p.norm_eps);
  f.y = ref::linear(f.n, P.Wo);
  return f;
}

}  // namespace

template <class T>
State<T> initial_state(const Problem& p) {
  const std::int64_t K1 = p.conv_size - 1, n = p.householder;
  return {Tensor<T>({p.B, p.key_dim(), K1}, T(0)), Tensor<T>({p.B, n * p.key_dim(), K1}, T(0)),
          Tensor<T>({p.B, n * p.value_dim(), K1}, T(0)), dr::initial_state<T>(rule_problem(p))};
}

template <class T>
void reference_step(const Problem& p, const Named<T>& in, State<T>& s, const Tensor<T>& u_t, Tensor<T>& y_t) {
  const auto P = params(p, in);
  const std::int64_t H = p.heads, Dk = p.head_k_dim(), Dv = p.head_v_dim();
  require<ShapeError>(u_t.shape() == Shape{p.B, p.d}, "deltanet step: u_t has shape ", shape_str(u_t.shape()),
                      ", expected [", p.B, ", ", p.d, "]");
  const std::int64_t n = p.householder;
  const auto q = dl::l2norm(dl::branch_step(u_t, P.Wq, P.cq, s.conv_q), Dk).reshaped({p.B, H, Dk});
  const auto k = dl::l2norm(dl::branch_step(u_t, P.Wk, P.ck, s.conv_k), Dk);  // [B, n H Dk]
  const auto v = dl::branch_step(u_t, P.Wv, P.cv, s.conv_v);                  // [B, n H Dv]
  auto beta = ref::linear(u_t, P.Wb);                                         // [B, n H]
  for (std::int64_t i = 0; i < beta.numel(); ++i) beta.data()[i] = beta_of(p, beta.data()[i]);
  const Tensor<T> g({p.B, H}, T(0)), zero_q({p.B, H, Dk}, T(0));
  Tensor<T> o({p.B, H, Dv});
  // Sub-step j of each sequence: the j-th slice of the '(n h d)' channels.
  const auto slice = [&](const Tensor<T>& x, std::int64_t j, std::int64_t D) {
    Tensor<T> out({p.B, H, D});
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t c = 0; c < H * D; ++c) out.data()[b * H * D + c] = x.data()[(b * n + j) * H * D + c];
    return out;
  };
  for (std::int64_t j = 0; j < n; ++j)
    dr::reference_step<T>(rule_problem(p), s.rule, j == n - 1 ? q : zero_q, slice(k, j, Dk), slice(v, j, Dv),
                          slice(beta, j, 1).reshaped({p.B, H}), g, o);
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
  const auto f = run(p, P, u);
  auto& du = d_in.at("u");
  // y = n Wo^T;  n = RMSNorm(o) (* SiLU(gate)), gate = u Wg^T.
  const auto d_o =
      dl::output_backward(u, f.o, f.n, p.use_gate ? &f.gate : nullptr, P.wn, P.Wg, P.Wo, p.norm_eps, dy, d_in, du);
  // The delta rule (g = 0 is a constant: its gradient is dropped).
  Named<T> d_rule_out, g;
  d_rule_out.emplace("o", scatter_last(p, d_o));
  dr::reference_backward<T>(rule_problem(p), f.rule, d_rule_out, g);
  // beta = c sigmoid(u Wb^T).
  Tensor<T> dbeta_pre(f.beta_pre.shape());
  const T c = p.allow_neg_eigval ? T(2) : T(1);
  for (std::int64_t i = 0; i < dbeta_pre.numel(); ++i)
    dbeta_pre.data()[i] = g.at("beta").data()[i] * c * ref::d_sigmoid(f.beta_pre.data()[i]);
  const auto dub = ref::linear_backward(u, P.Wb, dbeta_pre, d_in.at("b_proj.weight"));
  for (std::int64_t i = 0; i < du.numel(); ++i) du.data()[i] += dub.data()[i];
  // q, k through the L2 norm; then the three branches.
  const std::int64_t Kd = p.key_dim(), Vd = p.value_dim(), Dk = p.head_k_dim();
  const std::int64_t n = p.householder;
  const auto dqa = dl::l2norm_backward(f.q.a, Dk, gather_last(p, g.at("q")));
  const auto dka = dl::l2norm_backward(f.k.a, Dk, g.at("k").reshaped({p.B, p.T, n * Kd}));
  dl::branch_backward(u, P.Wq, P.cq, f.q, dqa, d_in.at("q_proj.weight"), d_in.at("q_conv1d.weight"), du);
  dl::branch_backward(u, P.Wk, P.ck, f.k, dka, d_in.at("k_proj.weight"), d_in.at("k_conv1d.weight"), du);
  dl::branch_backward(u, P.Wv, P.cv, f.v, g.at("v").reshaped({p.B, p.T, n * Vd}), d_in.at("v_proj.weight"),
                      d_in.at("v_conv1d.weight"), du);
}

#define INSTANTIATE(T)                                                                                        \
  template State<T> initial_state<T>(const Problem&);                                                         \
  template void reference_step<T>(const Problem&, const Named<T>&, State<T>&, const Tensor<T>&, Tensor<T>&); \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                             \
  template void reference_forward_recurrent<T>(const Problem&, const Named<T>&, Named<T>&);                   \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::mixers::deltanet
