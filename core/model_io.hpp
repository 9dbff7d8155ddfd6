// The model's parameters in safetensors files, named as zoology's LanguageModel.state_dict() (core/model_config.hpp),
// so that a file exported from PyTorch loads here and ours loads there.
// Reading is strict: every parameter of tensors(config) must be present with its shape, as F32 or F64 (widened or
// narrowed to T); any other tensor name, a missing name, a wrong shape or dtype is a one-line InputError naming the
// parameter and the file. The aliases of state_dict_aliases(config) may appear as well: a plain state_dict lists a
// shared tensor under each of its names (lm_head.weight for the tied word embedding; a hyena layer's
// filter_fn.implicit_filter.3.freq and .5.freq for its .1.freq). An alias that appears must be bitwise equal to its
// canonical tensor (same dtype, shape and bytes), otherwise the file is refused with a one-line InputError naming
// both keys and saying that they differ; an alias may also stand in for a canonical name that is absent.
// Writing follows safetensors.torch.save_model on the model: each shared tensor is stored once, under its
// canonical name (the one that sorts first, as save_model keeps), and the metadata maps every dropped alias to it,
// e.g. {"lm_head.weight": "backbone.embeddings.word_embeddings.weight"}; safetensors.torch.load_model restores them.
#pragma once
#include <filesystem>
#include <string>

#include "core/io/safetensors.hpp"
#include "core/model_config.hpp"

namespace menagerie::model {

// Throws InputError unless `file` holds exactly the parameters of `c` (see above); `what` names the file.
void check_parameter_file(const Config& c, const Safetensors& file, const std::string& what);

// The tensor holding parameter `name` in a checked file: under its own name, else under its first alias present.
const DynTensor& parameter_in(const Config& c, const Safetensors& file, const std::string& name);

// Elements of an F32 or F64 tensor as doubles (exact).
std::vector<double> as_doubles(const DynTensor& t);

template <class T>
Named<T> load_parameters(const Config& c, const std::filesystem::path& path) {
  const Safetensors file = read_safetensors(path);
  check_parameter_file(c, file, path.string());
  Named<T> params;
  for (const auto& s : tensors(c)) {
    const auto values = as_doubles(parameter_in(c, file, s.name));
    Tensor<T> t(s.shape);
    for (std::size_t i = 0; i < values.size(); ++i) t.data()[i] = static_cast<T>(values[i]);
    params.emplace(s.name, std::move(t));
  }
  return params;
}

// dtype: DType::f32 (what the PyTorch model holds) or DType::f64. Every parameter of tensors(c) must be in params.
template <class T>
void save_parameters(const Config& c, const Named<T>& params, const std::filesystem::path& path,
                     DType dtype = DType::f32) {
  require<InputError>(dtype == DType::f32 || dtype == DType::f64, "save_parameters: dtype ", dtype_name(dtype),
                      " is not float32 or float64");
  Safetensors file;
  for (const auto& s : tensors(c)) {
    const auto& t = get(params, s.name, s.shape);
    if (dtype == DType::f32) {
      Tensor<float> f(s.shape);
      for (std::int64_t i = 0; i < t.numel(); ++i) f.data()[i] = static_cast<float>(t.data()[i]);
      file.tensors.emplace(s.name, DynTensor(f));
    } else {
      Tensor<double> f(s.shape);
      for (std::int64_t i = 0; i < t.numel(); ++i) f.data()[i] = static_cast<double>(t.data()[i]);
      file.tensors.emplace(s.name, DynTensor(f));
    }
  }
  for (const auto& a : state_dict_aliases(c)) file.metadata.emplace(a.alias, a.canonical);
  write_safetensors(path, file);
}

}  // namespace menagerie::model
