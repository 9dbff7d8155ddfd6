// How fast the double references are, so we know up to which sizes they serve as the GPU oracle (issue #4).
// Every mixer, and the operators inside them, at Zoology's smallest MQAR width: B = 1, T = 1024, d = 64, on the
// shapes each contract of core/registry.hpp declares (reference_bench_cases; one head, operators on the shapes their
// mixer hands them). Forward and backward (analytic gradients of every input and parameter against a random
// upstream gradient), in double, one thread.
//   reference_bench                                       (all)
//   reference_bench --benchmark_filter='mixer/.*forward'  (one kind)
// Counters: tokens/s and GFLOP/s from the contract's cost(); docs/reference.md records the measured figures.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <type_traits>

#include "core/registry.hpp"
#include "reference/all.hpp"
#include "reference/conformance.hpp"

namespace {

using namespace menagerie;

constexpr std::int64_t T = 1024, d = 64;

// Tokens per call: B T, or T for an operator without a batch (the kernel generators).
template <class P>
double tokens(const P& p) {
  if constexpr (requires { p.B; })
    return static_cast<double>(p.B * p.T);
  else
    return static_cast<double>(p.T);
}

template <class P>
void time_forward(benchmark::State& state, const P& p) {
  const auto in = ref::random_inputs(tensors(p), 1);
  auto out = allocate<double>(tensors(p), Role::output, 0.0);
  for (auto _ : state) {
    reference_forward<double>(p, in, out);
    benchmark::DoNotOptimize(out.begin()->second.data());
  }
  const auto c = cost(p);
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * tokens(p),
                                                  benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * c.flops * 1e-9,
                                                 benchmark::Counter::kIsRate);
}

template <class P>
void time_backward(benchmark::State& state, const P& p) {
  const auto specs = tensors(p);
  const auto in = ref::random_inputs(specs, 1);
  std::vector<TensorSpec> outs;
  for (auto s : specs)
    if (s.role == Role::output) outs.push_back((s.role = Role::input, s));
  const auto dO = ref::random_inputs(outs, 2);
  for (auto _ : state) {
    Named<double> grads;
    reference_backward<double>(p, in, dO, grads);
    benchmark::DoNotOptimize(grads.begin()->second.data());
  }
  const auto c = cost(p);
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * tokens(p),
                                                  benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * c.flops * c.backward_flops_factor * 1e-9, benchmark::Counter::kIsRate);
}

template <class P>
void add(const std::string& name, const P& p) {
  p.validate();
  benchmark::RegisterBenchmark((name + "/forward").c_str(), [p](benchmark::State& s) { time_forward(s, p); })
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark((name + "/backward").c_str(), [p](benchmark::State& s) { time_backward(s, p); })
      ->Unit(benchmark::kMillisecond);
}

// "<kind>/<id>[_<case>]" for each contract's reference_bench_cases, operators then mixers, in registry order.
template <class... C>
void add_all(const std::string& kind, TypeList<C...> list) {
  for_each_contract(list, [&]<class K>(std::type_identity<K>) {
    for (const auto& c : K::reference_bench_cases(T, d))
      add(kind + "/" + std::string(K::id) + (c.name.empty() ? "" : "_" + std::string(c.name)), c.problem);
  });
}

}  // namespace

int main(int argc, char** argv) {
  add_all("op", Operators{});
  add_all("mixer", Mixers{});
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
