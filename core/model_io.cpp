// Strict checks of model parameter files; the rules are in model_io.hpp.
#include "core/model_io.hpp"

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

const DynTensor& parameter_in(const Safetensors& file, const std::string& name) {
  auto it = file.tensors.find(name);
  if (it == file.tensors.end() && name == word_embeddings) it = file.tensors.find(tied_lm_head);
  require<InputError>(it != file.tensors.end(), "parameter '", name, "' missing");
  return it->second;
}

void check_parameter_file(const Config& c, const Safetensors& file, const std::string& what) {
  std::map<std::string, Shape> expected;
  for (const auto& s : tensors(c)) expected.emplace(s.name, s.shape);
  for (const auto& [name, t] : file.tensors)
    require<InputError>(expected.count(name) || name == tied_lm_head, what, ": tensor '", name,
                        "' is not a parameter of this model (", expected.size(), " parameters, e.g. '",
                        expected.begin()->first, "')");
  for (const auto& [name, shape] : expected) {
    const bool present = file.tensors.count(name) || (name == word_embeddings && file.tensors.count(tied_lm_head));
    require<InputError>(present, what, ": parameter '", name, "' ", shape_str(shape), " is missing");
    const DynTensor& t = parameter_in(file, name);
    require<InputError>(t.shape() == shape, what, ": parameter '", name, "' has shape ", shape_str(t.shape()),
                        ", expected ", shape_str(shape));
    require<InputError>(t.dtype() == DType::f32 || t.dtype() == DType::f64, what, ": parameter '", name,
                        "' has dtype ", dtype_name(t.dtype()), ", expected float32 or float64");
  }
  if (file.tensors.count(word_embeddings) && file.tensors.count(tied_lm_head)) {
    const DynTensor& head = file.tensors.at(tied_lm_head);
    require<InputError>(head.shape() == expected.at(word_embeddings) &&
                            (head.dtype() == DType::f32 || head.dtype() == DType::f64) &&
                            as_doubles(head) == as_doubles(file.tensors.at(word_embeddings)),
                        what, ": '", tied_lm_head, "' differs from '", word_embeddings,
                        "'; the model ties them (one tensor)");
  }
}

}  // namespace menagerie::model
