// The MQAR language model's reference forward and backward; the math is in model.hpp and core/model_config.hpp.
#include "reference/model.hpp"

#include <optional>
#include <utility>

#include "core/registry.hpp"
#include "reference/all.hpp"
#include "reference/instantiate.hpp"
#include "reference/scalar.hpp"

namespace menagerie::model {

namespace {

template <class T>
Tensor<T> add(const Tensor<T>& a, const Tensor<T>& b) {
  Tensor<T> c = a;
  for (std::int64_t i = 0; i < c.numel(); ++i) c.data()[i] += b.data()[i];
  return c;
}

// The norm's problem on [B, T, d] activations: the block norms use 1e-5, LN_f the config's eps.
ops::layer_norm::Problem norm_problem(const Config& c, const std::string& norm, const Shape& x) {
  return {x[0], x[1], c.d_model, norm == "backbone.ln_f" ? c.layer_norm_eps : block_norm_eps};
}

template <class T>
Named<T> norm_params(const Config& c, const Named<T>& params, const std::string& norm) {
  return {{"weight", get(params, norm + ".weight", {c.d_model})}, {"bias", get(params, norm + ".bias", {c.d_model})}};
}

template <class T>
Tensor<T> layer_norm(const Config& c, const Named<T>& params, const std::string& norm, const Tensor<T>& x) {
  Named<T> in = norm_params(c, params, norm);
  in.emplace("x", x);
  Named<T> out{{"y", Tensor<T>(x.shape())}};
  ops::layer_norm::reference_forward<T>(norm_problem(c, norm, x.shape()), in, out);
  return std::move(out.at("y"));
}

// Returns dL/dx and stores the norm's parameter gradients in grads.
template <class T>
Tensor<T> layer_norm_backward(const Config& c, const Named<T>& params, const std::string& norm, const Tensor<T>& x,
                              const Tensor<T>& dy, Named<T>& grads) {
  Named<T> in = norm_params(c, params, norm);
  in.emplace("x", x);
  Named<T> d_in;
  ops::layer_norm::reference_backward<T>(norm_problem(c, norm, x.shape()), in, {{"y", dy}}, d_in);
  grads.insert_or_assign(norm + ".weight", std::move(d_in.at("weight")));
  grads.insert_or_assign(norm + ".bias", std::move(d_in.at("bias")));
  return std::move(d_in.at("x"));
}

// MambaBlock's RMSNorm over the last axis, y = x rs ⊙ w with rs = 1/sqrt(mean_d x^2 + eps), and its backward
// dx = rs (g - x rs^2 mean_d(g x)) with g = dy ⊙ w;  dw = sum over rows of dy x rs (into grads[norm.weight]).
template <class T>
Tensor<T> rms_norm(const Named<T>& params, const std::string& norm, const Tensor<T>& x, const Tensor<T>* dy = nullptr,
                   Named<T>* grads = nullptr) {
  using namespace menagerie::ref;
  const std::int64_t d = x.shape().back(), rows = x.numel() / d;
  const Tensor<T>& w = get(params, norm + ".weight", {d});
  Tensor<T> out(x.shape(), T(0)), dw({d}, T(0));
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* xr = x.data() + r * d;
    T ms = T(0), gx = T(0);
    for (std::int64_t e = 0; e < d; ++e) ms += xr[e] * xr[e];
    const T rs = T(1) / sqrt(ms / cast<T>(static_cast<double>(d)) + cast<T>(block_norm_eps));
    if (!dy) {
      for (std::int64_t e = 0; e < d; ++e) out.data()[r * d + e] = xr[e] * rs * w(e);
      continue;
    }
    const T* dyr = dy->data() + r * d;
    for (std::int64_t e = 0; e < d; ++e) {
      gx += dyr[e] * w(e) * xr[e];
      dw(e) += dyr[e] * xr[e] * rs;
    }
    gx /= cast<T>(static_cast<double>(d));
    for (std::int64_t e = 0; e < d; ++e) out.data()[r * d + e] = rs * (dyr[e] * w(e) - xr[e] * rs * rs * gx);
  }
  if (grads) grads->insert_or_assign(norm + ".weight", std::move(dw));
  return out;
}

// The embedding problems: tokens, and positions (ids = t) when the model has a position table.
ops::embedding::Problem token_problem(const Config& c, const Batch& b) {
  return {b.B, b.T, c.vocab, c.d_model, b.ids};
}
ops::embedding::Problem position_problem(const Config& c, const Batch& b) {
  ops::embedding::Problem p{b.B, b.T, c.max_position_embeddings, c.d_model, {}};
  for (std::int64_t i = 0; i < b.B * b.T; ++i) p.ids.push_back(i % b.T);
  return p;
}

template <class T>
Tensor<T> embed(const ops::embedding::Problem& p, const Tensor<T>& table) {
  Named<T> out{{"y", Tensor<T>({p.B, p.T, p.D})}};
  ops::embedding::reference_forward<T>(p, {{"weight", table}}, out);
  return std::move(out.at("y"));
}

template <class T>
Tensor<T> embed_backward(const ops::embedding::Problem& p, const Tensor<T>& table, const Tensor<T>& dy) {
  Named<T> d_in;
  ops::embedding::reference_backward<T>(p, {{"weight", table}}, {{"y", dy}}, d_in);
  return std::move(d_in.at("weight"));
}

// The mixer's inputs: u and its parameters, taken from the model's parameters under the layer's prefix.
template <class T>
Named<T> mixer_inputs(const Config& c, std::int64_t layer, const Named<T>& params, const Batch& b,
                      const Tensor<T>& u) {
  Named<T> in{{"u", u}};
  for (const auto& s : c.mixer(layer).tensors(b.B, b.T))
    if (s.role == Role::param) in.emplace(s.name, get(params, c.mixer_prefix(layer) + s.name, s.shape));
  return in;
}

// The rows of out [B, T, d] at labelled positions, as [1, n, d], and their labels.
template <class T>
std::pair<Tensor<T>, std::vector<std::int64_t>> labelled_rows(const Tensor<T>& out, const Batch& b) {
  const std::int64_t d = out.size(2);
  std::vector<std::int64_t> labels;
  std::vector<T> rows;
  for (std::int64_t i = 0; i < b.B * b.T; ++i) {
    if (b.labels[static_cast<std::size_t>(i)] == ops::cross_entropy::ignore_index) continue;
    labels.push_back(b.labels[static_cast<std::size_t>(i)]);
    rows.insert(rows.end(), out.data() + i * d, out.data() + (i + 1) * d);
  }
  const auto n = static_cast<std::int64_t>(labels.size());
  return {Tensor<T>({1, n, d}, std::move(rows)), std::move(labels)};
}

// A contract declares has_auxiliary_loss exactly when its reference provides the auxiliary loss.
template <class T, class C>
consteval bool auxiliary_loss_declared_iff_provided() {
  constexpr bool declared = [] {
    if constexpr (requires { C::has_auxiliary_loss; })
      return C::has_auxiliary_loss;
    else
      return false;
  }();
  static_assert(declared == has_reference_auxiliary_loss<T, typename C::problem_type>,
                "a mixer contract's has_auxiliary_loss disagrees with its reference: declare it exactly when "
                "reference/<id>.hpp has auxiliary_loss and auxiliary_loss_backward");
  constexpr bool reads = [] {
    if constexpr (requires { C::reads_token_ids; })
      return C::reads_token_ids;
    else
      return false;
  }();
  static_assert(reads == reads_token_ids<typename C::problem_type>,
                "a mixer contract's reads_token_ids disagrees with its Problem: declare it exactly when the Problem "
                "holds ids and V");
  return true;
}

template <class T, class... C>
MixerMath<T> resolve(const LayerMixer& m, TypeList<C...>) {
  static_assert((auxiliary_loss_declared_iff_provided<T, C>() && ...));
  std::optional<MixerMath<T>> found;
  (void)((!found && m.problem<typename C::problem_type>(1, 1) &&
          (found = mixer_math<T, typename C::problem_type>(m), true)) ||
         ...);
  require<NotAvailableError>(found.has_value(), "model: no reference for mixer '", m.id(),
                             "' in core/registry.hpp's Mixers");
  return *found;
}

}  // namespace

template <class T>
MixerMath<T> registry_math(const LayerMixer& m) {
  return resolve<T>(m, Mixers{});
}

template <class T>
struct Model<T>::Trace {
  std::vector<Tensor<T>> s;  // s_0 .. s_L, the stream entering each layer and the final one   [B, T, d]
  std::vector<Tensor<T>> a;  // a_l = LN1_l(s_l), the mixer inputs                              [B, T, d]
  std::vector<Tensor<T>> m;  // m_l = s_l + Mixer_l(a_l)                                         [B, T, d]
  Tensor<T> out;             // LN_f(s_L)                                                        [B, T, d]
};

template <class T>
Model<T>::Model(Config config) : config_(std::move(config)) {
  config_.validate();
  for (const auto& m : config_.mixers) math_.push_back(registry_math<T>(m));
}

template <class T>
Model<T>::Model(Config config, std::vector<MixerMath<T>> math) : config_(std::move(config)), math_(std::move(math)) {
  config_.validate();
  require<InputError>(math_.size() == config_.mixers.size(), "model: ", math_.size(), " mixer references for ",
                      config_.mixers.size(), " mixers");
}

template <class T>
typename Model<T>::Trace Model<T>::run(const Named<T>& params, const Batch& b) const {
  const Config& c = config_;
  Trace tr;
  Tensor<T> h0 = embed(token_problem(c, b), get(params, word_embeddings, {c.vocab, c.d_model}));
  if (c.max_position_embeddings > 0)
    h0 = add(h0, embed(position_problem(c, b),
                       get(params, position_embeddings, {c.max_position_embeddings, c.d_model})));
  tr.s.push_back(std::move(h0));
  const bool mamba = c.block == Block::mamba;
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    tr.a.push_back(mamba ? rms_norm(params, c.layer_prefix(l) + "norm", tr.s.back())
                         : layer_norm(c, params, c.layer_prefix(l) + "norm1", tr.s.back()));
    Named<T> out{{"y", Tensor<T>(tr.s.back().shape())}};
    math_[static_cast<std::size_t>(l % static_cast<std::int64_t>(math_.size()))].forward(
        b.B, b.T, {&b.ids, c.vocab}, mixer_inputs(c, l, params, b, tr.a.back()), out);
    tr.m.push_back(add(tr.s.back(), out.at("y")));
    tr.s.push_back(mamba ? tr.m.back()
                         : add(tr.m.back(), layer_norm(c, params, c.layer_prefix(l) + "norm2", tr.m.back())));
  }
  tr.out = layer_norm(c, params, std::string("backbone.ln_f"), tr.s.back());
  return tr;
}

template <class T>
Tensor<T> Model<T>::logits(const Named<T>& params, const Batch& b) const {
  b.validate(config_, false);
  const Trace tr = run(params, b);
  const ops::lm_head::Problem head{b.B, b.T, config_.d_model, config_.vocab};
  Named<T> out{{"logits", Tensor<T>({b.B, b.T, config_.vocab})}};
  const Named<T> in{{"h", tr.out}, {"weight", get(params, word_embeddings, {config_.vocab, config_.d_model})}};
  ops::lm_head::reference_forward<T>(head, in, out);
  return std::move(out.at("logits"));
}

template <class T>
T Model<T>::loss(const Named<T>& params, const Batch& b) const {
  return evaluate(params, b, nullptr);
}

template <class T>
T Model<T>::loss_and_gradients(const Named<T>& params, const Batch& b, Named<T>& grads) const {
  return evaluate(params, b, &grads);
}

template <class T>
T Model<T>::auxiliary_loss(const Named<T>& params, const Batch& b) const {
  b.validate(config_, false);
  return auxiliary_terms(params, b, run(params, b));
}

template <class T>
T Model<T>::auxiliary_terms(const Named<T>& params, const Batch& b, const Trace& tr) const {
  T sum = T(0);
  for (std::int64_t l = 0; l < config_.n_layers; ++l) {
    const auto& math = math_[static_cast<std::size_t>(l % static_cast<std::int64_t>(math_.size()))];
    if (math.aux_loss)
      sum += math.aux_loss(b.B, b.T, {&b.ids, config_.vocab},
                           mixer_inputs(config_, l, params, b, tr.a[static_cast<std::size_t>(l)]));
  }
  return sum;
}

template <class T>
T Model<T>::evaluate(const Named<T>& params, const Batch& b, Named<T>* grads) const {
  const Config& c = config_;
  b.validate(c, true);
  const Trace tr = run(params, b);
  const T aux = auxiliary_terms(params, b, tr);
  const auto [rows, labels] = labelled_rows(tr.out, b);  // the head runs only where labels exist
  const std::int64_t n = rows.size(1);
  const ops::lm_head::Problem head{1, n, c.d_model, c.vocab};
  const ops::cross_entropy::Problem ce{1, n, c.vocab, labels};
  const Tensor<T>& W = get(params, word_embeddings, {c.vocab, c.d_model});
  const Named<T> head_in{{"h", rows}, {"weight", W}};
  Named<T> z{{"logits", Tensor<T>({1, n, c.vocab})}}, l{{"loss", Tensor<T>(Shape{})}};
  ops::lm_head::reference_forward<T>(head, head_in, z);
  ops::cross_entropy::reference_forward<T>(ce, z, l);
  if (!grads) return l.at("loss").data()[0] + aux;

  Named<T>& g = *grads;
  g.clear();
  Named<T> dz, dhead;
  ops::cross_entropy::reference_backward<T>(ce, z, {{"loss", Tensor<T>(Shape{}, T(1))}}, dz);
  ops::lm_head::reference_backward<T>(head, head_in, dz, dhead);
  Tensor<T> dout(tr.out.shape(), T(0));  // dL/dout: the head's row gradients put back at their positions
  const std::int64_t d = c.d_model;
  for (std::int64_t i = 0, k = 0; i < b.B * b.T; ++i)
    if (b.labels[static_cast<std::size_t>(i)] != ops::cross_entropy::ignore_index) {
      for (std::int64_t e = 0; e < d; ++e) dout.data()[i * d + e] = dhead.at("h").data()[k * d + e];
      ++k;
    }
  Tensor<T> ds = layer_norm_backward(c, params, std::string("backbone.ln_f"), tr.s.back(), dout, g);
  for (std::int64_t layer = c.n_layers - 1; layer >= 0; --layer) {
    const auto li = static_cast<std::size_t>(layer);
    const std::string norm = c.layer_prefix(layer);
    const bool mamba = c.block == Block::mamba;
    const Tensor<T> dm = mamba ? ds : add(ds, layer_norm_backward(c, params, norm + "norm2", tr.m[li], ds, g));
    Named<T> d_in;
    const auto& math = math_[static_cast<std::size_t>(layer % static_cast<std::int64_t>(math_.size()))];
    const Named<T> in = mixer_inputs(c, layer, params, b, tr.a[li]);
    math.backward(b.B, b.T, {&b.ids, c.vocab}, in, {{"y", dm}}, d_in);
    if (math.aux_backward) math.aux_backward(b.B, b.T, {&b.ids, c.vocab}, in, T(1), d_in);
    for (const auto& s : c.mixer(layer).tensors(b.B, b.T))
      if (s.role == Role::param) g.insert_or_assign(c.mixer_prefix(layer) + s.name, get(d_in, s.name, s.shape));
    const Tensor<T>& du = get(d_in, "u", ds.shape());
    ds = add(dm, mamba ? rms_norm(params, norm + "norm", tr.s[li], &du, &g)
                       : layer_norm_backward(c, params, norm + "norm1", tr.s[li], du, g));
  }
  g.insert_or_assign(word_embeddings, add(dhead.at("weight"), embed_backward(token_problem(c, b), W, ds)));
  if (c.max_position_embeddings > 0)
    g.insert_or_assign(position_embeddings,
                       embed_backward(position_problem(c, b), params.at(position_embeddings), ds));
  return l.at("loss").data()[0] + aux;
}

#define INSTANTIATE(T) \
  template class Model<T>; \
  template MixerMath<T> registry_math<T>(const LayerMixer&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::model
