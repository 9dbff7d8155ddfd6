// Data generation speed on one core. The target (issue #3): 100k MQAR examples at N = 256, D = 16 (vocab 8192,
// Zoology's defaults otherwise) in under 2 s; docs/synthetics.md records the measured figures, for numpy's exact
// stream (numpy = 1, Zoology's bytes) and for numpy_stream = false (numpy = 0, same law).
//   synthetics_bench --benchmark_filter=Mqar100k   (reports CPU time; wall time suffers on a loaded machine)
// Counters: examples/s and tokens/s. The numpy-exact stream costs one full Fisher-Yates shuffle of the key and of
// the value vocabulary per example (2 x ~4095 masked draws), which dominates; NumpyPermutation4095 times one.
#include <benchmark/benchmark.h>

#include "synthetics/mqar.hpp"
#include "synthetics/numpy_random.hpp"
#include "synthetics/tasks.hpp"

namespace {

using namespace menagerie::synthetics;

void Mqar100k(benchmark::State& state) {
  MqarConfig c;
  c.num_examples = 100000;
  c.input_seq_len = state.range(0);
  c.num_kv_pairs = state.range(1);
  c.random_non_queries = state.range(2) != 0;
  c.numpy_stream = state.range(3) != 0;
  std::uint32_t seed = 843828734u;
  for (auto _ : state) {
    auto ex = mqar(c, seed++);
    benchmark::DoNotOptimize(ex.inputs.data());
  }
  const auto n = static_cast<double>(state.iterations() * c.num_examples);
  state.counters["examples/s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  state.counters["tokens/s"] = benchmark::Counter(n * static_cast<double>(c.input_seq_len), benchmark::Counter::kIsRate);
}
BENCHMARK(Mqar100k)
    ->ArgNames({"N", "D", "fill", "numpy"})
    ->Args({256, 16, 1, 1})
    ->Args({256, 16, 1, 0})
    ->Args({256, 16, 0, 1})
    ->Args({64, 4, 1, 1})
    ->Args({1024, 256, 1, 1})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

void NumpyPermutation4095(benchmark::State& state) {
  LegacyRandomState rs(1);
  std::vector<std::int64_t> out(16);
  for (auto _ : state) {
    rs.choice_without_replacement(4095, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(NumpyPermutation4095)->Unit(benchmark::kMicrosecond);

// Every task of the list at its defaults with 10k examples, for comparison.
void AllTasks10k(benchmark::State& state) {
  const auto names = task_names();
  const auto& name = names[static_cast<std::size_t>(state.range(0))];
  state.SetLabel(name);
  if (name == "continuous_mqar") {
    ContinuousMqarConfig c;
    c.num_examples = 10000;
    for (auto _ : state) benchmark::DoNotOptimize(continuous_mqar(c, 1).key_ids.data());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(generate(name, {{"num_examples", "10000"}}, 1).inputs.data());
}
BENCHMARK(AllTasks10k)->DenseRange(0, static_cast<int>(task_names().size()) - 1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
