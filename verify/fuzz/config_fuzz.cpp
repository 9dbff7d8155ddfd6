// Fuzzes the JSON config reader on arbitrary bytes as a run config file's text: parse_json (core/json.hpp: strict
// parsing, duplicate keys, nesting cap, numbers beyond a double), then a run config's schema read with the typed
// accessors train/run_config.cpp uses (get_field, get_field_or, get_as, reject_unknown_keys): its top-level keys,
// "model" with each mixer object's keys as its contract declares them (core/registry.hpp, core/config_key.hpp),
// "optimizer", "dropout", and "data" through synthetics::dataset_spec_from_json with one example generated per
// segment, as parse_run_config does to find the longest sequence.
// Not train::parse_run_config itself: clang 14 cannot compile train/run_config.cpp (its Overloaded{...} visitor
// needs C++20 aggregate deduction, which clang has from version 17), and train/ is built by g++ only.
// Expected: the text is accepted, or rejected with an InputError (FormatError, ShapeError): return 0.
// Failure (a crash libFuzzer reports): any other exception (std::bad_alloc, nlohmann::json's exceptions, ...), an
// ASan or UBSan report, a stack overflow, more than -timeout seconds on one input, more than -rss_limit_mb of memory
// (a config must not make the reader allocate what it names), or a broken invariant: parsed JSON, dumped, parses
// back equal.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/errors.hpp"
#include "core/json.hpp"
#include "core/registry.hpp"
#include "synthetics/mixture.hpp"
#include "verify/fuzz/fuzz_support.hpp"

namespace {

using namespace menagerie;

// A mixer object: "id" names a contract of core/registry.hpp's Mixers, the other keys are its config_keys().
void read_mixer(const json& j, std::string_view where) {
  const auto id = get_field<std::string>(j, "id", where);
  bool found = false;
  for_each_contract(Mixers{}, [&]<class C>(std::type_identity<C>) {
    if (found || id != C::id) return;
    found = true;
    const auto keys = C::config_keys();
    std::vector<std::string_view> allowed = {"id"};
    for (const auto& k : keys) allowed.push_back(k.name);
    reject_unknown_keys(j, allowed, where);
    for (const auto& k : keys) {
      using K = std::decay_t<decltype(k)>;
      if (const auto* i = std::get_if<typename K::Int>(&k.kind)) {
        (void)get_field_or<std::int64_t>(j, k.name, i->rule.fallback, where);
      } else if (const auto* r = std::get_if<typename K::Real>(&k.kind)) {
        (void)get_field_or<double>(j, k.name, r->rule.fallback, where);
      } else {
        const auto& c = std::get<typename K::Choice>(k.kind);
        (void)get_field_or<std::string>(j, k.name, std::string(c.fallback), where);
      }
    }
  });
  require<FormatError>(found, json_path(where, "id"), " = \"", id, "\": expected one of ", contract_ids(Mixers{}));
}

// The keys and types of train/run_config.hpp's JSON form.
void read_run_config(const json& j, std::string_view where) {
  reject_unknown_keys(j,
                      {"name", "model", "data", "optimizer", "schedule", "epochs", "batch_size", "eval_batch_size",
                       "seed", "dropout", "early_stop_accuracy", "accuracy", "precision", "threads", "backend",
                       "shuffle"},
                      where);
  (void)get_field_or<std::string>(j, "name", "run", where);
  const auto data = synthetics::dataset_spec_from_json(get_field<json>(j, "data", where), json_path(where, "data"));
  for (const auto* list : {&data.train, &data.test})
    for (auto one : *list) {
      one.count = 1;
      (void)synthetics::generate_segment(one, 0);
    }

  const auto model = get_field<json>(j, "model", where);
  const auto mw = json_path(where, "model");
  reject_unknown_keys(model, {"vocab_size", "d_model", "n_layers", "max_position_embeddings", "layer_norm_eps",
                              "hybrid", "block", "mixers"},
                      mw);
  for (const auto* key : {"vocab_size", "n_layers", "max_position_embeddings"})
    (void)get_field_or<std::int64_t>(model, key, 1, mw);
  (void)get_field<std::int64_t>(model, "d_model", mw);
  (void)get_field_or<double>(model, "layer_norm_eps", 1e-5, mw);
  (void)get_field_or<bool>(model, "hybrid", false, mw);
  (void)get_field_or<std::string>(model, "block", "transformer", mw);
  const auto mixers = get_field<json>(model, "mixers", mw);
  require<FormatError>(mixers.is_array(), json_path(mw, "mixers"), " must be an array, got ", describe_json(mixers));
  for (std::size_t i = 0; i < mixers.size(); ++i) read_mixer(mixers[i], cat(json_path(mw, "mixers"), "[", i, "]"));

  const auto opt = get_field<json>(j, "optimizer", where);
  const auto ow = json_path(where, "optimizer");
  reject_unknown_keys(opt, {"lr", "weight_decay", "betas", "eps"}, ow);
  (void)get_field<double>(opt, "lr", ow);
  (void)get_field_or<double>(opt, "weight_decay", 0.1, ow);
  (void)get_field_or<std::vector<double>>(opt, "betas", {0.9, 0.999}, ow);
  (void)get_field_or<double>(opt, "eps", 1e-8, ow);

  for (const auto* key : {"schedule", "accuracy", "precision", "backend"})
    (void)get_field_or<std::string>(j, key, "", where);
  for (const auto* key : {"epochs", "batch_size", "eval_batch_size", "threads"})
    (void)get_field_or<std::int64_t>(j, key, 1, where);
  (void)get_field_or<std::uint64_t>(j, "seed", 0, where);
  (void)get_field_or<double>(j, "early_stop_accuracy", 0.99, where);
  (void)get_field_or<bool>(j, "shuffle", false, where);
  const auto dropout = get_field_or<json>(j, "dropout", json::object(), where);
  const auto dw = json_path(where, "dropout");
  reject_unknown_keys(dropout, {"embedding", "attention", "enabled"}, dw);
  (void)get_field_or<double>(dropout, "embedding", 0.1, dw);
  (void)get_field_or<double>(dropout, "attention", 0.1, dw);
  (void)get_field_or<bool>(dropout, "enabled", true, dw);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  json j;
  try {
    j = parse_json(text, "fuzz.json");
  } catch (const InputError& e) {
    return fuzz::rejected(e);
  }
  fuzz::check(!describe_json(j).empty(), "describe_json names every value");
  fuzz::check(parse_json(j.dump(), "dumped.json") == j, "parsed JSON, dumped, parses back equal");
  try {
    read_run_config(j, "fuzz.json");
  } catch (const InputError& e) {
    return fuzz::rejected(e);
  }
  return 0;
}
