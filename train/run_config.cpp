// Strict parsing of run configs; the JSON form is in run_config.hpp.
#include "train/run_config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/registry.hpp"

namespace menagerie::train {

namespace {

using model::LayerMixer;

void positive(bool ok, std::string_view where, std::string_view key, double value, const char* expected) {
  require<InputError>(ok, json_path(where, key), " = ", value, " ", expected);
}

std::int64_t int_at_least(const json& j, std::string_view key, std::int64_t fallback, std::int64_t lo,
                          std::string_view where) {
  const auto v = get_field_or<std::int64_t>(j, key, fallback, where);
  require<InputError>(v >= lo && v <= kMaxSize, json_path(where, key), " = ", v, " must be in [", lo, ", ", kMaxSize,
                      "]");
  return v;
}

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;  // clang before 17 does not deduce aggregates (the fuzz build)

// One config key of a mixer object (core/config_key.hpp) into its Problem field.
template <class P>
void parse_key(const json& j, const ConfigKey<P>& key, P& p, std::int64_t longest, std::string_view where) {
  using K = ConfigKey<P>;
  std::visit(Overloaded{
                 [&](const typename K::Int& k) {
                   p.*k.field = int_at_least(j, key.name, k.rule.longest_sequence ? longest : k.rule.fallback,
                                             k.rule.min, where);
                 },
                 [&](const typename K::Real& k) {
                   const double v = get_field_or<double>(j, key.name, k.rule.fallback, where);
                   require<InputError>(std::isfinite(v) && v >= k.rule.min, json_path(where, key.name), " = ", v,
                                       " must be finite and >= ", k.rule.min);
                   p.*k.field = v;
                 },
                 [&](const typename K::Choice& k) {
                   const auto s = get_field_or<std::string>(j, key.name, std::string(k.fallback), where);
                   const auto it = std::find(k.names.begin(), k.names.end(), s);
                   if (it == k.names.end()) {
                     std::string list;
                     for (auto n : k.names) list += (list.empty() ? "" : ", ") + std::string(n);
                     throw InputError(cat(json_path(where, key.name), " = \"", s, "\": expected one of ", list));
                   }
                   k.set(p, static_cast<std::size_t>(it - k.names.begin()));
                 },
             },
             key.kind);
}

// A mixer object of contract C: its config keys, in declaration order, onto a Problem of width d.
template <class C>
LayerMixer mixer_of(const json& j, std::int64_t d, std::int64_t longest, std::string_view where) {
  using P = typename C::problem_type;
  const auto keys = C::config_keys();
  std::vector<std::string_view> allowed = {"id"};
  for (const auto& k : keys) allowed.push_back(k.name);
  reject_unknown_keys(j, allowed, where);
  P p{};
  p.B = 1;
  p.T = 1;
  p.*C::model_width = d;
  for (const auto& k : keys) parse_key(j, k, p, longest, where);
  return LayerMixer::of<C>(std::move(p));
}

}  // namespace

LayerMixer mixer_from_json(const json& j, std::int64_t d, std::int64_t longest, std::string_view where) {
  const auto id = get_field<std::string>(j, "id", where);
  std::optional<LayerMixer> m;
  for_each_contract(Mixers{}, [&]<class C>(std::type_identity<C>) {
    if (!m && id == C::id) m = mixer_of<C>(j, d, longest, where);
  });
  if (!m) throw InputError(cat(json_path(where, "id"), " = \"", id, "\": expected one of ", contract_ids(Mixers{})));
  return *m;
}

model::Config model_from_json(const json& j, std::int64_t l_max, std::string_view where) {
  reject_unknown_keys(j, {"vocab_size", "d_model", "n_layers", "max_position_embeddings", "layer_norm_eps",
                          "hybrid", "block", "mixers"},
                      where);
  model::Config c;
  c.vocab = int_at_least(j, "vocab_size", 8192, 1, where);
  require<FormatError>(j.contains("d_model"), where, ": missing required key 'd_model'");
  c.d_model = int_at_least(j, "d_model", c.d_model, 1, where);
  c.n_layers = int_at_least(j, "n_layers", 2, 1, where);
  c.max_position_embeddings = int_at_least(j, "max_position_embeddings", 0, 0, where);
  c.layer_norm_eps = get_field_or<double>(j, "layer_norm_eps", 1e-5, where);
  positive(std::isfinite(c.layer_norm_eps) && c.layer_norm_eps > 0, where, "layer_norm_eps", c.layer_norm_eps,
           "must be > 0");
  c.hybrid = get_field_or<bool>(j, "hybrid", false, where);
  const auto block = get_field_or<std::string>(j, "block", "transformer", where);
  require<InputError>(block == "transformer" || block == "mamba", json_path(where, "block"), " = \"", block,
                      "\": expected transformer or mamba");
  c.block = block == "mamba" ? model::Block::mamba : model::Block::transformer;
  const auto mixers = get_field<json>(j, "mixers", where);
  const auto mw = json_path(where, "mixers");
  require<FormatError>(mixers.is_array() && !mixers.empty(), mw, " must be a non-empty array of mixer objects, got ",
                       describe_json(mixers));
  for (std::size_t i = 0; i < mixers.size(); ++i)
    c.mixers.push_back(mixer_from_json(mixers[i], c.d_model, l_max, cat(mw, "[", i, "]")));
  try {
    c.validate();
    (void)model::tensors(c);  // every mixer's Problem validated at (1, 1)
  } catch (const InputError& e) {
    throw InputError(cat(where, ": ", e.what()));
  }
  return c;
}

namespace {

AdamWConfig optimizer_from_json(const json& j, std::string_view where) {
  reject_unknown_keys(j, {"lr", "weight_decay", "betas", "eps"}, where);
  AdamWConfig o;
  o.lr = get_field<double>(j, "lr", where);
  positive(std::isfinite(o.lr) && o.lr > 0 && o.lr <= 1, where, "lr", o.lr,
           "must be in (0, 1] (AdamW moves each weight by about lr per step)");
  o.weight_decay = get_field_or<double>(j, "weight_decay", o.weight_decay, where);
  positive(std::isfinite(o.weight_decay) && o.weight_decay >= 0 && o.lr * o.weight_decay < 1, where, "weight_decay",
           o.weight_decay, "must be >= 0 with lr x weight_decay < 1 (each step multiplies the weights by 1 - lr x wd)");
  const auto betas = get_field_or<std::vector<double>>(j, "betas", {o.beta1, o.beta2}, where);
  require<InputError>(betas.size() == 2, json_path(where, "betas"), " has ", betas.size(),
                      " entries; expected [beta1, beta2]");
  for (double b : betas)
    require<InputError>(b >= 0 && b < 1, json_path(where, "betas"), " entry ", b, " must be in [0, 1)");
  o.beta1 = betas[0];
  o.beta2 = betas[1];
  o.eps = get_field_or<double>(j, "eps", o.eps, where);
  positive(std::isfinite(o.eps) && o.eps > 0 && o.eps <= 1, where, "eps", o.eps, "must be in (0, 1]");
  return o;
}

double probability(const json& j, std::string_view key, double fallback, std::string_view where) {
  const double p = get_field_or<double>(j, key, fallback, where);
  require<InputError>(p >= 0 && p < 1, json_path(where, key), " = ", p, " must be in [0, 1)");
  return p;
}

template <class E>
E choice(const json& j, std::string_view key, E fallback, std::initializer_list<std::pair<const char*, E>> options,
         std::string_view where) {
  if (!j.contains(key)) return fallback;
  const auto s = get_field<std::string>(j, key, where);
  std::string list;
  for (const auto& [name, value] : options) {
    if (s == name) return value;
    list += (list.empty() ? "" : ", ") + std::string(name);
  }
  throw InputError(cat(json_path(where, key), " = \"", s, "\": expected one of ", list));
}

// Integer task parameters (vocab_size, input_seq_len, ...) at most kMaxSize, checked before any example is
// generated: one MQAR example of input_seq_len 2e9 holds 32 GB.
void check_data_sizes(const synthetics::DatasetSpec& data, std::string_view where) {
  for (const auto& [name, list] : {std::pair{"train", &data.train}, std::pair{"test", &data.test}})
    for (std::size_t i = 0; i < list->size(); ++i)
      for (const auto& [key, text] : (*list)[i].params) {
        long long v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        const bool integer = end == text.data() + text.size() && !text.empty();
        require<InputError>(!integer || (ec == std::errc() && v <= kMaxSize), where, ".", name, "[", i, "].params.",
                            key, " = ", text, " must be <= ", kMaxSize);
      }
}

}  // namespace

std::int64_t max_sequence_length(const synthetics::DatasetSpec& data, std::string_view where) {
  std::int64_t longest = 0;
  for (const auto* list : {&data.train, &data.test})
    for (const auto& seg : *list) {
      auto one = seg;
      one.count = 1;
      try {
        longest = std::max(longest, synthetics::generate_segment(one, 0).seq_len());
      } catch (const InputError& e) {
        throw InputError(cat(where, ": data: ", e.what()));
      }
    }
  return longest;
}

RunConfig parse_run_config(const json& j, std::string_view where) {
  reject_unknown_keys(j,
                      {"name", "model", "data", "optimizer", "schedule", "epochs", "batch_size", "eval_batch_size",
                       "seed", "dropout", "early_stop_accuracy", "accuracy", "precision", "threads", "backend",
                       "shuffle", "cuda_graph"},
                      where);
  RunConfig c;
  c.name = get_field_or<std::string>(j, "name", "run", where);
  require<InputError>(!c.name.empty() && c.name.find_first_of("/\\\n\"") == std::string::npos,
                      json_path(where, "name"), " = \"", c.name, "\" must be non-empty without / \\ \" or newlines");
  c.data = synthetics::dataset_spec_from_json(get_field<json>(j, "data", where), json_path(where, "data"));
  check_data_sizes(c.data, json_path(where, "data"));
  require<InputError>(!c.data.train.empty(), json_path(where, "data"), ": 'train' is empty; training needs examples");
  require<InputError>(!c.data.test.empty(), json_path(where, "data"), ": 'test' is empty; evaluation needs a test set");
  const std::int64_t l_max = max_sequence_length(c.data, where);
  c.model = model_from_json(get_field<json>(j, "model", where), l_max, json_path(where, "model"));
  require<InputError>(c.model.max_position_embeddings == 0 || c.model.max_position_embeddings >= l_max,
                      json_path(where, "model"), ".max_position_embeddings = ", c.model.max_position_embeddings,
                      " is shorter than the data's longest sequence ", l_max);
  c.optimizer = optimizer_from_json(get_field<json>(j, "optimizer", where), json_path(where, "optimizer"));
  c.schedule = choice(j, "schedule", Schedule::cosine, {{"cosine", Schedule::cosine}, {"constant", Schedule::constant}},
                      where);
  c.epochs = int_at_least(j, "epochs", c.epochs, 1, where);
  c.batch_size = int_at_least(j, "batch_size", c.batch_size, 1, where);
  c.eval_batch_size = int_at_least(j, "eval_batch_size", c.eval_batch_size, 1, where);
  c.seed = get_field_or<std::uint64_t>(j, "seed", 0, where);
  const auto dropout = get_field_or<json>(j, "dropout", json::object(), where);
  const auto dw = json_path(where, "dropout");
  reject_unknown_keys(dropout, {"embedding", "attention", "enabled"}, dw);
  c.dropout = {probability(dropout, "embedding", 0.1, dw), probability(dropout, "attention", 0.1, dw)};
  if (!get_field_or<bool>(dropout, "enabled", true, dw)) c.dropout = {0, 0};
  c.early_stop_accuracy = get_field_or<double>(j, "early_stop_accuracy", c.early_stop_accuracy, where);
  require<InputError>(c.early_stop_accuracy >= 0, json_path(where, "early_stop_accuracy"), " = ",
                      c.early_stop_accuracy, " must be >= 0 (above 1 never stops early)");
  c.accuracy = choice(j, "accuracy", Accuracy::per_example,
                      {{"per_example", Accuracy::per_example}, {"pooled", Accuracy::pooled}}, where);
  c.precision = choice(j, "precision", Precision::f32,
                       {{"float", Precision::f32}, {"double", Precision::f64}, {"tf32", Precision::tf32},
                        {"bf16", Precision::bf16}},
                       where);
  c.threads = int_at_least(j, "threads", c.threads, 1, where);
  require<InputError>(c.threads <= 256, json_path(where, "threads"), " = ", c.threads, " must be <= 256");
  c.backend = get_field_or<std::string>(j, "backend", c.backend, where);
  require<InputError>(c.backend == "reference" || c.backend == "gpu", json_path(where, "backend"), " = \"", c.backend,
                      "\": expected \"reference\" (CPU) or \"gpu\"");
  c.shuffle = get_field_or<bool>(j, "shuffle", false, where);
  const bool gpu_mode = c.precision == Precision::tf32 || c.precision == Precision::bf16;
  require<InputError>(!gpu_mode || c.backend == "gpu", json_path(where, "precision"), " = \"",
                      precision_name(c.precision), "\" needs \"backend\": \"gpu\" (got \"", c.backend,
                      "\"; the reference backend takes \"float\" or \"double\")");
  c.cuda_graph = get_field_or<bool>(j, "cuda_graph", false, where);
  require<InputError>(!c.cuda_graph || c.backend == "gpu", json_path(where, "cuda_graph"),
                      " = true needs \"backend\": \"gpu\" (got \"", c.backend, "\")");
  c.source = j;
  return c;
}

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::f32: return "float";
    case Precision::f64: return "double";
    case Precision::tf32: return "tf32";
    case Precision::bf16: return "bf16";
  }
  return "?";
}

RunConfig read_run_config(const std::string& path) { return parse_run_config(read_json_file(path), path); }

std::string describe(const RunConfig& c) {
  std::string mixers;
  for (const auto& m : c.model.mixers) {
    if (!mixers.empty()) mixers += '+';
    mixers += m.id();
  }
  return cat(c.name, ": [", mixers, "] d_model ", c.model.d_model, ", ", c.model.n_layers, " layers, vocab ",
             c.model.vocab, "; lr ", c.optimizer.lr, "; ", c.epochs, " epochs x batch ", c.batch_size, "; seed ",
             c.seed, "; ", precision_name(c.precision), ", ", c.threads, " threads");
}

}  // namespace menagerie::train
