// The MHA mixer (and the attention block SlidingAttn shares) by its definition; see core/mixers/mha.hpp.
//   forward:  qkv = u Wqkv^T + b;  (q, k, v) = split "(three h D)";  o = softmax_attention(q, k, v);
//             y = o Wo^T + b_o
//   backward: d_o = dy Wo, dWo = dy^T o, db_o = colsum dy;  (dq, dk, dv) = softmax_attention backward;
//             dqkv = merge (dq, dk, dv);  du = dqkv Wqkv, dWqkv = dqkv^T u, db = colsum dqkv
#include "reference/mha.hpp"

#include "reference/instantiate.hpp"
#include "reference/linear.hpp"
#include "reference/softmax_attention.hpp"

namespace menagerie::mixers::mha {

namespace {

namespace sa = ops::softmax_attention;

// qkv [B, T, 3d] -> q, k, v [B, T, H, D]: element (b, t, h, e) of part i is qkv[b, t, i d + h D + e].
template <class T>
Named<T> split(const sa::Problem& a, const Tensor<T>& qkv) {
  const std::int64_t d = a.H * a.D;
  Named<T> out;
  const char* names[] = {"q", "k", "v"};
  for (std::int64_t i = 0; i < 3; ++i) {
    Tensor<T> x({a.B, a.T, a.H, a.D});
    for (std::int64_t b = 0; b < a.B; ++b)
      for (std::int64_t t = 0; t < a.T; ++t)
        for (std::int64_t h = 0; h < a.H; ++h)
          for (std::int64_t e = 0; e < a.D; ++e) x(b, t, h, e) = qkv(b, t, i * d + h * a.D + e);
    out.emplace(names[i], std::move(x));
  }
  return out;
}

// The inverse of split: dq, dk, dv [B, T, H, D] -> dqkv [B, T, 3d].
template <class T>
Tensor<T> merge(const sa::Problem& a, const Named<T>& parts) {
  const std::int64_t d = a.H * a.D;
  Tensor<T> qkv({a.B, a.T, 3 * d});
  const char* names[] = {"q", "k", "v"};
  for (std::int64_t i = 0; i < 3; ++i) {
    const auto& x = parts.at(names[i]);
    for (std::int64_t b = 0; b < a.B; ++b)
      for (std::int64_t t = 0; t < a.T; ++t)
        for (std::int64_t h = 0; h < a.H; ++h)
          for (std::int64_t e = 0; e < a.D; ++e) qkv(b, t, i * d + h * a.D + e) = x(b, t, h, e);
  }
  return qkv;
}

// The tensors of the block, shape-checked.
template <class T>
struct Block {
  const Tensor<T> &u, &W, &bias, &Wo, &bo;
};
template <class T>
Block<T> block(const sa::Problem& a, const Named<T>& in) {
  const std::int64_t d = a.H * a.D;
  return {get(in, "u", {a.B, a.T, d}), get(in, "Wqkv.weight", {3 * d, d}), get(in, "Wqkv.bias", {3 * d}),
          get(in, "out_proj.weight", {d, d}), get(in, "out_proj.bias", {d})};
}

// q, k, v (split) and the attention output o reshaped to [B, T, d].
template <class T>
std::pair<Named<T>, Tensor<T>> attend(const sa::Problem& a, const Block<T>& x) {
  const Tensor<T> qkv = ref::linear(x.u, x.W, &x.bias);
  Named<T> qkv_parts = split(a, qkv);
  Named<T> o;
  o.emplace("o", Tensor<T>({a.B, a.T, a.H, a.D}));
  sa::reference_forward<T>(a, qkv_parts, o);
  return {std::move(qkv_parts), o.at("o").reshaped({a.B, a.T, a.H * a.D})};
}

}  // namespace

template <class T>
void attention_block_forward(const sa::Problem& a, const Named<T>& in, Named<T>& out) {
  a.validate();
  const auto x = block(a, in);
  auto& y = get(out, "y", {a.B, a.T, a.H * a.D});
  y = ref::linear(attend(a, x).second, x.Wo, &x.bo);
}

template <class T>
void attention_block_backward(const sa::Problem& a, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  a.validate();
  const std::int64_t d = a.H * a.D;
  const auto x = block(a, in);
  const auto& dy = get(d_out, "y", {a.B, a.T, d});
  const auto [qkv_parts, o] = attend(a, x);
  Tensor<T> dW({3 * d, d}, T(0)), db({3 * d}, T(0)), dWo({d, d}, T(0)), dbo({d}, T(0));
  const Tensor<T> d_o = ref::linear_backward(o, x.Wo, dy, dWo, &dbo);
  Named<T> d_o_named, d_parts;
  d_o_named.emplace("o", d_o.reshaped({a.B, a.T, a.H, a.D}));
  sa::reference_backward<T>(a, qkv_parts, d_o_named, d_parts);
  const Tensor<T> dqkv = merge(a, d_parts);
  d_in.insert_or_assign("u", ref::linear_backward(x.u, x.W, dqkv, dW, &db));
  d_in.insert_or_assign("Wqkv.weight", std::move(dW));
  d_in.insert_or_assign("Wqkv.bias", std::move(db));
  d_in.insert_or_assign("out_proj.weight", std::move(dWo));
  d_in.insert_or_assign("out_proj.bias", std::move(dbo));
}

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  attention_block_forward<T>(attention_problem(p), in, out);
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  p.validate();
  attention_block_backward<T>(attention_problem(p), in, d_out, d_in);
}

#define INSTANTIATE(T)                                                                                          \
  template void attention_block_forward<T>(const sa::Problem&, const Named<T>&, Named<T>&);                    \
  template void attention_block_backward<T>(const sa::Problem&, const Named<T>&, const Named<T>&, Named<T>&); \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                              \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::mixers::mha
