// Strict checks of model parameter files; the rules are in model_io.hpp.
#include "core/model_io.hpp"

#include <algorithm>
#include <cstring>
#include <map>

namespace menagerie::model {

std::vector<double> as_doubles(const DynTensor& t) {
  std::vector<double> out(static_cast<std::size_t>(t.numel()));
  if (t.dtype() == DType::f64) {
    if (!out.empty()) std::memcpy(out.data(), t.bytes().data(), t.bytes().size());
    return out;
  }
  require<InputError>(t.dtype() == DType::f32, "tensor of dtype ", dtype_name(t.dtype()),
                      " where float32 or float64 was expected");
  std::vector<float> f(out.size());
  if (!f.empty()) std::memcpy(f.data(), t.bytes().data(), t.bytes().size());
  for (std::size_t i = 0; i < f.size(); ++i) out[i] = f[i];
  return out;
}

namespace {

// Why `alias` is not bitwise equal to `canonical`, or "" when it is (same dtype, shape and bytes).
std::string difference(const DynTensor& alias, const DynTensor& canonical) {
  if (alias.dtype() != canonical.dtype())
    return cat("dtype ", dtype_name(alias.dtype()), " against ", dtype_name(canonical.dtype()));
  if (alias.shape() != canonical.shape())
    return cat("shape ", shape_str(alias.shape()), " against ", shape_str(canonical.shape()));
  const auto a = alias.bytes(), b = canonical.bytes();
  if (a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0) return "";
  const std::size_t width = dtype_size(alias.dtype());
  std::size_t i = 0;
  while (i + width <= a.size() && std::memcmp(a.data() + i, b.data() + i, width) == 0) i += width;
  return cat("element ", i / width, " differs");
}

}  // namespace

const DynTensor& parameter_in(const Config& c, const Safetensors& file, const std::string& name) {
  auto it = file.tensors.find(name);
  if (it == file.tensors.end())
    for (const auto& a : state_dict_aliases(c))
      if (a.canonical == name && (it = file.tensors.find(a.alias)) != file.tensors.end()) break;
  require<InputError>(it != file.tensors.end(), "parameter '", name, "' missing");
  return it->second;
}

void check_parameter_file(const Config& c, const Safetensors& file, const std::string& what) {
  std::map<std::string, Shape> expected;
  for (const auto& s : tensors(c)) expected.emplace(s.name, s.shape);
  const auto aliases = state_dict_aliases(c);
  const auto is_alias = [&](const std::string& name) {
    return std::any_of(aliases.begin(), aliases.end(), [&](const Alias& a) { return a.alias == name; });
  };
  const auto present = [&](const std::string& name) {
    if (file.tensors.count(name)) return true;
    return std::any_of(aliases.begin(), aliases.end(),
                       [&](const Alias& a) { return a.canonical == name && file.tensors.count(a.alias); });
  };
  for (const auto& [name, t] : file.tensors)
    require<InputError>(expected.count(name) || is_alias(name), what, ": tensor '", name,
                        "' is not a parameter of this model (", expected.size(), " parameters, e.g. '",
                        expected.begin()->first, "')");
  for (const auto& [name, shape] : expected) {
    require<InputError>(present(name), what, ": parameter '", name, "' ", shape_str(shape), " is missing");
    const DynTensor& t = parameter_in(c, file, name);
    require<InputError>(t.shape() == shape, what, ": parameter '", name, "' has shape ", shape_str(t.shape()),
                        ", expected ", shape_str(shape));
    require<InputError>(t.dtype() == DType::f32 || t.dtype() == DType::f64, what, ": parameter '", name,
                        "' has dtype ", dtype_name(t.dtype()), ", expected float32 or float64");
  }
  for (const auto& a : aliases) {
    const auto it = file.tensors.find(a.alias);
    if (it == file.tensors.end()) continue;
    const std::string why = difference(it->second, parameter_in(c, file, a.canonical));
    require<InputError>(why.empty(), what, ": '", a.alias, "' differs from '", a.canonical, "' (", why,
                        "); the model holds them as one tensor, so a state_dict must repeat it bit for bit");
  }
}

}  // namespace menagerie::model
