// How fast the double references are, so we know up to which sizes they serve as the GPU oracle (issue #4).
// Every mixer, and the operators inside them, at Zoology's smallest MQAR width: B = 1, T = 1024, d = 64 (one
// head; operators on the shapes their mixer hands them). Forward and backward (analytic gradients of every input
// and parameter against a random upstream gradient), in double, one thread.
//   reference_bench                                       (all)
//   reference_bench --benchmark_filter='mixer/.*forward'  (one kind)
// Counters: tokens/s and GFLOP/s from the contract's cost(); docs/reference.md records the measured figures.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "core/registry.hpp"
#include "reference/all.hpp"
#include "reference/conformance.hpp"

namespace {

using namespace menagerie;

constexpr std::int64_t T = 1024, d = 64;

template <class P>
void time_forward(benchmark::State& state, const P& p) {
  const auto in = ref::random_inputs(tensors(p), 1);
  auto out = allocate<double>(tensors(p), Role::output, 0.0);
  for (auto _ : state) {
    reference_forward<double>(p, in, out);
    benchmark::DoNotOptimize(out.begin()->second.data());
  }
  const auto c = cost(p);
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(state.iterations() * p.B * p.T),
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
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(state.iterations() * p.B * p.T),
                                                  benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * c.flops * c.backward_flops_factor * 1e-9, benchmark::Counter::kIsRate);
}

template <class P>
void add(const std::string& kind, const std::string& id, const P& p) {
  p.validate();
  benchmark::RegisterBenchmark((kind + "/" + id + "/forward").c_str(),
                               [p](benchmark::State& s) { time_forward(s, p); })
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark((kind + "/" + id + "/backward").c_str(),
                               [p](benchmark::State& s) { time_backward(s, p); })
      ->Unit(benchmark::kMillisecond);
}

void register_all() {
  namespace o = ops;
  namespace m = mixers;
  add("op", "softmax_attention", o::softmax_attention::Problem{1, T, 1, d, d, -1, 0});
  add("op", "linear_attention", o::linear_attention::Problem{1, T, 1, 16, d});
  add("op", "short_conv", o::short_conv::Problem{1, T, d, 3});
  add("op", "long_conv", o::long_conv::Problem{1, T, d, T});
  add("op", "wkv", o::wkv::Problem{1, T, d});
  add("op", "selective_scan", o::selective_scan::Problem{1, T, 2 * d, 16});
  add("mixer", "mha", m::mha::Problem{1, T, d});
  add("mixer", "sliding_attn", m::sliding_attn::Problem{1, T, d, 64});
  add("mixer", "based", m::based::Problem{1, T, d});
  m::base_conv::Problem short_conv{1, T, d};
  add("mixer", "base_conv_short", short_conv);
  m::base_conv::Problem long_conv{1, T, d, m::base_conv::Conv::long_implicit, 3, T};
  add("mixer", "base_conv_implicit", long_conv);
  add("mixer", "hyena", m::hyena::Problem{1, T, d, T});
  m::h3::Problem h3{1, T, d, 64, 2};
  add("mixer", "h3", h3);
  add("mixer", "rwkv", m::rwkv::Problem{1, T, d});
  add("mixer", "mamba", m::mamba::Problem{1, T, d});
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
