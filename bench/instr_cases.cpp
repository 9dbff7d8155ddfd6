// instr_cases: the CPU work `menagerie gate --cpu` counts instructions of (valgrind's callgrind, cli/gate.cpp), one
// named case per call, measured between CALLGRIND_START_INSTRUMENTATION and CALLGRIND_STOP_INSTRUMENTATION so that
// start-up, input generation and teardown are not counted (the macros do nothing outside valgrind).
//   instr_cases --list      every case, one per line
//   instr_cases CASE        run it once
// Cases (sizes reduced so that the whole list runs under callgrind in about a minute):
//   ref/<id>[_<case>]/forward|backward   each contract's reference_bench_cases(T = 32, d = 16) in double
//                                        (operators, then mixers, registry order)
//   synthetics/mqar                      256 MQAR sequences of 64 tokens (Zoology's generator)
//   train/step/<mixer>                   one forward_backward and AdamW step of a 2-layer MQAR model with that
//                                        mixer, d = 16, batch 8 x 32 tokens, one thread, reference backend in float
// Unknown case: exit 2 naming it.
#include <valgrind/callgrind.h>

#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "core/registry.hpp"
#include "reference/all.hpp"
#include "reference/conformance.hpp"
#include "synthetics/mqar.hpp"
#include "train/backend.hpp"

namespace {

using namespace menagerie;

constexpr std::int64_t kT = 32, kD = 16;

// A case prepares its inputs and returns the work to count.
using Case = std::function<std::function<void()>()>;

template <class P>
Case forward_case(const P& p) {
  return [p] {
    auto in = std::make_shared<Named<double>>(ref::random_inputs(tensors(p), 1));
    auto out = std::make_shared<Named<double>>(allocate<double>(tensors(p), Role::output, 0.0));
    return std::function<void()>([p, in, out] { reference_forward<double>(p, *in, *out); });
  };
}

template <class P>
Case backward_case(const P& p) {
  return [p] {
    const auto specs = tensors(p);
    auto in = std::make_shared<Named<double>>(ref::random_inputs(specs, 1));
    std::vector<TensorSpec> outs;
    for (auto s : specs)
      if (s.role == Role::output) outs.push_back((s.role = Role::input, s));
    auto d_out = std::make_shared<Named<double>>(ref::random_inputs(outs, 2));
    return std::function<void()>([p, in, d_out] {
      Named<double> grads;
      reference_backward<double>(p, *in, *d_out, grads);
    });
  };
}

template <class... C>
void add_references(std::map<std::string, Case>& cases, TypeList<C...> list) {
  for_each_contract(list, [&]<class K>(std::type_identity<K>) {
    for (const auto& c : K::reference_bench_cases(kT, kD)) {
      const std::string name = "ref/" + std::string(K::id) + (c.name.empty() ? "" : "_" + std::string(c.name));
      cases[name + "/forward"] = forward_case(c.problem);
      cases[name + "/backward"] = backward_case(c.problem);
    }
  });
}

Case train_step_case(const std::string& mixer) {
  return [mixer] {
    const nlohmann::json j = {
        {"name", "gate"},
        {"model", {{"vocab_size", 64}, {"d_model", kD}, {"n_layers", 2}, {"mixers", {{{"id", mixer}}, {{"id", mixer}}}}}},
        {"data",
         {{"seed", 1},
          {"train", {{{"task", "mqar"}, {"count", 8}, {"params", {{"vocab_size", 64}, {"input_seq_len", kT},
                                                                   {"num_kv_pairs", 4}}}}}},
          {"test", {{{"task", "mqar"}, {"count", 8}, {"params", {{"vocab_size", 64}, {"input_seq_len", kT},
                                                                  {"num_kv_pairs", 4}}}}}}}},
        {"optimizer", {{"lr", 1e-3}}}, {"epochs", 1}, {"batch_size", 8}, {"seed", 0}, {"threads", 1}, {"dropout", {{"enabled", false}}}};
    const auto config = train::parse_run_config(j, "gate case");
    auto backend = std::shared_ptr<train::Backend>(train::make_backend(config));
    const auto ex = synthetics::mqar({.vocab_size = 64, .num_examples = 8, .input_seq_len = kT, .num_kv_pairs = 4}, 1);
    auto batch = std::make_shared<model::Batch>();
    batch->B = 8, batch->T = kT;
    batch->ids.assign(ex.inputs.data(), ex.inputs.data() + ex.inputs.numel());
    batch->labels.assign(ex.labels.data(), ex.labels.data() + ex.labels.numel());
    return std::function<void()>([backend, batch, config] {
      backend->forward_backward(*batch, {});
      backend->step(config.optimizer, 1e-3);
    });
  };
}

std::map<std::string, Case> all_cases() {
  std::map<std::string, Case> cases;
  add_references(cases, Operators{});
  add_references(cases, Mixers{});
  cases["synthetics/mqar"] = [] {
    return std::function<void()>([] {
      const auto ex = synthetics::mqar({.vocab_size = 256, .num_examples = 256, .input_seq_len = 64}, 7);
      std::printf("%lld\n", static_cast<long long>(ex.inputs.data()[5]));
    });
  };
  for (const char* m : {"mha", "base_conv", "based"}) cases[std::string("train/step/") + m] = train_step_case(m);
  return cases;
}

}  // namespace

int main(int argc, char** argv) {
  const auto cases = all_cases();
  if (argc != 2) {
    std::fprintf(stderr, "usage: instr_cases --list | CASE\n");
    return 2;
  }
  const std::string arg = argv[1];
  if (arg == "--list") {
    for (const auto& [name, c] : cases) std::printf("%s\n", name.c_str());
    return 0;
  }
  const auto it = cases.find(arg);
  if (it == cases.end()) {
    std::fprintf(stderr, "instr_cases: no case named '%s' (see --list)\n", arg.c_str());
    return 2;
  }
  try {
    const auto work = it->second();
    CALLGRIND_START_INSTRUMENTATION;
    work();
    CALLGRIND_STOP_INSTRUMENTATION;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "instr_cases: %s: %s\n", arg.c_str(), e.what());
    return 1;
  }
  return 0;
}
