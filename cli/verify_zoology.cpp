// menagerie verify --zoology DIR: the double reference against zoology's own PyTorch modules, run in float64 by
// verify/make_zoology_fixtures.py. Every subfolder of DIR holding a manifest.json is one case:
//   manifest.json           {"kind": "mixer", "mixer": {"id": <id>, <the contract's config keys>}, "d_model", "B", "T"}
//                           or {"kind": "model", "model": <a run config's model object>, "B", "T"}; provenance keys
//                           (seed, torch, zoology, module, mixer_module, mixer_kwargs, notes) are allowed and unread
//   state_dict.safetensors  the module's state_dict, F64, under zoology's names (aliases of one tensor allowed:
//                           model::state_dict_aliases, bitwise equal to the tensor they alias)
//   inputs.safetensors      mixer: u [B, T, d], dy [B, T, d] (F64);  model: ids, labels [B, T] (I64)
//   outputs.safetensors     mixer: y, du and grad.<name> for every parameter of the contract;
//                           model: logits [B, T, V], loss [] and grad.<name> for every parameter of the model
// The mixer's Problem comes from the manifest through the contract's config keys (train::mixer_from_json, which
// iterates core/registry.hpp's Mixers and matches the id), the model's Config through train::model_from_json; the
// reference runs in double: the mixer's reference_forward / reference_backward (model::registry_math, found by ADL),
// the model's logits and loss_and_gradients (reference/model.hpp), with dy (mixers) or the mean cross-entropy at the
// labelled positions (model) as the upstream gradient. Each output tensor is compared with
// relerr = ||zoology - reference||_2 / ||reference||_2 (0 when both are zero, inf when only the reference is) and
// passes at <= zoology_tolerance. One table: case, tensor, shape, relerr, verdict; then the worst per case.
// Bad input is an InputError naming the file and value (exit 2): a tensor on one side only, a wrong shape or dtype.
#include "cli/verify_zoology.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/io/safetensors.hpp"
#include "core/json.hpp"
#include "core/model_config.hpp"
#include "reference/model.hpp"
#include "train/run_config.hpp"

namespace menagerie::cli {

namespace {

namespace fs = std::filesystem;

struct Row {
  std::string case_name, tensor, shape;
  double relerr = 0;
  bool pass = true;
};

struct Expected {  // one reference output, in the order the table shows them
  std::string name;
  Tensor<double> value;
};

struct Case {
  std::vector<Expected> expected;
};

Safetensors read_file(const fs::path& folder, const char* name) {
  const fs::path p = folder / name;
  require<InputError>(fs::is_regular_file(p), p.string(), ": missing (expected by menagerie verify --zoology)");
  return read_safetensors(p);
}

// The F64 tensor `name` of `file` with shape `shape`.
Tensor<double> f64(const Safetensors& file, const std::string& name, const Shape& shape, const std::string& what) {
  const auto it = file.tensors.find(name);
  require<InputError>(it != file.tensors.end(), what, ": tensor '", name, "' missing");
  require<InputError>(it->second.dtype() == DType::f64, what, ": tensor '", name, "' has dtype ",
                      dtype_name(it->second.dtype()), ", expected float64");
  require<ShapeError>(it->second.shape() == shape, what, ": tensor '", name, "' has shape ",
                      shape_str(it->second.shape()), ", expected ", shape_str(shape));
  return it->second.as<double>();
}

// The I64 tensor `name` [B, T] as a flat vector.
std::vector<std::int64_t> i64(const Safetensors& file, const std::string& name, const Shape& shape,
                              const std::string& what) {
  const auto it = file.tensors.find(name);
  require<InputError>(it != file.tensors.end(), what, ": tensor '", name, "' missing");
  require<InputError>(it->second.dtype() == DType::i64, what, ": tensor '", name, "' has dtype ",
                      dtype_name(it->second.dtype()), ", expected int64");
  require<ShapeError>(it->second.shape() == shape, what, ": tensor '", name, "' has shape ",
                      shape_str(it->second.shape()), ", expected ", shape_str(shape));
  const auto t = it->second.as<std::int64_t>();
  return {t.data(), t.data() + t.numel()};
}

// Exactly these names in the file, else the first one that is on one side only.
void require_names(const Safetensors& file, const std::set<std::string>& names, const std::string& what) {
  for (const auto& [name, t] : file.tensors)
    require<InputError>(names.count(name), what, ": tensor '", name, "' has no counterpart in the reference");
  for (const auto& name : names)
    require<InputError>(file.tensors.count(name), what, ": tensor '", name, "' of the reference is missing");
}

// The parameters of `specs` from a state_dict: each under its own name or an alias (all F64, shapes as specified);
// every alias present must be bitwise equal to its tensor; any other name is refused.
Named<double> read_state(const Safetensors& file, const std::vector<TensorSpec>& specs,
                         const std::vector<model::Alias>& aliases, const std::string& what) {
  std::set<std::string> names;
  for (const auto& s : specs) names.insert(s.name);
  for (const auto& a : aliases) names.insert(a.alias);
  for (const auto& [name, t] : file.tensors)
    require<InputError>(names.count(name), what, ": tensor '", name, "' has no counterpart in the reference");
  Named<double> params;
  for (const auto& s : specs) {
    std::string key = s.name;
    if (!file.tensors.count(key))
      for (const auto& a : aliases)
        if (a.canonical == s.name && file.tensors.count(a.alias)) {
          key = a.alias;
          break;
        }
    params.emplace(s.name, f64(file, key, s.shape, what));
  }
  for (const auto& a : aliases) {
    const auto it = file.tensors.find(a.alias), c = file.tensors.find(a.canonical);
    if (it != file.tensors.end() && c != file.tensors.end())
      require<InputError>(it->second == c->second, what, ": '", a.alias, "' is an alias of '", a.canonical,
                          "' but differs from it");
  }
  return params;
}

}  // namespace

std::vector<model::Alias> mixer_aliases(const model::LayerMixer& m, std::int64_t d) {
  model::Config c;
  c.vocab = 1;
  c.d_model = d;
  c.n_layers = 1;
  c.mixers = {m};
  const std::string prefix = c.mixer_prefix(0);
  std::vector<model::Alias> out;
  for (auto a : model::state_dict_aliases(c))
    if (a.alias.starts_with(prefix) && a.canonical.starts_with(prefix))
      out.push_back({a.alias.substr(prefix.size()), a.canonical.substr(prefix.size())});
  return out;
}

namespace {

std::int64_t positive(const json& j, const char* key, const std::string& where) {
  const auto v = get_field<std::int64_t>(j, key, where);
  require<InputError>(v >= 1 && v <= train::kMaxSize, json_path(where, key), " = ", v, " must be in [1, ",
                      train::kMaxSize, "]");
  return v;
}

Case mixer_case(const fs::path& folder, const json& manifest, const std::string& where) {
  const std::int64_t d = positive(manifest, "d_model", where), B = positive(manifest, "B", where),
                     T = positive(manifest, "T", where);
  const auto mixer = train::mixer_from_json(get_field<json>(manifest, "mixer", where), d, T,
                                            json_path(where, "mixer"));
  const auto specs = mixer.tensors(B, T);
  const std::string sd_what = (folder / "state_dict.safetensors").string();
  Named<double> in = read_state(read_file(folder, "state_dict.safetensors"), specs_with_role(specs, Role::param),
                                mixer_aliases(mixer, d), sd_what);
  const Safetensors inputs = read_file(folder, "inputs.safetensors");
  const std::string in_what = (folder / "inputs.safetensors").string();
  require_names(inputs, {"u", "dy"}, in_what);
  in.emplace("u", f64(inputs, "u", {B, T, d}, in_what));
  Named<double> d_out;
  d_out.emplace("y", f64(inputs, "dy", {B, T, d}, in_what));

  const auto math = model::registry_math<double>(mixer);
  Named<double> out = allocate<double>(specs, Role::output), d_in;
  math.forward(B, T, model::Tokens{}, in, out);  // zoology modules read no token ids
  math.backward(B, T, model::Tokens{}, in, d_out, d_in);
  Case c;
  c.expected.push_back({"y", out.at("y")});
  c.expected.push_back({"du", d_in.at("u")});
  for (const auto& s : specs)
    if (s.role == Role::param) c.expected.push_back({"grad." + s.name, d_in.at(s.name)});
  return c;
}

Case model_case(const fs::path& folder, const json& manifest, const std::string& where) {
  const std::int64_t B = positive(manifest, "B", where), T = positive(manifest, "T", where);
  const model::Config config = train::model_from_json(get_field<json>(manifest, "model", where), T,
                                                      json_path(where, "model"));
  const auto specs = model::tensors(config);
  const Named<double> params = read_state(read_file(folder, "state_dict.safetensors"), specs,
                                          model::state_dict_aliases(config),
                                          (folder / "state_dict.safetensors").string());
  const Safetensors inputs = read_file(folder, "inputs.safetensors");
  const std::string in_what = (folder / "inputs.safetensors").string();
  require_names(inputs, {"ids", "labels"}, in_what);
  model::Batch batch{B, T, i64(inputs, "ids", {B, T}, in_what), i64(inputs, "labels", {B, T}, in_what)};
  try {
    batch.validate(config, true);
  } catch (const InputError& e) {
    throw InputError(cat(in_what, ": ", e.what()));
  }
  const model::Model<double> lm(config);
  Named<double> grads;
  const double loss = lm.loss_and_gradients(params, batch, grads);
  Case c;
  c.expected.push_back({"logits", lm.logits(params, batch)});
  c.expected.push_back({"loss", Tensor<double>(Shape{}, std::vector<double>{loss})});
  for (const auto& s : specs) c.expected.push_back({"grad." + s.name, grads.at(s.name)});
  return c;
}

double relerr(const Tensor<double>& x, const Tensor<double>& ref) {
  long double num = 0, den = 0;
  for (std::int64_t i = 0; i < ref.numel(); ++i) {
    const long double r = ref.data()[i], e = static_cast<long double>(x.data()[i]) - r;
    num += e * e;
    den += r * r;
  }
  if (!std::isfinite(static_cast<double>(num))) return INFINITY;
  if (den == 0) return num == 0 ? 0.0 : INFINITY;
  return static_cast<double>(std::sqrt(num / den));
}

std::vector<Row> compare_case(const fs::path& folder) {
  const std::string name = folder.filename().string(), where = (folder / "manifest.json").string();
  const json manifest = read_json_file(folder / "manifest.json");
  reject_unknown_keys(manifest,
                      {"kind", "mixer", "model", "d_model", "B", "T", "seed", "torch", "zoology", "module",
                       "mixer_module", "mixer_kwargs", "notes"},
                      where);
  const auto kind = get_field<std::string>(manifest, "kind", where);
  require<InputError>(kind == "mixer" || kind == "model", json_path(where, "kind"), " = \"", kind,
                      "\": expected mixer or model");
  const Case c = kind == "mixer" ? mixer_case(folder, manifest, where) : model_case(folder, manifest, where);

  const Safetensors outputs = read_file(folder, "outputs.safetensors");
  const std::string out_what = (folder / "outputs.safetensors").string();
  std::set<std::string> names;
  for (const auto& e : c.expected) names.insert(e.name);
  require_names(outputs, names, out_what);
  std::vector<Row> rows;
  for (const auto& e : c.expected) {
    const double r = relerr(f64(outputs, e.name, e.value.shape(), out_what), e.value);
    rows.push_back({name, e.name, shape_str(e.value.shape()), r, r <= zoology_tolerance});
  }
  return rows;
}

}  // namespace

bool verify_zoology(const std::string& dir) {
  require<InputError>(fs::is_directory(dir), "--zoology ", dir, ": not a directory");
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_directory()) {
      require<InputError>(fs::is_regular_file(entry.path() / "manifest.json"), "--zoology ", dir, ": ",
                          entry.path().filename().string(), " has no manifest.json");
      cases.push_back(entry.path());
    }
  require<InputError>(!cases.empty(), "--zoology ", dir, ": no case folders (each a folder with a manifest.json)");
  std::sort(cases.begin(), cases.end());

  std::vector<Row> rows;
  for (const auto& folder : cases) {
    auto r = compare_case(folder);
    rows.insert(rows.end(), r.begin(), r.end());
  }
  std::printf("menagerie verify --zoology %s: double reference against zoology's float64 PyTorch modules, "
              "relerr = ||zoology - ref|| / ||ref||, pass <= %.0e\n",
              dir.c_str(), zoology_tolerance);
  std::printf("%-24s %-56s %-16s %-9s %s\n", "case", "tensor", "shape", "relerr", "verdict");
  bool pass = true;
  int failed = 0;
  for (const auto& r : rows) {
    std::printf("%-24s %-56s %-16s %-9.1e %s\n", r.case_name.c_str(), r.tensor.c_str(), r.shape.c_str(), r.relerr,
                r.pass ? "ok" : "FAIL");
    pass = pass && r.pass;
    failed += r.pass ? 0 : 1;
  }
  std::printf("\nworst per case:\n%-24s %-8s %-9s %-56s %s\n", "case", "tensors", "relerr", "worst tensor",
              "verdict");
  for (std::size_t i = 0; i < rows.size();) {
    std::size_t j = i, worst = i;
    bool ok = true;
    for (; j < rows.size() && rows[j].case_name == rows[i].case_name; ++j) {
      if (!(rows[j].relerr <= rows[worst].relerr)) worst = j;
      ok = ok && rows[j].pass;
    }
    std::printf("%-24s %-8zu %-9.1e %-56s %s\n", rows[i].case_name.c_str(), j - i, rows[worst].relerr,
                rows[worst].tensor.c_str(), ok ? "PASS" : "FAIL");
    i = j;
  }
  if (!pass) std::printf("%d of %zu tensors disagree beyond %.0e\n", failed, rows.size(), zoology_tolerance);
  std::fflush(stdout);
  return pass;
}

}  // namespace menagerie::cli
