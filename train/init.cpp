// Zoology's initialisation; the generic laws are in init.hpp, the module-specific ones in each mixer's contract
// (Contract::init_laws(), core/init_law.hpp), found through the registry.
#include "train/init.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/random.hpp"
#include "core/registry.hpp"

namespace menagerie::train {

namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;  // clang before 17 does not deduce aggregates (the fuzz build)

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The rank of the sibling "<stem>.weight" of a ".bias" (0 when there is none).
std::size_t weight_rank(const std::vector<TensorSpec>& specs, const std::string& bias) {
  const std::string w = bias.substr(0, bias.size() - 4) + "weight";
  for (const auto& s : specs)
    if (s.name == w) return s.shape.size();
  return 0;
}

void fill(Tensor<double>& t, double value) {
  for (std::int64_t i = 0; i < t.numel(); ++i) t.data()[i] = value;
}

// z[0, t, :] = [t/(l_max-1), cos(2π 1e-4 t/l_max), -sin(2π 1e-4 t/l_max)] (zoology PositionalEmbedding, bands 1).
void positional_z(Tensor<double>& z) {
  const std::int64_t L = z.size(1);
  for (std::int64_t t = 0; t < L; ++t) {
    const double w = 2 * std::numbers::pi * 1e-4 * static_cast<double>(t) / static_cast<double>(L);
    z(0, t, 0) = L > 1 ? static_cast<double>(t) / static_cast<double>(L - 1) : 0.0;
    z(0, t, 1) = std::cos(w);
    z(0, t, 2) = -std::sin(w);
  }
}

void linspace(Tensor<double>& t, double a, double b) {
  const std::int64_t n = t.numel();
  for (std::int64_t i = 0; i < n; ++i)
    t.data()[i] = n > 1 ? a + (b - a) * static_cast<double>(i) / static_cast<double>(n - 1) : a;
}

void apply(const laws::Law& law, Tensor<double>& t, const InitTarget& x) {
  std::visit(Overloaded{
                 [&](const laws::Normal& l) { fill_normal(t.view(), x.seed, x.stream, 0.0, l.std); },
                 [&](const laws::Uniform& l) { fill_uniform(t.view(), x.seed, x.stream, l.lo, l.hi); },
                 [&](const laws::FanInUniform& l) {
                   double b = 1.0 / std::sqrt(static_cast<double>(x.shape.at(1)));
                   if (l.depth_scaled) b /= std::sqrt(static_cast<double>(x.n_layers));
                   fill_uniform(t.view(), x.seed, x.stream, -b, b);
                 },
                 [&](const laws::Constant& l) { fill(t, l.value); },
                 [&](const laws::Linspace& l) { linspace(t, l.first, l.last); },
                 [&](const laws::PositionalZ&) { positional_z(t); },
                 [&](const laws::Custom& l) { l.fill(t, x); },
             },
             law);
}

// The init laws of the registry contract whose Problem the mixer holds; none for a mixer outside the registry
// (its parameters then need the generic laws).
std::vector<InitLaw> laws_of(const model::LayerMixer& m) {
  std::vector<InitLaw> out;
  for_each_contract(Mixers{}, [&]<class C>(std::type_identity<C>) {
    if (m.problem<typename C::problem_type>(1, 1)) out = C::init_laws();
  });
  return out;
}

// The generic laws (init.hpp) for a parameter no contract law matched; false when none applies either.
bool generic(const std::string& name, const TensorSpec& spec, const std::vector<TensorSpec>& mixer_specs,
             double std_out, Tensor<double>& t, std::uint64_t seed, std::uint64_t stream) {
  if (spec.shape.size() == 3 && spec.shape[1] == 1 && ends_with(name, ".weight")) {  // depthwise Conv1d
    const double b = 1.0 / std::sqrt(static_cast<double>(spec.shape[2]));
    fill_uniform(t.view(), seed, stream, -b, b);
  } else if (ends_with(name, ".bias") && weight_rank(mixer_specs, name) == 3) {
    const std::string w = name.substr(0, name.size() - 4) + "weight";
    std::int64_t K = 1;
    for (const auto& s : mixer_specs)
      if (s.name == w) K = s.shape[2];
    const double b = 1.0 / std::sqrt(static_cast<double>(K));
    fill_uniform(t.view(), seed, stream, -b, b);
  } else if (spec.shape.size() == 2 && ends_with(name, ".weight")) {  // nn.Linear
    const bool out = name == "out_proj.weight" || name == "fc2.weight" || name == "output_linear.0.weight";
    fill_normal(t.view(), seed, stream, 0.0, out ? std_out : 0.02);
  } else if (ends_with(name, ".bias") && weight_rank(mixer_specs, name) == 2) {
    fill(t, 0.0);
  } else {
    return false;
  }
  return true;
}

}  // namespace

Named<double> init_parameters(const model::Config& c, std::uint64_t seed) {
  const auto specs = model::tensors(c);
  Named<double> params;
  const double std_out = 0.02 / std::sqrt(2.0 * static_cast<double>(c.n_layers));
  std::vector<std::vector<InitLaw>> layer_laws;
  for (std::int64_t l = 0; l < c.n_layers; ++l) layer_laws.push_back(laws_of(c.mixer(l)));
  std::uint64_t stream = 0;  // parameter k of model::tensors(c) draws from stream k
  for (const auto& spec : specs) {
    Tensor<double> t(spec.shape, 0.0);
    const std::string& full = spec.name;
    const std::uint64_t k = stream++;
    if (full == model::word_embeddings || full == model::position_embeddings) {
      fill_normal(t.view(), seed, k, 0.0, 0.02);
      params.emplace(full, std::move(t));
      continue;
    }
    std::int64_t layer = -1;
    for (std::int64_t l = 0; l < c.n_layers && layer < 0; ++l)
      if (full.rfind(c.mixer_prefix(l), 0) == 0) layer = l;
    if (layer < 0) {  // a norm: weight 1, bias 0
      fill(t, ends_with(full, ".weight") ? 1.0 : 0.0);
      params.emplace(full, std::move(t));
      continue;
    }
    const std::string name = full.substr(c.mixer_prefix(layer).size());
    const InitTarget target{.name = name, .shape = spec.shape, .layer = layer, .n_layers = c.n_layers,
                            .seed = seed, .stream = k};
    const auto& laws = layer_laws[static_cast<std::size_t>(layer)];
    const auto law = std::find_if(laws.begin(), laws.end(), [&](const InitLaw& l) { return l.matches(name); });
    if (law != laws.end())
      apply(law->law, t, target);
    else if (!generic(name, spec, c.mixer(layer).tensors(1, 1), std_out, t, seed, k))
      throw NotAvailableError(cat("train init: no initialisation rule for parameter '", full, "' of mixer '",
                                  c.mixer(layer).id(), "'"));
    params.emplace(full, std::move(t));
  }
  return params;
}

}  // namespace menagerie::train
