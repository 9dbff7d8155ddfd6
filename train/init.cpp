// Zoology's initialisation; the laws are in init.hpp.
#include "train/init.hpp"

#include <cmath>
#include <numbers>
#include <string>

#include "core/mixers/rwkv.hpp"
#include "core/random.hpp"

namespace menagerie::train {

namespace {

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

// The module-specific laws (init.hpp); returns false when the generic rules apply.
bool special(std::string_view id, const std::string& name, const TensorSpec& spec, Tensor<double>& t,
             std::int64_t layer, std::int64_t n_layers, std::uint64_t seed, std::uint64_t stream) {
  const auto normal = [&](double std) { fill_normal(t.view(), seed, stream, 0.0, std); };
  const auto uniform = [&](double lo, double hi) { fill_uniform(t.view(), seed, stream, lo, hi); };
  if (id == "base_conv") {
    if (name == "conv.filter") return normal(1.0), true;
    if (name == "conv.pos_emb.z") return positional_z(t), true;
  }
  if (id == "hyena") {
    if (name == "filter_fn.pos_emb.z") return positional_z(t), true;
    if (name == "filter_fn.pos_emb.t") return linspace(t, 0, 1), true;
    if (ends_with(name, ".freq")) return fill(t, 1.0), true;
    if (name == "filter_fn.bias") return normal(1.0), true;
    if (name == "filter_fn.modulation.deltas") return linspace(t, std::log(1e-2) / 1.5, std::log(1e-2) / 0.3), true;
  }
  if (id == "h3") {
    if (name == "ssm_k_kernel.kernel.B") {
      fill(t, 0.0);
      for (std::int64_t c = 0; c < spec.shape[0]; ++c) t(c, 0) = 1.0;
      return true;
    }
    if (name == "ssm_k_kernel.kernel.C" || name == "ssm_k_D" || name == "D") return normal(1.0), true;
    if (name == "kernel.kernel.log_dt") return uniform(std::log(1e-3), std::log(1e-1)), true;
    if (name == "kernel.kernel.inv_A_real") return fill(t, std::log(0.5)), true;
    if (name == "kernel.kernel.A_imag") {
      for (std::int64_t h = 0; h < spec.shape[0]; ++h)
        for (std::int64_t n = 0; n < spec.shape[1]; ++n) t(h, n) = std::numbers::pi * static_cast<double>(n);
      return true;
    }
    if (name == "kernel.kernel.B") {
      for (std::int64_t i = 0; i < t.numel(); ++i) t.data()[i] = i % 2 == 0 ? 1.0 : 0.0;
      return true;
    }
    if (name == "kernel.kernel.C") return normal(std::sqrt(0.5)), true;
  }
  if (id == "rwkv" && name.rfind("time_", 0) == 0) {
    const auto init = mixers::rwkv::time_init(spec.shape.back(), layer, 12);
    t = init.at(name);
    return true;
  }
  if (id == "mamba") {
    const auto bound = [&](std::int64_t fan_in) { return 1.0 / std::sqrt(static_cast<double>(fan_in)); };
    if (name == "in_proj.weight" || name == "x_proj.weight") return uniform(-bound(spec.shape[1]), bound(spec.shape[1])), true;
    if (name == "out_proj.weight") {
      const double b = bound(spec.shape[1]) / std::sqrt(static_cast<double>(n_layers));
      return uniform(-b, b), true;
    }
    if (name == "dt_proj.weight") return uniform(-bound(spec.shape[1]), bound(spec.shape[1])), true;
    if (name == "dt_proj.bias") {
      uniform(std::log(1e-3), std::log(1e-1));
      for (std::int64_t i = 0; i < t.numel(); ++i) {
        const double dt = std::max(std::exp(t.data()[i]), 1e-4);
        t.data()[i] = dt + std::log(-std::expm1(-dt));  // softplus^-1(dt)
      }
      return true;
    }
    if (name == "A_log") {
      for (std::int64_t c = 0; c < spec.shape[0]; ++c)
        for (std::int64_t n = 0; n < spec.shape[1]; ++n) t(c, n) = std::log(static_cast<double>(n + 1));
      return true;
    }
    if (name == "D") return fill(t, 1.0), true;
  }
  return false;
}

}  // namespace

Named<double> init_parameters(const model::Config& c, std::uint64_t seed) {
  const auto specs = model::tensors(c);
  Named<double> params;
  const double std_out = 0.02 / std::sqrt(2.0 * static_cast<double>(c.n_layers));
  for (std::size_t k = 0; k < specs.size(); ++k) {
    const auto& spec = specs[k];
    Tensor<double> t(spec.shape, 0.0);
    const auto stream = static_cast<std::uint64_t>(k);
    const std::string& full = spec.name;
    if (full == model::word_embeddings || full == model::position_embeddings) {
      fill_normal(t.view(), seed, stream, 0.0, 0.02);
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
    const auto mixer_specs = c.mixer(layer).tensors(1, 1);
    if (!special(c.mixer(layer).id(), name, spec, t, layer, c.n_layers, seed, stream)) {
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
        throw NotAvailableError(cat("train init: no initialisation rule for parameter '", full, "' of mixer '",
                                    c.mixer(layer).id(), "'"));
      }
    }
    params.emplace(full, std::move(t));
  }
  return params;
}

}  // namespace menagerie::train
