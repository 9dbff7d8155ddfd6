// The Based mixer by its definition; see core/mixers/based.hpp.
//   forward:  q = u Wq^T, k = u Wk^T, v = u Wv^T (viewed [B, T, H, .]);  o = linear_attention(q, k, v);
//             y = o Wo^T
//   backward: d_o = dy Wo, dWo = dy^T o;  (dq, dk, dv) = linear_attention backward;
//             du = dq Wq + dk Wk + dv Wv;  dWq = dq^T u, dWk = dk^T u, dWv = dv^T u
#include "reference/based.hpp"

#include "reference/instantiate.hpp"
#include "reference/linear.hpp"
#include "reference/linear_attention.hpp"

namespace menagerie::mixers::based {

namespace {

namespace la = ops::linear_attention;

// q, k, v [B, T, H, .] from u; the projections' [B, T, H x] outputs are exactly the [B, T, H, x] layout.
template <class T>
Named<T> project(const Problem& p, const Named<T>& in) {
  const auto& u = get(in, "u", {p.B, p.T, p.d});
  Named<T> qkv;
  qkv.emplace("q", ref::linear(u, get(in, "proj_q.weight", {p.heads * p.f, p.d})).reshaped({p.B, p.T, p.heads, p.f}));
  qkv.emplace("k", ref::linear(u, get(in, "proj_k.weight", {p.heads * p.f, p.d})).reshaped({p.B, p.T, p.heads, p.f}));
  qkv.emplace("v", ref::linear(u, get(in, "proj_v.weight", {p.d, p.d})).reshaped({p.B, p.T, p.heads, p.head_dim()}));
  return qkv;
}

// y = o Wo^T, with o [B, T, H, Dv] read as [B, T, d] ('b h l d -> b l (h d)').
template <class T>
void output(const Problem& p, const Named<T>& in, const Named<T>& o, Named<T>& out) {
  get(out, "y", {p.B, p.T, p.d}) = ref::linear(o.at("o").reshaped({p.B, p.T, p.d}), get(in, "proj_o.weight", {p.d, p.d}));
}

template <class T>
Named<T> empty_o(const Problem& p) {
  Named<T> o;
  o.emplace("o", Tensor<T>({p.B, p.T, p.heads, p.head_dim()}));
  return o;
}

}  // namespace

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  auto o = empty_o<T>(p);
  la::reference_forward<T>(attention_problem(p), project(p, in), o);
  output(p, in, o, out);
}

template <class T>
void reference_forward_recurrent(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  auto o = empty_o<T>(p);
  la::reference_forward_recurrent<T>(attention_problem(p), project(p, in), o);
  output(p, in, o, out);
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  p.validate();
  const auto& u = get(in, "u", {p.B, p.T, p.d});
  const auto& Wo = get(in, "proj_o.weight", {p.d, p.d});
  const auto& dy = get(d_out, "y", {p.B, p.T, p.d});
  const auto qkv = project(p, in);
  auto o = empty_o<T>(p);
  la::reference_forward<T>(attention_problem(p), qkv, o);
  Tensor<T> dWo({p.d, p.d}, T(0));
  Named<T> d_o, d_qkv;
  d_o.emplace("o", ref::linear_backward(o.at("o").reshaped({p.B, p.T, p.d}), Wo, dy, dWo)
                       .reshaped({p.B, p.T, p.heads, p.head_dim()}));
  la::reference_backward<T>(attention_problem(p), qkv, d_o, d_qkv);
  Tensor<T> du({p.B, p.T, p.d}, T(0));
  const std::pair<const char*, const char*> parts[] = {
      {"q", "proj_q.weight"}, {"k", "proj_k.weight"}, {"v", "proj_v.weight"}};
  for (const auto& [x, w] : parts) {
    const auto& W = in.at(w);
    const auto& dx = d_qkv.at(x);
    Tensor<T> dW(W.shape(), T(0));
    const Tensor<T> du_x = ref::linear_backward(u, W, dx.reshaped({p.B, p.T, W.size(0)}), dW);
    for (std::int64_t i = 0; i < du.numel(); ++i) du.data()[i] += du_x.data()[i];
    d_in.insert_or_assign(w, std::move(dW));
  }
  d_in.insert_or_assign("u", std::move(du));
  d_in.insert_or_assign("proj_o.weight", std::move(dWo));
}

#define INSTANTIATE(T)                                                                            \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                 \
  template void reference_forward_recurrent<T>(const Problem&, const Named<T>&, Named<T>&);       \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::mixers::based
