// The GPU backend (train/gpu_backend.hpp) against the reference backend, step by step (issue 16's equivalence):
// for each mixer with a GPU variant (Based twice: f = 8 through linear_attention chunked_smem, f = 24 through
// quadratic), a two-layer model with the same config, initial parameters (init_parameters
// with the test seed), batches (ids and labels from the test seed's Philox stream, a quarter of the rows labelled)
// and dropout masks (Philox, as on the CPU: embedding dropout 0.1 everywhere, attention dropout 0.1 in the *_dropout
// cases, zoology's MHA setting) runs 20 steps of forward_backward + AdamW on
//   gpu        the GPU backend (fp32 storage)
//   oracle     the reference backend in double
//   yardstick  the reference backend in float (1 thread)
// and after every step the loss and the whole parameter vector of the GPU backend must stay within DESIGN §4's rule
// against the oracle: relerr(gpu) <= 3 relerr(yardstick) + 2^-22 (harness/tolerance.hpp), relerr = ||x - oracle||_2
// / ||oracle||_2 over all parameters, of each backend's change from its own start (the fp32 backends start from the
// double init rounded to float; so neither the untouched bulk of the parameters nor that rounding hides the error of
// the updates). A checkpoint-style round trip (parameters and AdamW state of the GPU
// backend moved into a fresh reference backend) must continue like the GPU backend's own next step within the same
// rule, and the reference backend's state moved into a fresh GPU backend like the reference's next step.
// Tensor-core GEMMs ("precision": "tf32" / "bf16"): the same 20 steps for every case, within the rule scaled by
// harness::factor_tf32 (2^13) or factor_bf16 (2^16), the format's unit roundoff over fp32's; and at d_model 128 each
// precision shows (the tf32 and bf16 runs' parameters differ from the fp32 run's and from each other) and stays in
// its backend (an fp32 backend made after them on the pooled stream trains bitwise as the one made before). The
// modes test found, in session 24, that a "bf16" asking cuBLAS for CUBLAS_COMPUTE_32F_FAST_16BF trained bitwise as
// tf32 on the H100 ("bf16 from tf32: 0"); gemm_rm now rounds the operands to bf16 itself.
// Concurrency (sweep --runs-per-worker, train/gpu/stream_pool.hpp): for each case, two runs (seeds s and s + 1,
// learning rates 3e-3 and 1e-2) trained at the same time on two host threads, each with its own GPU backend and
// stream, must give bitwise the losses, the final parameters and the evaluation predictions of each run trained
// alone (the kernels are deterministic; any state shared between backends, a scratch buffer, a cuBLAS workspace
// or a cuFFT plan's work area used by both streams at once, breaks the equality). A case whose run alone does not
// repeat bitwise (a kernel with float atomics) is skipped, named. And backends made one after another reuse one
// pooled stream: 8 of them add at most one stream to the pool.
// CUDA graphs ("cuda_graph": true, train/gpu/gpu_backend.cpp): for each case, 20 steps of a backend replaying its
// captured step must give bitwise the losses, the final parameters and the evaluation predictions of 20 plain steps
// (the graph launches the same kernels with the same arguments; the batch and the dropout seed are device memory
// written before each replay, so a stale one shows as a differing loss), on batches with a fixed labelled count
// (every fourth row, as MQAR's fixed number of queries). The counts are the design's: the first step of a key runs
// plain, the second captures, so 20 steps replay 19 times from 1 graph (attention dropout included: its masks read the
// seed from device memory too).
// A smaller last batch (B 3 after B 4) gets its own plan and graph, and a batch with more labelled rows (the logits
// buffer grows) drops the plan's graphs, which are captured again; the run still equals the plain one bitwise.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "core/philox.hpp"
#include "harness/tolerance.hpp"
#include "optimized/common/device.hpp"
#include "train/backend.hpp"
#include "train/init.hpp"
#include "train/gpu/stream_pool.hpp"
#include "train/gpu_backend.hpp"
#include "train/run_config.hpp"
#include "verify/support/env.hpp"

namespace menagerie::test {
namespace {

struct Case {
  const char* name;
  const char* model;       // the run config's "model" object
  double attention = 0;    // attention dropout
};

const Case kCases[] = {
    {"base_conv", R"({"vocab_size": 24, "d_model": 16, "n_layers": 2,
        "mixers": [{"id": "base_conv", "conv": "short", "kernel_size": 3},
                   {"id": "base_conv", "conv": "long_implicit"}]})"},
    {"hyena", R"({"vocab_size": 24, "d_model": 16, "n_layers": 2, "mixers": [{"id": "hyena"}]})"},
    {"h3", R"({"vocab_size": 24, "d_model": 16, "n_layers": 2, "mixers": [{"id": "h3"}]})"},
    {"rwkv", R"({"vocab_size": 24, "d_model": 16, "n_layers": 2, "mixers": [{"id": "rwkv"}]})"},
    {"mamba", R"({"vocab_size": 24, "d_model": 16, "n_layers": 2, "block": "mamba", "mixers": [{"id": "mamba"}]})"},
    {"conv_mha", R"({"vocab_size": 24, "d_model": 16, "n_layers": 2, "hybrid": true,
        "mixers": [{"id": "base_conv", "conv": "short", "kernel_size": 3}, {"id": "mha", "heads": 2}]})"},
    {"conv_based", R"({"vocab_size": 24, "d_model": 16, "n_layers": 2, "hybrid": true,
        "mixers": [{"id": "base_conv", "conv": "short", "kernel_size": 3}, {"id": "based", "feature_dim": 8}]})"},
    {"conv_based_f24", R"({"vocab_size": 24, "d_model": 16, "n_layers": 2, "hybrid": true,
        "mixers": [{"id": "base_conv", "conv": "short", "kernel_size": 3}, {"id": "based", "feature_dim": 24}]})"},
    {"sliding_attn", R"({"vocab_size": 24, "d_model": 16, "n_layers": 2,
        "mixers": [{"id": "sliding_attn", "window": 5}]})"},
    {"conv_mha_dropout", R"({"vocab_size": 24, "d_model": 16, "n_layers": 2, "hybrid": true,
        "mixers": [{"id": "base_conv", "conv": "short", "kernel_size": 3}, {"id": "mha", "heads": 2}]})", 0.1},
    {"sliding_attn_dropout", R"({"vocab_size": 24, "d_model": 16, "n_layers": 2,
        "mixers": [{"id": "sliding_attn", "window": 5}]})", 0.1},
};

constexpr std::int64_t kB = 4, kT = 16, kSteps = 20;

train::RunConfig config(const Case& c, const char* backend, const char* precision, bool cuda_graph = false) {
  const std::string text = cat(R"({"name": "equivalence", "model": )", c.model, R"(,
    "data": {"seed": 1, "train": [{"task": "mqar", "count": 8, "params": {"vocab_size": 24, "input_seq_len": 16,
             "num_kv_pairs": 2}}], "test": [{"task": "mqar", "count": 8, "params": {"vocab_size": 24,
             "input_seq_len": 16, "num_kv_pairs": 2}}]},
    "optimizer": {"lr": 3e-3, "weight_decay": 0.1}, "dropout": {"embedding": 0.1, "attention": )",
                               c.attention, R"(},
    "epochs": 1, "batch_size": 4, "seed": 0, "threads": 1, "precision": ")",
                               precision, R"(", "backend": ")", backend, R"(", "cuda_graph": )",
                               cuda_graph ? "true" : "false", "}");
  return train::parse_run_config(json::parse(text), "equivalence");
}

model::Batch batch(std::int64_t V, std::uint64_t seed, std::int64_t step) {
  model::Batch b{kB, kT, {}, {}};
  for (std::int64_t i = 0; i < kB * kT; ++i) {
    const auto w = philox::word(seed, static_cast<std::uint64_t>(100 + step), static_cast<std::uint64_t>(2 * i));
    const auto l = philox::word(seed, static_cast<std::uint64_t>(100 + step), static_cast<std::uint64_t>(2 * i + 1));
    b.ids.push_back(static_cast<std::int64_t>(w % static_cast<std::uint64_t>(V)));
    b.labels.push_back(l % 4 == 0 ? static_cast<std::int64_t>(l / 4 % static_cast<std::uint64_t>(V))
                                  : ops::cross_entropy::ignore_index);
  }
  return b;
}

// batch() with B examples and a fixed labelled count: every `every`-th row (rows every - 1, 2 every - 1, ...).
model::Batch fixed_batch(std::int64_t V, std::uint64_t seed, std::int64_t step, std::int64_t B, std::int64_t every) {
  model::Batch b{B, kT, {}, {}};
  for (std::int64_t i = 0; i < B * kT; ++i) {
    const auto w = philox::word(seed, static_cast<std::uint64_t>(100 + step), static_cast<std::uint64_t>(2 * i));
    const auto l = philox::word(seed, static_cast<std::uint64_t>(100 + step), static_cast<std::uint64_t>(2 * i + 1));
    b.ids.push_back(static_cast<std::int64_t>(w % static_cast<std::uint64_t>(V)));
    b.labels.push_back(i % every == every - 1 ? static_cast<std::int64_t>(l % static_cast<std::uint64_t>(V))
                                  : ops::cross_entropy::ignore_index);
  }
  return b;
}

// A backend's parameters now and at its start.
struct Trajectory {
  Named<double> now, start;
};

// ||(x - x0) - (o - o0)|| / ||o - o0|| over every parameter.
double relerr(const Trajectory& x, const Trajectory& oracle) {
  double num = 0, den = 0;
  for (const auto& [name, o] : oracle.now) {
    const double *a = x.now.at(name).data(), *a0 = x.start.at(name).data(), *o0 = oracle.start.at(name).data();
    for (std::int64_t i = 0; i < o.numel(); ++i) {
      const double delta_o = o.data()[i] - o0[i], diff = a[i] - a0[i] - delta_o;
      num += diff * diff;
      den += delta_o * delta_o;
    }
  }
  return std::sqrt(num) / std::sqrt(den);
}

class GpuBackendEquivalence : public ::testing::TestWithParam<Case> {};

// The GPU backend (in `precision`) beside the oracle and the yardstick for kSteps steps from init_parameters(seed):
// after every step its loss and its parameters must be within `scale` x DESIGN §4's rule. Returns the GPU backend and
// the yardstick, for the resumption checks.
struct Followed {
  std::unique_ptr<train::Backend> gpu, yard;
};

Followed follow_reference(const Case& c, const char* precision, double scale, std::uint64_t seed) {
  auto gpu = train::make_backend(config(c, "gpu", precision));
  auto oracle = train::make_backend(config(c, "reference", "double"));
  auto yard = train::make_backend(config(c, "reference", "float"));
  const auto rc = config(c, "reference", "double");
  const auto init = train::init_parameters(rc.model, seed);
  for (auto* b : {gpu.get(), oracle.get(), yard.get()}) b->set_parameters(init);
  const auto g0 = gpu->parameters(), o0 = oracle->parameters(), y0 = yard->parameters();
  const train::AdamWConfig h = rc.optimizer;
  double worst = 0;
  for (std::int64_t step = 0; step < kSteps; ++step) {
    const auto data = batch(rc.model.vocab, seed, step);
    const train::Dropout drop{0.1, c.attention, seed + static_cast<std::uint64_t>(step), 0};
    const double lg = gpu->forward_backward(data, drop), lo = oracle->forward_backward(data, drop),
                 ly = yard->forward_backward(data, drop);
    for (auto* b : {gpu.get(), oracle.get(), yard.get()}) b->step(h, 3e-3);
    const double loss_ratio =
        std::abs(lg - lo) / std::abs(lo) / (scale * harness::tolerance(true, std::abs(ly - lo) / std::abs(lo)));
    const Trajectory o{oracle->parameters(), o0};
    const double pe = relerr({gpu->parameters(), g0}, o), pey = relerr({yard->parameters(), y0}, o);
    const double param_ratio = pe / (scale * harness::tolerance(true, pey));
    std::printf("[ %s %s ] step %2lld  loss %.9f  loss ratio %.3f  params relerr %.3e yardstick %.3e ratio %.3f\n",
                c.name, precision, static_cast<long long>(step + 1), lo, loss_ratio, pe, pey, param_ratio);
    EXPECT_LE(loss_ratio, 1.0) << "step " << step + 1;
    EXPECT_LE(param_ratio, 1.0) << "step " << step + 1;
    worst = std::max({worst, loss_ratio, param_ratio});
  }
  std::printf("[ %s %s ] worst ratio over %lld steps: %.3f\n", c.name, precision, static_cast<long long>(kSteps),
              worst);
  return {std::move(gpu), std::move(yard)};
}

TEST_P(GpuBackendEquivalence, FollowsTheReferenceStepByStep) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const Case& c = GetParam();
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE(cat(c.name, " seed ", seed));
  auto [gpu, yard] = follow_reference(c, "float", 1.0, seed);
  const auto rc = config(c, "reference", "double");
  const train::AdamWConfig h = rc.optimizer;
  // The GPU backend's state continues in a reference backend: one more step from the GPU's parameters and moments.
  auto resumed = train::make_backend(config(c, "reference", "double"));
  resumed->set_parameters(gpu->parameters());
  resumed->set_optimizer_state(gpu->optimizer_step(), gpu->optimizer_state());
  const auto start = gpu->parameters();
  const auto data = batch(rc.model.vocab, seed, kSteps);
  const train::Dropout drop{0.1, c.attention, seed + kSteps, 0};
  gpu->forward_backward(data, drop);
  resumed->forward_backward(data, drop);
  yard->set_parameters(start);
  yard->set_optimizer_state(gpu->optimizer_step(), gpu->optimizer_state());
  yard->forward_backward(data, drop);
  for (auto* b : {gpu.get(), resumed.get(), yard.get()}) b->step(h, 3e-3);
  const Trajectory r{resumed->parameters(), start};
  const double e = relerr({gpu->parameters(), start}, r), ey = relerr({yard->parameters(), start}, r);
  std::printf("[ %s ] resumed on the CPU: relerr %.3e yardstick %.3e ratio %.3f\n", c.name, e, ey,
              e / harness::tolerance(true, ey));
  EXPECT_LE(e / harness::tolerance(true, ey), 1.0);
  // And the other way: the reference backend's state continues in a fresh GPU backend.
  auto moved = train::make_backend(config(c, "gpu", "float"));
  const auto from = resumed->parameters();
  moved->set_parameters(from);
  moved->set_optimizer_state(resumed->optimizer_step(), resumed->optimizer_state());
  yard->set_parameters(from);
  yard->set_optimizer_state(resumed->optimizer_step(), resumed->optimizer_state());
  const auto next = batch(rc.model.vocab, seed, kSteps + 1);
  const train::Dropout drop2{0.1, c.attention, seed + kSteps + 1, 0};
  for (auto* b : {moved.get(), resumed.get(), yard.get()}) {
    b->forward_backward(next, drop2);
    b->step(h, 3e-3);
  }
  const Trajectory r2{resumed->parameters(), from};
  const double e2 = relerr({moved->parameters(), from}, r2), ey2 = relerr({yard->parameters(), from}, r2);
  std::printf("[ %s ] resumed on the GPU: relerr %.3e yardstick %.3e ratio %.3f\n", c.name, e2, ey2,
              e2 / harness::tolerance(true, ey2));
  EXPECT_LE(e2 / harness::tolerance(true, ey2), 1.0);
}

INSTANTIATE_TEST_SUITE_P(Mixers, GpuBackendEquivalence, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

// One run of the concurrency test: its step losses, final parameters and the predictions of a last evaluation.
struct RunTrace {
  std::vector<double> losses;
  Named<double> params;
  decltype(train::Predictions::correct) correct;
};

// Trains a fresh GPU backend for kSteps steps from init_parameters(seed); `start` (if any) is waited on first, so two
// threads begin together.
RunTrace trace_run(const Case& c, std::uint64_t seed, double lr, std::latch* start, const char* precision = "float") {
  const auto rc = config(c, "gpu", precision);
  auto gpu = train::make_backend(rc);
  gpu->set_parameters(train::init_parameters(rc.model, seed));
  if (start) start->arrive_and_wait();
  RunTrace t;
  for (std::int64_t step = 0; step < kSteps; ++step) {
    const train::Dropout drop{0.1, c.attention, seed + static_cast<std::uint64_t>(step), 0};
    t.losses.push_back(gpu->forward_backward(batch(rc.model.vocab, seed, step), drop));
    gpu->step(rc.optimizer, lr);
  }
  t.params = gpu->parameters();
  t.correct = gpu->evaluate(batch(rc.model.vocab, seed, kSteps)).correct;
  return t;
}

// The number of parameter elements whose bits differ.
std::int64_t differing(const Named<double>& a, const Named<double>& b) {
  std::int64_t n = 0;
  for (const auto& [name, t] : a)
    for (std::int64_t i = 0; i < t.numel(); ++i) n += t.data()[i] != b.at(name).data()[i];
  return n;
}

class GpuBackendConcurrency : public ::testing::TestWithParam<Case> {};


TEST_P(GpuBackendConcurrency, TwoThreadsTrainAsEachAlone) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const Case& c = GetParam();
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE(cat(c.name, " seed ", seed));
  const double lrs[2] = {3e-3, 1e-2};
  RunTrace alone[2], together[2];
  for (int r = 0; r < 2; ++r) alone[r] = trace_run(c, seed + static_cast<std::uint64_t>(r), lrs[r], nullptr);
  // Bitwise equality needs runs that repeat bitwise alone (mha's flash_tiled_fp32, several heads, sums dq by atomics).
  const RunTrace again = trace_run(c, seed, lrs[0], nullptr);
  if (again.losses != alone[0].losses || differing(again.params, alone[0].params) != 0)
    GTEST_SKIP() << c.name << ": a run alone is not bitwise repeatable, so concurrency cannot be checked bitwise";
  std::latch start(2);
  std::exception_ptr error[2];
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      try {
        together[r] = trace_run(c, seed + static_cast<std::uint64_t>(r), lrs[r], &start);
      } catch (...) {
        error[r] = std::current_exception();
        start.count_down();  // never leave the other thread waiting
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& e : error)
    if (e) std::rethrow_exception(e);
  for (int r = 0; r < 2; ++r) {
    std::int64_t loss_diff = 0;
    for (std::int64_t s = 0; s < kSteps; ++s) loss_diff += alone[r].losses[static_cast<std::size_t>(s)] !=
                                                          together[r].losses[static_cast<std::size_t>(s)];
    const std::int64_t param_diff = differing(alone[r].params, together[r].params);
    std::printf("[ %s ] run %d (lr %g): %lld of %lld losses and %lld parameters differ from the run alone; "
                "final loss %.9f\n", c.name, r, lrs[r], static_cast<long long>(loss_diff),
                static_cast<long long>(kSteps), static_cast<long long>(param_diff), together[r].losses.back());
    EXPECT_EQ(loss_diff, 0) << "run " << r;
    EXPECT_EQ(param_diff, 0) << "run " << r;
    EXPECT_EQ(alone[r].correct, together[r].correct) << "run " << r;
  }
  // The two runs differ from each other (else equal outputs would not show that nothing leaked between them).
  EXPECT_NE(alone[0].losses.back(), alone[1].losses.back());
}

INSTANTIATE_TEST_SUITE_P(Mixers, GpuBackendConcurrency, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

class GpuBackendTensorCores : public ::testing::TestWithParam<Case> {};

TEST_P(GpuBackendTensorCores, FollowsTheReferenceWithinTf32Rounding) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const Case& c = GetParam();
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE(cat(c.name, " seed ", seed));
  follow_reference(c, "tf32", harness::factor_tf32, seed);
}

TEST_P(GpuBackendTensorCores, FollowsTheReferenceWithinBf16Rounding) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const Case& c = GetParam();
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE(cat(c.name, " seed ", seed));
  follow_reference(c, "bf16", harness::factor_bf16, seed);
}

INSTANTIATE_TEST_SUITE_P(Mixers, GpuBackendTensorCores, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

// The precision is in force, and only in its own backend: at d_model 128 the tf32 and bf16 runs' parameters differ
// from the fp32 run's and from each other, and an fp32 backend made after them, on the pooled stream they returned,
// trains bitwise as the fp32 backend made before them.
TEST(GpuBackendTensorCoreModes, ChangeTheGemmsOfTheirOwnBackendOnly) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const Case wide{"base_conv_d128", R"({"vocab_size": 24, "d_model": 128, "n_layers": 2,
      "mixers": [{"id": "base_conv", "conv": "short", "kernel_size": 3},
                 {"id": "base_conv", "conv": "long_implicit"}]})"};
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE(cat(wide.name, " seed ", seed));
  const RunTrace before = trace_run(wide, seed, 3e-3, nullptr, "float");
  const RunTrace tf32 = trace_run(wide, seed, 3e-3, nullptr, "tf32");
  const RunTrace bf16 = trace_run(wide, seed, 3e-3, nullptr, "bf16");
  const RunTrace after = trace_run(wide, seed, 3e-3, nullptr, "float");
  const std::int64_t tf32_diff = differing(tf32.params, before.params),
                     bf16_diff = differing(bf16.params, before.params), apart = differing(bf16.params, tf32.params),
                     after_diff = differing(after.params, before.params);
  std::printf("[ precisions ] parameters differing from the fp32 run's: tf32 %lld, bf16 %lld (final losses %.9f, "
              "%.9f against %.9f); bf16 from tf32: %lld; the fp32 run made after them: %lld\n",
              static_cast<long long>(tf32_diff), static_cast<long long>(bf16_diff), tf32.losses.back(),
              bf16.losses.back(), before.losses.back(), static_cast<long long>(apart),
              static_cast<long long>(after_diff));
  EXPECT_GT(tf32_diff, 0) << "the tf32 run trained bitwise as fp32: the precision was not applied";
  EXPECT_GT(bf16_diff, 0) << "the bf16 run trained bitwise as fp32: the precision was not applied";
  EXPECT_GT(apart, 0) << "the bf16 run trained bitwise as the tf32 run";
  EXPECT_EQ(after_diff, 0) << "an fp32 backend inherited the precision of the pooled stream";
  EXPECT_EQ(after.losses, before.losses);
}

// A step of the graph tests: B examples, every `every`-th row labelled.
struct Form {
  std::int64_t B, every;
};

// A run of the graph tests: a step of each form, then an evaluation.
RunTrace graph_run(const Case& c, std::uint64_t seed, bool cuda_graph, const std::vector<Form>& sizes) {
  const auto rc = config(c, "gpu", "float", cuda_graph);
  auto gpu = train::make_backend(rc);
  gpu->set_parameters(train::init_parameters(rc.model, seed));
  RunTrace t;
  for (std::size_t step = 0; step < sizes.size(); ++step) {
    const train::Dropout drop{0.1, c.attention, seed + 7 * static_cast<std::uint64_t>(step), 0};
    const auto data = fixed_batch(rc.model.vocab, seed, static_cast<std::int64_t>(step), sizes[step].B,
                                  sizes[step].every);
    t.losses.push_back(gpu->forward_backward(data, drop));
    gpu->step(rc.optimizer, 3e-3);
  }
  t.params = gpu->parameters();
  t.correct = gpu->evaluate(fixed_batch(rc.model.vocab, seed, 1000, kB, 4)).correct;
  return t;
}

// The steps of `a` and `b` whose losses differ, and their differing parameters (printed and returned as a sum).
std::int64_t report_difference(const char* name, const RunTrace& a, const RunTrace& b) {
  std::int64_t loss_diff = 0;
  for (std::size_t s = 0; s < a.losses.size(); ++s) loss_diff += a.losses[s] != b.losses[s];
  const std::int64_t param_diff = differing(a.params, b.params);
  std::printf("[ %s ] graph vs plain: %lld of %zu losses and %lld parameters differ; final loss %.9f\n", name,
              static_cast<long long>(loss_diff), a.losses.size(), static_cast<long long>(param_diff),
              b.losses.back());
  return loss_diff + param_diff;
}

class GpuBackendGraph : public ::testing::TestWithParam<Case> {};

TEST_P(GpuBackendGraph, ReplaysBitwiseAsThePlainStep) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const Case& c = GetParam();
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE(cat(c.name, " seed ", seed));
  const std::vector<Form> sizes(kSteps, Form{kB, 4});
  const RunTrace plain = graph_run(c, seed, false, sizes);
  if (const RunTrace again = graph_run(c, seed, false, sizes);
      again.losses != plain.losses || differing(again.params, plain.params) != 0)
    GTEST_SKIP() << c.name << ": a run alone is not bitwise repeatable, so the graph cannot be checked bitwise";
  const auto before = train::cuda_graph_counts();
  const RunTrace graphed = graph_run(c, seed, true, sizes);
  const auto after = train::cuda_graph_counts();
  std::printf("[ %s ] %lld graph(s) captured (%lld nodes), %lld of %lld steps replayed\n", c.name,
              static_cast<long long>(after.captured - before.captured), static_cast<long long>(after.nodes),
              static_cast<long long>(after.replayed - before.replayed), static_cast<long long>(kSteps));
  EXPECT_EQ(report_difference(c.name, graphed, plain), 0);
  EXPECT_EQ(graphed.correct, plain.correct);
  EXPECT_EQ(after.captured - before.captured, 1);
  EXPECT_EQ(after.replayed - before.replayed, kSteps - 1);
}

INSTANTIATE_TEST_SUITE_P(Mixers, GpuBackendGraph, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(GpuBackendGraphShapes, ASmallerLastBatchGetsItsOwnGraph) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const Case& c = kCases[0];  // base_conv: short and long (cuFFT) convolutions
  const std::uint64_t seed = test_seed();
  // B 4 x 5 (n 16: 1 plain, 1 captured, 4 replays), B 3 (n 12, its own plan: plain), B 4 x 3 (3 replays), B 3 x 2
  // (captured: 2 replays), B 4 with n 32 x 3 (the logits buffer grows: B 4's graphs are dropped; plain, captured,
  // 2 replays), B 4 with n 16 x 2 (its graph was dropped: plain, captured, 1 replay): 4 graphs, 12 replays.
  std::vector<Form> sizes(5, Form{4, 4});
  sizes.push_back({3, 4});
  sizes.insert(sizes.end(), 3, Form{4, 4});
  sizes.insert(sizes.end(), 2, Form{3, 4});
  sizes.insert(sizes.end(), 3, Form{4, 2});
  sizes.insert(sizes.end(), 2, Form{4, 4});
  const RunTrace plain = graph_run(c, seed, false, sizes);
  const auto before = train::cuda_graph_counts();
  const RunTrace graphed = graph_run(c, seed, true, sizes);
  const auto after = train::cuda_graph_counts();
  EXPECT_EQ(report_difference("B 4 and 3, n 16 and 32", graphed, plain), 0);
  EXPECT_EQ(graphed.correct, plain.correct);
  EXPECT_EQ(after.captured - before.captured, 4);
  EXPECT_EQ(after.replayed - before.replayed, 12);
}

TEST(GpuStreamPool, BackendsMadeOneAfterAnotherReuseAStream) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const auto rc = config(kCases[1], "gpu", "float");  // hyena: cuBLAS projections and cuFFT plans per stream
  const int before = train::gpu::pooled_streams();
  for (int k = 0; k < 8; ++k) {
    auto gpu = train::make_backend(rc);
    gpu->set_parameters(train::init_parameters(rc.model, 1));
    gpu->forward_backward(batch(rc.model.vocab, 1, 0), train::Dropout{});
  }
  const int after = train::gpu::pooled_streams();
  std::printf("[ stream pool ] 8 backends one after another: %d stream(s) created (%d before, %d after)\n",
              after - before, before, after);
  EXPECT_LE(after - before, 1);
}

}  // namespace
}  // namespace menagerie::test
