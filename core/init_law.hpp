// The initialisation laws a mixer contract declares for its module-specific parameters (Contract::init_laws()), as
// data: a list of {parameter pattern, law}. train/init.cpp applies the first entry whose pattern matches a parameter
// (its name relative to the mixer); parameters no entry matches get the generic laws of train/init.hpp (nn.Linear,
// depthwise Conv1d), and a parameter neither covers is an error. Patterns: "name" exactly, "*.suffix", "prefix*".
// Random laws draw from Philox stream k = the parameter's index in model::tensors(config) (core/random.hpp).
//   laws::Normal{s}             N(0, s^2)
//   laws::Uniform{lo, hi}       U(lo, hi)
//   laws::FanInUniform{}        U(±1/sqrt(fan_in)), fan_in = shape[1] (nn.Linear's default); .depth_scaled divides
//                               the bound by sqrt(n_layers)
//   laws::Constant{v}           every entry v
//   laws::Linspace{a, b}        linspace(a, b) over the flattened tensor
//   laws::PositionalZ{}         z[0, t, :] = [t/(L-1), cos(2π 1e-4 t/L), -sin(2π 1e-4 t/L)], zoology's
//                               PositionalEmbedding table [1, L, 3]
//   laws::Custom{name, fill}    a named function of the tensor and its InitTarget, for laws none of the above states
#pragma once
#include <cstdint>
#include <string_view>
#include <variant>

#include "core/tensor.hpp"

namespace menagerie {

// What a law may depend on besides the tensor it fills.
struct InitTarget {
  std::string_view name;  // relative to the mixer, e.g. "dt_proj.bias"
  const Shape& shape;
  std::int64_t layer = 0, n_layers = 1;
  std::uint64_t seed = 0, stream = 0;
};

namespace laws {
struct Normal {
  double std;
};
struct Uniform {
  double lo, hi;
};
struct FanInUniform {
  bool depth_scaled = false;
};
struct Constant {
  double value;
};
struct Linspace {
  double first, last;
};
struct PositionalZ {};
struct Custom {
  std::string_view name;
  void (*fill)(Tensor<double>& t, const InitTarget& target);  // t arrives zero-filled with the parameter's shape
};
using Law = std::variant<Normal, Uniform, FanInUniform, Constant, Linspace, PositionalZ, Custom>;
}  // namespace laws

struct InitLaw {
  std::string_view param;  // "name", "*.suffix" or "prefix*"
  laws::Law law;

  bool matches(std::string_view name) const {
    if (param.starts_with('*')) return name.ends_with(param.substr(1));
    if (param.ends_with('*')) return name.starts_with(param.substr(0, param.size() - 1));
    return name == param;
  }
};

}  // namespace menagerie
