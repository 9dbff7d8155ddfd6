// The repeat_lookups mixer by its definition; see core/mixers/repeat_lookups.hpp.
//   forward:  a = MHA(u) (reference/mha.hpp, every row: the keys and values of all positions are needed);
//             y_t = u_t + m_t a_t with m = selection(p) from the ids
//   backward: da_t = m_t dy_t -> MHA backward (du_attn and the MHA parameters);  du_t = dy_t + du_attn_t
// The reference evaluates MHA densely and masks; the sparse evaluation the cost model counts (queries, attention
// rows and the output projection only at selected rows) gives the same y.
#include "reference/repeat_lookups.hpp"

#include "reference/instantiate.hpp"
#include "reference/mha.hpp"
#include "reference/scalar.hpp"

namespace menagerie::mixers::repeat_lookups {

namespace {

template <class T>
Named<T> attention_inputs(const Named<T>& in) {
  Named<T> a;
  for (const char* name : {"u", "Wqkv.weight", "Wqkv.bias", "out_proj.weight", "out_proj.bias"})
    a.emplace(name, in.at(name));
  return a;
}

}  // namespace

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  const std::vector<std::uint8_t> m = selection(p);
  const auto& u = get(in, "u", {p.B, p.T, p.d});
  auto& y = get(out, "y", {p.B, p.T, p.d});
  Named<T> attn{{"y", Tensor<T>({p.B, p.T, p.d})}};
  mha::reference_forward<T>(attention_problem(p), attention_inputs(in), attn);
  const Tensor<T>& a = attn.at("y");
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t) {
      const bool sel = m[static_cast<std::size_t>(b * p.T + t)] != 0;
      for (std::int64_t e = 0; e < p.d; ++e) y(b, t, e) = sel ? T(u(b, t, e) + a(b, t, e)) : u(b, t, e);
    }
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  const std::vector<std::uint8_t> m = selection(p);
  get(in, "u", {p.B, p.T, p.d});
  const auto& dy = get(d_out, "y", {p.B, p.T, p.d});
  Tensor<T> da({p.B, p.T, p.d}, T(0));
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      if (m[static_cast<std::size_t>(b * p.T + t)])
        for (std::int64_t e = 0; e < p.d; ++e) da(b, t, e) = dy(b, t, e);
  Named<T> d_attn;
  mha::reference_backward<T>(attention_problem(p), attention_inputs(in), {{"y", da}}, d_attn);
  Tensor<T> du = std::move(d_attn.at("u"));
  for (std::int64_t i = 0; i < du.numel(); ++i) du.data()[i] += dy.data()[i];
  d_in.insert_or_assign("u", std::move(du));
  for (const char* name : {"Wqkv.weight", "Wqkv.bias", "out_proj.weight", "out_proj.bias"})
    d_in.insert_or_assign(name, std::move(d_attn.at(name)));
}

#define INSTANTIATE(T)                                                                    \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);         \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::mixers::repeat_lookups
