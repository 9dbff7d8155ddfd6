// The task list: every generator of synthetics/ with its id, a one-line summary and its default configuration.
// Generic code iterates it: `menagerie data <task>` builds one subcommand per entry from the config's fields()
// (name, member, help), and mixtures (mixture.hpp) look tasks up by id.
//   for_each_task(f)  calls f(TaskDef<Config, Output>) for each task, in the order of `menagerie data --help`.
//   set_param(config, task, name, text)
//                     sets one field from text: integers (decimal, full string), reals (finite), booleans
//                     (true/false/1/0); an unknown name or a bad value is an InputError naming both.
//   generate(task, params, seed)
//                     the token-level task `task` (snake_case or dashed id) with the given parameters over its
//                     defaults. continuous_mqar has no token sequences and is refused here.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "synthetics/circuits.hpp"
#include "synthetics/classic_ar.hpp"
#include "synthetics/compositional_mqar.hpp"
#include "synthetics/continuous_mqar.hpp"
#include "synthetics/examples.hpp"
#include "synthetics/forgetting_mqar.hpp"
#include "synthetics/jrt.hpp"
#include "synthetics/mad_recall.hpp"
#include "synthetics/mad_tasks.hpp"
#include "synthetics/mqar.hpp"

namespace menagerie::synthetics {

template <class Config, class Output>
struct TaskDef {
  std::string_view name;
  std::string_view summary;
  Config defaults;
  Output (*generate)(const Config&, std::uint32_t);
};

template <class F>
void for_each_task(F&& f) {
  f(TaskDef<MqarConfig, Examples>{"mqar", "multi-query associative recall, as Zoology generates it", {}, &mqar});
  f(TaskDef<CompositionalMqarConfig, Examples>{
      "compositional_mqar", "MQAR with compound keys (K1, K2) on a grid", {}, &compositional_mqar});
  f(TaskDef<ForgettingMqarConfig, Examples>{
      "forgetting_mqar", "MQAR where some keys are re-bound; queries want the latest value", {}, &forgetting_mqar});
  f(TaskDef<ContinuousMqarConfig, ContinuousMqarExamples>{
      "continuous_mqar", "stacked MQAR: embedding-row index layout (key_ids, value_ids, labels)", {},
      &continuous_mqar});
  f(TaskDef<CircuitConfig, Examples>{"parity", "parity of N-1 random bits, answered at the end marker", {},
                                     +[](const CircuitConfig& c, std::uint32_t s) {
                                       return circuit(Circuit::parity, c, s);
                                     }});
  f(TaskDef<CircuitConfig, Examples>{"majority", "majority of N-1 random bits, answered at the end marker", {},
                                     +[](const CircuitConfig& c, std::uint32_t s) {
                                       return circuit(Circuit::majority, c, s);
                                     }});
  f(TaskDef<VocabMajorityConfig, Examples>{"vocab_majority", "most frequent of N-1 random tokens", {},
                                           &vocab_majority});
  f(TaskDef<CircuitConfig, Examples>{"cumulative_parity", "running parity of N random bits at every position", {},
                                     +[](const CircuitConfig& c, std::uint32_t s) {
                                       return circuit(Circuit::cumulative_parity, c, s);
                                     }});
  f(TaskDef<CircuitConfig, Examples>{"cumulative_majority", "running majority of N random bits at every position",
                                     {}, +[](const CircuitConfig& c, std::uint32_t s) {
                                       return circuit(Circuit::cumulative_majority, c, s);
                                     }});
  f(TaskDef<AssociativeRecallConfig, Examples>{
      "associative_recall", "ICLR-era recall: D pairs, then q queries at random positions", {},
      &associative_recall});
  f(TaskDef<BaseArConfig, Examples>{"base_ar", "classic single-query recall with a copy prefix", {}, &base_ar});
  f(TaskDef<DisjointSetsConfig, Examples>{"disjoint_sets", "JRT set disjointness: name the one common element", {},
                                          &disjoint_sets});
  f(TaskDef<MiniMqarConfig, Examples>{"mini_mqar", "JRT mini multi-query recall: re-emit queried keys and values",
                                      {}, &mini_mqar});
  f(TaskDef<MadRecallConfig, Examples>{"mad_in_context_recall", "MAD in-context recall (baseline c=16, N=128)", {},
                                       &mad_in_context_recall});
  f(TaskDef<MadRecallConfig, Examples>{"mad_noisy_in_context_recall",
                                       "MAD noisy in-context recall (baseline c=32, 16 noise tokens, 0.2 noise)",
                                       mad_noisy_recall_baseline(), &mad_in_context_recall});
  f(TaskDef<MadFuzzyRecallConfig, Examples>{"mad_fuzzy_in_context_recall",
                                            "MAD fuzzy recall: multi-token key/value motifs", {},
                                            &mad_fuzzy_in_context_recall});
  f(TaskDef<MadSelectiveCopyingConfig, Examples>{"mad_selective_copying",
                                                 "MAD selective copying of T tokens among blanks", {},
                                                 &mad_selective_copying});
  f(TaskDef<MadCompressionConfig, Examples>{"mad_compression", "MAD compression: reconstruct the input", {},
                                            &mad_compression});
  f(TaskDef<MadMemorizationConfig, Examples>{"mad_memorization", "MAD memorization of a fixed key->value map", {},
                                             &mad_memorization});
}

// "mad-in-context-recall" -> "mad_in_context_recall"
std::string task_id(std::string_view name);
std::vector<std::string> task_names();

void parse_param(std::string_view task, std::string_view name, std::string_view text, std::int64_t& out);
void parse_param(std::string_view task, std::string_view name, std::string_view text, double& out);
void parse_param(std::string_view task, std::string_view name, std::string_view text, bool& out);

template <class Config>
void set_param(Config& config, std::string_view task, std::string_view name, std::string_view text) {
  bool found = false;
  std::string known;
  config.fields([&](std::string_view field, auto& member, std::string_view) {
    known += (known.empty() ? "" : ", ") + std::string(field);
    if (field != name) return;
    found = true;
    parse_param(task, name, text, member);
  });
  require(found, task, ": unknown parameter '", name, "' (expected one of: ", known, ")");
}

Examples generate(std::string_view task, const std::map<std::string, std::string>& params, std::uint32_t seed);

}  // namespace menagerie::synthetics
