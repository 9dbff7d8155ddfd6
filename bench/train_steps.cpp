// train_steps: the GPU backend's training step timed directly (no `menagerie train` loop around it), the "ours" side
// of `menagerie bench train` (cli/bench_train.cpp; its peer is bench/train_torch.py).
//   train_steps --config bench/throughput-train.json --out steps.json [--only NAME,...] [--smoke] [--graph]
//               [--precision float|tf32|bf16]
// For each mixer entry x d_model x shape of the config, a run config is assembled (model = config.model merged with
// the entry's model, d_model, max_position_embeddings = T where the entry says "positions"; MQAR data of B examples at
// (T, num_kv_pairs); backend "gpu"; "precision" from --precision, default "float") and validated by
// parse_run_config, the GpuBackend built and initialised (init_parameters), and one fixed batch (the first B
// examples) fed to it:
//   a step = forward_backward(batch, dropout) + step(AdamW, lr), then cudaDeviceSynchronize;
//   W warm-up steps (first-call allocation, cuBLAS handles), then K steps each timed by the host clock around the
//   step and its synchronisation; ms = the median of the K; tokens/s = B T / (ms / 1e3);
//   a 64-epoch run = steps_per_epoch x epochs x ms, steps_per_epoch = ceil(train_examples / B).
// --graph: each point is also timed with the backend's CUDA graph ("cuda_graph": true, docs/gpu-trainer.md: a key's
// first step runs plain, its second is captured, later ones replay), the two timings alternating per step on fresh
// backends of the same parameters; the row adds "ms_graph", "ms_steps_graph", "tokens_per_s_graph", "graph_speedup"
// (ms / ms_graph), "graph_nodes" (kernels, memsets and copies in the captured step) and "graph_replays" (timed steps
// that replayed the graph: all of them once warmup_steps >= 2). Not with --concurrent.
// The GEMM floor's inputs (not with --concurrent): each row's "gemm_flop" counts the cuBLAS products of one plain
// step (optimized/common/gemm.hpp's gemm_work(), 2 M N K each, by arithmetic: fp32, tf32, bf16, fp16, fp64); the top
// level's "gemm_tflops" is the machine's rate in fp32, tf32, bf16 and fp64, measured here before the rows: the median
// of 5 products C = A B^T of 8192^3 (fp64: 4096^3) through gemm_rm on random uniform operands, each after an L2 flush
// (harness::Timer); bf16's includes gemm_rm's rounding of the operands into bf16, as every bf16 product of a step
// does. bench/train_report.py divides the one by the other: the least time a step that issues these products can take
// on this GPU.
// --smoke: d_model 64 and the first shape only, 1 warm-up and 1 timed step (the gpu ctest train_steps_smoke).
// --concurrent R (2-64): the gain of training R runs at once in one process (sweep --runs-per-worker, one host
// thread and stream per run) over R runs one at a time. Per point, R backends (seeds seed + r) are built and each
// warmed up by W steps; then K rounds (a round: one step of every run) are timed twice, alternating, and the faster
// of each kept:
//   sequential  one host thread steps the R backends in turn, each step host-synchronised (cudaDeviceSynchronize)
//   concurrent  R host threads, one backend each, released together (std::latch), K steps each; then one
//               cudaDeviceSynchronize after they joined
// ms_round_{sequential,concurrent} = wall time / K, speedup = sequential / concurrent (> 1: the runs overlapped),
// tokens_per_s_{...} = R B T / (ms_round / 1e3). bench/train_concurrency.sh runs it at Zoology Fig. 2's shapes.
// --plan-only: every point validated and written without timings (no GPU needed): the rows the peer would be given.
// Every row is written (the file rewritten after each), a failed one with its error; exit 0 when every row was timed,
// 1 when some failed, 2 for bad input, 77 without a GPU.
// Output (--concurrent adds "concurrent", "ms_round_sequential", "ms_round_concurrent", "speedup",
// "tokens_per_s_sequential", "tokens_per_s_concurrent" to a row instead of the one-run timings):
// {"provenance": {...}, "config": path, "precision", "optimizer", "dropout" (the config's), "rows": [{"mixer", "model", "d_model", "T", "B", "num_kv_pairs",
// "steps_per_epoch", "epochs", "params", "labelled", "warmup", "steps", "ms", "ms_steps", "tokens_per_s", "gemm_flop"}
// or with "error" instead of the timings], "gemm_tflops": {...}}; "model" is the merged model object (what the peer builds zoology's model from).
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <latch>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/errors.hpp"
#include "core/json.hpp"
#include "core/provenance.hpp"
#include "harness/timing.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/device.hpp"
#include "optimized/common/device_buffer.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/common/random_device.hpp"
#include "train/backend.hpp"
#include "train/evaluate.hpp"
#include "train/gpu_backend.hpp"
#include "train/init.hpp"
#include "train/run_config.hpp"

namespace {

using namespace menagerie;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string config, out, precision = "float";
  std::set<std::string> only;
  bool smoke = false, plan_only = false, graph = false;
  int concurrent = 0;  // 0: one run at a time (the default rows)
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    auto value = [&](const char* flag) {
      require<InputError>(i + 1 < argc, "train_steps: ", flag, " needs a value");
      return std::string(argv[++i]);
    };
    if (s == "--config") {
      a.config = value("--config");
    } else if (s == "--out") {
      a.out = value("--out");
    } else if (s == "--only") {
      std::stringstream ss(value("--only"));
      for (std::string n; std::getline(ss, n, ',');) a.only.insert(n);
    } else if (s == "--smoke") {
      a.smoke = true;
    } else if (s == "--graph") {
      a.graph = true;
    } else if (s == "--precision") {
      a.precision = value("--precision");
      require<InputError>(a.precision == "float" || a.precision == "tf32" || a.precision == "bf16",
                          "train_steps: --precision ", a.precision, ": expected float, tf32 or bf16");
    } else if (s == "--plan-only") {
      a.plan_only = true;
    } else if (s == "--concurrent") {
      const std::string v = value("--concurrent");
      char* end = nullptr;
      const long r = std::strtol(v.c_str(), &end, 10);
      require<InputError>(!v.empty() && *end == '\0' && r >= 2 && r <= 64, "train_steps: --concurrent ", v,
                          ": expected a number of runs from 2 to 64");
      a.concurrent = static_cast<int>(r);
    } else {
      throw InputError(cat("train_steps: unknown argument '", s, "' (expected --config FILE --out FILE [--only NAMES] "
                           "[--smoke] [--plan-only] [--concurrent R] [--graph] [--precision float|tf32|bf16])"));
    }
  }
  require<InputError>(!(a.graph && a.concurrent), "train_steps: --graph and --concurrent ", a.concurrent,
                      " together: expected one of them (--graph times one run with and without its CUDA graph)");
  require<InputError>(!a.config.empty() && !a.out.empty(), "train_steps: --config FILE and --out FILE are required");
  return a;
}

struct Shape {
  std::int64_t T = 0, kv = 0, B = 0;
};

// The run config of one point (validated by parse_run_config).
json run_json(const json& cfg, const std::string& file, const json& entry, std::int64_t d, const Shape& s,
              const std::string& precision, const std::string& where) {
  json model = get_field<json>(cfg, "model", file);
  const json patch = get_field<json>(entry, "model", where);
  for (const auto& [k, v] : patch.items()) model[k] = v;
  model["d_model"] = d;
  if (get_field_or<bool>(entry, "positions", false, where)) model["max_position_embeddings"] = s.T;
  const std::int64_t vocab = get_field<std::int64_t>(model, "vocab_size", json_path(where, "model"));
  auto segment = [&](std::int64_t count) {
    return json::array({json{{"task", "mqar"},
                             {"count", count},
                             {"params",
                              {{"vocab_size", vocab},
                               {"input_seq_len", s.T},
                               {"num_kv_pairs", s.kv},
                               {"random_non_queries", false}}}}});
  };
  return json{{"name", cat(entry.at("name").get<std::string>(), "-d", d, "-T", s.T)},
              {"model", model},
              {"data", {{"seed", 123}, {"train", segment(s.B)}, {"test", segment(1)}}},
              {"optimizer", get_field<json>(cfg, "optimizer", file)},
              {"dropout", get_field<json>(cfg, "dropout", file)},
              {"batch_size", s.B},
              {"epochs", 1},
              {"precision", precision},
              {"backend", "gpu"}};
}

void sync() {
  const cudaError_t e = cudaDeviceSynchronize();
  if (e != cudaSuccess) throw Error(cat("train_steps: CUDA error ", cudaGetErrorString(e)));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

json work_json(const cuda::GemmWork& w) {
  return json{{"fp32", w.fp32}, {"tf32", w.tf32}, {"bf16", w.bf16}, {"fp16", w.fp16}, {"fp64", w.fp64}};
}

// The measured TFLOP/s of a square product in one arithmetic (see the header), on the legacy stream.
template <class T>
double square_rate(std::int64_t n, cuda::GemmPrecision precision) {
  const auto sz = static_cast<std::size_t>(n * n);
  cuda::DeviceBuffer<T> a(sz), b(sz), c(sz);
  cuda::fill_uniform_device(a.data(), n * n, 1, 1, T(-1), T(1), nullptr);
  cuda::fill_uniform_device(b.data(), n * n, 1, 2, T(-1), T(1), nullptr);
  cuda::set_gemm_precision(nullptr, precision);
  harness::Timer timer;
  const double ms = timer.median(
      [&] { cuda::gemm_rm(nullptr, cuda::Op::N, cuda::Op::T, n, n, n, T(1), a.data(), n, b.data(), n, T(0), c.data()); },
      5);
  cuda::set_gemm_precision(nullptr, cuda::GemmPrecision::fp32);
  return 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n) / (ms * 1e-3) / 1e12;
}

json gemm_rates() {
  return json{{"fp32", square_rate<float>(8192, cuda::GemmPrecision::fp32)},
              {"tf32", square_rate<float>(8192, cuda::GemmPrecision::tf32)},
              {"bf16", square_rate<float>(8192, cuda::GemmPrecision::bf16)},
              {"fp64", square_rate<double>(4096, cuda::GemmPrecision::fp32)}};
}

// Times one point; fills row's timings (with `graph`, also those of the CUDA graph, alternating step by step).
void time_point(const train::RunConfig& c, std::int64_t warmup, std::int64_t steps, bool graph, json& row) {
  const auto data = synthetics::build_dataset(c.data);
  const auto refs = train::make_batches(data.train, c.batch_size);
  const auto batch = train::batch_of(data.train[refs.at(0).segment], refs.at(0));
  std::int64_t labelled = 0;
  for (const auto l : batch.labels) labelled += l >= 0;
  std::vector<std::unique_ptr<train::Backend>> backends;  // [0] plain, [1] the CUDA graph's
  for (int k = 0; k < (graph ? 2 : 1); ++k) {
    auto ck = c;
    ck.cuda_graph = k == 1;
    backends.push_back(train::make_backend(ck));
    backends.back()->set_parameters(train::init_parameters(c.model, c.seed));
  }
  std::vector<std::uint64_t> step(backends.size(), 0);
  auto one = [&](std::size_t k) {
    const train::Dropout drop{c.dropout.embedding, c.dropout.attention, 0x9e3779b97f4a7c15ull * ++step[k], 0};
    const double loss = backends[k]->forward_backward(batch, drop);
    backends[k]->step(c.optimizer, c.optimizer.lr);
    sync();
    if (!std::isfinite(loss)) throw Error(cat("loss ", loss, " at step ", step[k]));
  };
  for (std::int64_t i = 0; i < warmup; ++i)
    for (std::size_t k = 0; k < backends.size(); ++k) one(k);
  std::vector<std::vector<double>> ms(backends.size());
  const auto before = train::cuda_graph_counts();
  cuda::GemmWork work;
  for (std::int64_t i = 0; i < steps; ++i)
    for (std::size_t k = 0; k < backends.size(); ++k) {
      const auto w0 = cuda::gemm_work();
      const auto t0 = Clock::now();
      one(k);
      ms[k].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      if (i == 0 && k == 0) work = cuda::gemm_work() - w0;
    }
  const auto after = train::cuda_graph_counts();
  const double med = median(ms[0]), tokens = static_cast<double>(c.batch_size * batch.T);
  row["labelled"] = labelled;
  row["warmup"] = warmup;
  row["steps"] = steps;
  row["ms"] = med;
  row["ms_steps"] = ms[0];
  row["tokens_per_s"] = tokens / (med / 1e3);
  row["gemm_flop"] = work_json(work);
  if (!graph) return;
  const double med_graph = median(ms[1]);
  row["ms_graph"] = med_graph;
  row["ms_steps_graph"] = ms[1];
  row["tokens_per_s_graph"] = tokens / (med_graph / 1e3);
  row["graph_speedup"] = med / med_graph;
  row["graph_nodes"] = after.nodes;
  row["graph_replays"] = after.replayed - before.replayed;
}

// --concurrent R: fills row's sequential and concurrent timings of R runs of the point (see the header).
void time_concurrent(const train::RunConfig& c, std::int64_t warmup, std::int64_t steps, int R, json& row) {
  const auto data = synthetics::build_dataset(c.data);
  const auto refs = train::make_batches(data.train, c.batch_size);
  const auto batch = train::batch_of(data.train[refs.at(0).segment], refs.at(0));
  std::vector<std::unique_ptr<train::Backend>> runs;
  std::vector<std::uint64_t> count(static_cast<std::size_t>(R), 0);
  for (int r = 0; r < R; ++r) {
    runs.push_back(train::make_backend(c));
    runs.back()->set_parameters(train::init_parameters(c.model, c.seed + static_cast<std::uint64_t>(r)));
  }
  auto one = [&](int r) {  // one step of run r; its loss read back (the backend synchronises its own stream)
    auto& n = count[static_cast<std::size_t>(r)];
    const train::Dropout drop{c.dropout.embedding, c.dropout.attention, 0x9e3779b97f4a7c15ull * ++n + r, 0};
    const double loss = runs[static_cast<std::size_t>(r)]->forward_backward(batch, drop);
    runs[static_cast<std::size_t>(r)]->step(c.optimizer, c.optimizer.lr);
    if (!std::isfinite(loss)) throw Error(cat("run ", r, ": loss ", loss, " at step ", n));
  };
  for (int r = 0; r < R; ++r)
    for (std::int64_t i = 0; i < warmup; ++i) one(r);
  sync();
  const auto sequential = [&] {
    const auto t0 = Clock::now();
    for (std::int64_t k = 0; k < steps; ++k)
      for (int r = 0; r < R; ++r) {
        one(r);
        sync();
      }
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  };
  const auto concurrent = [&] {
    std::latch go(R + 1);
    std::vector<std::exception_ptr> error(static_cast<std::size_t>(R));
    std::vector<std::thread> threads;
    for (int r = 0; r < R; ++r)
      threads.emplace_back([&, r] {
        go.arrive_and_wait();
        try {
          for (std::int64_t k = 0; k < steps; ++k) one(r);
        } catch (...) {
          error[static_cast<std::size_t>(r)] = std::current_exception();
        }
      });
    const auto t0 = Clock::now();
    go.arrive_and_wait();
    for (auto& t : threads) t.join();
    sync();
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    for (const auto& e : error)
      if (e) std::rethrow_exception(e);
    return ms;
  };
  double seq = 1e300, conc = 1e300;
  for (int rep = 0; rep < 2; ++rep) {
    seq = std::min(seq, sequential());
    conc = std::min(conc, concurrent());
  }
  const double round_seq = seq / static_cast<double>(steps), round_conc = conc / static_cast<double>(steps);
  const double tokens = static_cast<double>(R * c.batch_size * batch.T);
  row["concurrent"] = R;
  row["warmup"] = warmup;
  row["steps"] = steps;
  row["ms_round_sequential"] = round_seq;
  row["ms_round_concurrent"] = round_conc;
  row["speedup"] = round_seq / round_conc;
  row["tokens_per_s_sequential"] = tokens / (round_seq / 1e3);
  row["tokens_per_s_concurrent"] = tokens / (round_conc / 1e3);
}

void write(const std::string& path, const json& j) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << j.dump(1) << "\n";
  std::filesystem::rename(tmp, path);
}

int run(const Args& a) {
  const json cfg = read_json_file(a.config);
  const std::string& w = a.config;
  reject_unknown_keys(cfg, {"name", "model", "mixers", "d_model", "shapes", "train_examples", "epochs", "optimizer",
                            "dropout", "warmup_steps", "timed_steps"},
                      w);
  const auto mixers = get_field<json>(cfg, "mixers", w), shapes_j = get_field<json>(cfg, "shapes", w);
  auto ds = get_field<std::vector<std::int64_t>>(cfg, "d_model", w);
  const auto examples = get_field<std::int64_t>(cfg, "train_examples", w),
             epochs = get_field<std::int64_t>(cfg, "epochs", w);
  std::int64_t warmup = get_field<std::int64_t>(cfg, "warmup_steps", w),
               steps = get_field<std::int64_t>(cfg, "timed_steps", w);
  require<InputError>(examples >= 1 && epochs >= 1 && warmup >= 0 && steps >= 1, w,
                      ": train_examples, epochs, timed_steps must be >= 1 and warmup_steps >= 0");
  require<InputError>(mixers.is_array() && shapes_j.is_array() && !ds.empty(), w,
                      ": mixers and shapes must be arrays, d_model a non-empty list");
  std::vector<Shape> shapes;
  for (std::size_t i = 0; i < shapes_j.size(); ++i) {
    const std::string at = cat(json_path(w, "shapes"), "[", i, "]");
    reject_unknown_keys(shapes_j[i], {"T", "num_kv_pairs", "batch_size"}, at);
    shapes.push_back({get_field<std::int64_t>(shapes_j[i], "T", at),
                      get_field<std::int64_t>(shapes_j[i], "num_kv_pairs", at),
                      get_field<std::int64_t>(shapes_j[i], "batch_size", at)});
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < mixers.size(); ++i) {
    const std::string at = cat(json_path(w, "mixers"), "[", i, "]");
    reject_unknown_keys(mixers[i], {"name", "model", "positions"}, at);
    names.insert(get_field<std::string>(mixers[i], "name", at));
  }
  for (const auto& n : a.only)
    require<InputError>(names.count(n) > 0, "train_steps: --only ", n, ": no mixer of that name in ", w);
  if (a.smoke) {
    ds = {ds.front()};
    shapes.resize(1);
    warmup = steps = 1;
  }
  // Every point is validated before the GPU is touched.
  struct Point {
    json row;
    train::RunConfig config;
  };
  std::vector<Point> points;
  for (std::size_t i = 0; i < mixers.size(); ++i) {
    const std::string at = cat(json_path(w, "mixers"), "[", i, "]"), name = mixers[i].at("name");
    if (!a.only.empty() && !a.only.count(name)) continue;
    for (const auto& s : shapes)
      for (const auto d : ds) {
        const json rj = run_json(cfg, w, mixers[i], d, s, a.precision, at);
        auto c = train::parse_run_config(rj, cat(at, " at d_model ", d, ", T ", s.T));
        json row{{"mixer", name},        {"model", rj["model"]}, {"d_model", d},
                 {"T", s.T},             {"B", s.B},             {"num_kv_pairs", s.kv},
                 {"steps_per_epoch", (examples + s.B - 1) / s.B}, {"epochs", epochs},
                 {"params", model::param_count(c.model)}};
        points.push_back({row, std::move(c)});
      }
  }
  if (a.plan_only) {
    json out{{"provenance", to_json(host_provenance())}, {"config", a.config}, {"precision", a.precision},
             {"optimizer", cfg.at("optimizer")},
             {"dropout", cfg.at("dropout")}, {"rows", json::array()}};
    for (auto& p : points) {
      p.row["warmup"] = warmup;
      p.row["steps"] = steps;
      out["rows"].push_back(p.row);
    }
    write(a.out, out);
    std::printf("train_steps: %zu points planned, none timed (--plan-only)\n", points.size());
    return 0;
  }
  if (!gpu_available()) {
    std::fprintf(stderr, "train_steps: no GPU visible; nothing timed\n");
    return 77;
  }
  json out{{"provenance", to_json(train::backend_provenance("gpu"))},
           {"config", a.config},
           {"precision", a.precision},
           {"optimizer", cfg.at("optimizer")},
           {"dropout", cfg.at("dropout")},
           {"rows", json::array()}};
  if (!a.concurrent) {
    const json rates = gemm_rates();
    out["gemm_tflops"] = rates;
    std::printf("train_steps: measured GEMM rates (TFLOP/s): fp32 %.1f, tf32 %.1f, bf16 %.1f, fp64 %.1f\n",
                rates["fp32"].get<double>(), rates["tf32"].get<double>(), rates["bf16"].get<double>(),
                rates["fp64"].get<double>());
  }
  int failed = 0;
  for (auto& p : points) {
    const auto& r = p.row;
    try {
      if (a.concurrent) {
        time_concurrent(p.config, warmup, steps, a.concurrent, p.row);
        std::printf("%s d=%lld T=%lld B=%lld, %d runs: a round (one step of each) %.3f ms one at a time, %.3f ms "
                    "at once: %.2fx (%.2f -> %.2f M tokens/s)\n",
                    r["mixer"].get<std::string>().c_str(), static_cast<long long>(r["d_model"]),
                    static_cast<long long>(r["T"]), static_cast<long long>(r["B"]), a.concurrent,
                    r["ms_round_sequential"].get<double>(), r["ms_round_concurrent"].get<double>(),
                    r["speedup"].get<double>(), r["tokens_per_s_sequential"].get<double>() / 1e6,
                    r["tokens_per_s_concurrent"].get<double>() / 1e6);
        std::fflush(stdout);
        out["rows"].push_back(p.row);
        write(a.out, out);
        continue;
      }
      time_point(p.config, warmup, steps, a.graph, p.row);
      std::printf("%s d=%lld T=%lld B=%lld: %.3f ms per step (median of %lld), %.2f M tokens/s\n",
                  r["mixer"].get<std::string>().c_str(), static_cast<long long>(r["d_model"]),
                  static_cast<long long>(r["T"]), static_cast<long long>(r["B"]), r["ms"].get<double>(),
                  static_cast<long long>(steps), r["tokens_per_s"].get<double>() / 1e6);
      if (a.graph)
        std::printf("  with the CUDA graph: %.3f ms per step, %.2f M tokens/s: %.2fx (%lld nodes, %lld of %lld timed "
                    "steps replayed)\n",
                    r["ms_graph"].get<double>(), r["tokens_per_s_graph"].get<double>() / 1e6,
                    r["graph_speedup"].get<double>(), static_cast<long long>(r["graph_nodes"]),
                    static_cast<long long>(r["graph_replays"]), static_cast<long long>(steps));
    } catch (const std::exception& e) {
      ++failed;
      p.row["error"] = e.what();
      std::printf("%s d=%lld T=%lld: failed: %s\n", r["mixer"].get<std::string>().c_str(),
                  static_cast<long long>(r["d_model"]), static_cast<long long>(r["T"]), e.what());
      (void)cudaGetLastError();
    }
    std::fflush(stdout);
    out["rows"].push_back(p.row);
    write(a.out, out);
  }
  write(a.out, out);
  std::printf("train_steps: %zu points, %d failed\n", points.size(), failed);
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_args(argc, argv));
  } catch (const InputError& e) {
    std::fprintf(stderr, "train_steps: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_steps: error: %s\n", e.what());
    return 1;
  }
}
