// The training loop; its contract is in trainer.hpp.
#include "train/trainer.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/io/atomic_file.hpp"
#include "train/adamw.hpp"
#include "train/checkpoint.hpp"
#include "train/evaluate.hpp"
#include "train/init.hpp"
#include "train/memory.hpp"
#include "train/results.hpp"

namespace menagerie::train {

namespace fs = std::filesystem;

namespace {

// A config with "cuda_graph" left out: the key says how a step is launched, not one bit of what it computes
// (verify/train_gpu_test's graph tests), so a run resumes, or counts as finished, with it toggled or spelled out.
json without_launch_keys(json j) {
  j.erase("cuda_graph");
  return j;
}

using Clock = std::chrono::steady_clock;

// SplitMix64 of (seed, step): the dropout seed of a step.
std::uint64_t step_seed(std::uint64_t seed, std::int64_t step) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (static_cast<std::uint64_t>(step) + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::string duration(double s) {
  if (s < 0 || s > 1e7) return "?";
  const auto t = static_cast<long>(s + 0.5);
  return t >= 3600 ? cat(t / 3600, "h", (t / 60) % 60, "m") : cat(t / 60, "m", t % 60, "s");
}

// "epoch 3/8 [#####     ] step 120/320 loss 1.234 acc 0.512 12.3k tok/s ETA 1m20s" on stderr, at most 10 per second.
struct Progress {
  bool on = false;
  Clock::time_point last{};
  void draw(std::int64_t epoch, std::int64_t epochs, std::int64_t done, std::int64_t per_epoch, double loss,
            double acc, double tok_s, double eta_s) {
    if (!on || Clock::now() - last < std::chrono::milliseconds(100)) return;
    last = Clock::now();
    const int width = 20, fill = static_cast<int>(width * done / std::max<std::int64_t>(per_epoch, 1));
    std::fprintf(stderr, "\r\033[Kepoch %lld/%lld [%s%s] step %lld/%lld loss %.4f acc %s %.1fk tok/s ETA %s",
                 static_cast<long long>(epoch + 1), static_cast<long long>(epochs), std::string(fill, '#').c_str(),
                 std::string(width - fill, ' ').c_str(), static_cast<long long>(done),
                 static_cast<long long>(per_epoch), loss, acc < 0 ? "-" : cat(acc).substr(0, 5).c_str(),
                 tok_s / 1e3, duration(eta_s).c_str());
    std::fflush(stderr);
  }
  void end() {
    if (on) std::fprintf(stderr, "\r\033[K");
  }
};

void check_tokens(const synthetics::Dataset& d, std::int64_t vocab) {
  for (const auto* list : {&d.train, &d.test})
    for (const auto& s : *list) {
      const auto& ex = s.examples;
      for (std::int64_t i = 0; i < ex.inputs.numel(); ++i) {
        const auto x = ex.inputs.data()[i], y = ex.labels.data()[i];
        require<InputError>(x >= 0 && x < vocab && (y == synthetics::kIgnoreIndex || (y >= 0 && y < vocab)),
                            "data segment '", s.spec.task, "' holds token ", x < 0 || x >= vocab ? x : y,
                            ", outside model.vocab_size = ", vocab);
      }
    }
}

}  // namespace

std::optional<json> finished_line(const fs::path& run_dir) {
  const fs::path results = run_dir / "results.jsonl";
  const auto state = read_loop_state(run_dir / "checkpoint");
  if (!state || !state->finished || state->results_bytes != file_size_or_zero(results)) return std::nullopt;
  const auto lines = read_json_lines(results);
  if (!lines.empty() && lines.back().value("final", false)) return lines.back();
  return std::nullopt;
}

TrainSummary train_run(const RunConfig& c, const TrainOptions& opt) {
  const auto log = [&](const std::string& s) {
    if (opt.log) opt.log(s);
  };
  const fs::path dir = opt.run_dir, results = dir / "results.jsonl", ckpt = dir / "checkpoint";
  const std::string config_text = c.source.dump(1) + "\n";
  // A run directory with a checkpoint holds progress to protect; without one (a run that failed or was killed
  // during its first epoch) there is nothing to lose, and a corrected config replaces it.
  const bool has_checkpoint = fs::exists(ckpt / "state.json");
  const json on_disk = fs::exists(dir / "config.json") ? read_json_file(dir / "config.json") : json();
  const bool other_config = !on_disk.is_null() && without_launch_keys(on_disk) != without_launch_keys(c.source);
  const bool relaunched = !on_disk.is_null() && !other_config && on_disk != c.source;
  require<InputError>(!(other_config && has_checkpoint), dir.string(),
                      " holds a run with a different config.json and a checkpoint; use another directory or remove it");
  TrainSummary summary;
  if (auto line = finished_line(dir); line && fs::exists(dir / "config.json")) {
    summary.final_line = *line;
    summary.already_finished = true;
    log(cat(c.name, ": already finished (", results.string(), ")"));
    return summary;
  }

  check_memory(c, c.name);  // before anything is allocated or written
  const auto data = synthetics::build_dataset(c.data);
  check_tokens(data, c.model.vocab);
  const bool made_dir = !fs::exists(dir);
  fs::create_directories(dir);
  if (other_config) log(cat(c.name, ": replacing the config.json of ", dir.string(), ", which holds no checkpoint"));
  if (relaunched) log(cat(c.name, ": cuda_graph differs from ", dir.string(), "/config.json; the numbers do not"));
  if (other_config || relaunched || !fs::exists(dir / "config.json"))
    write_file_atomic(dir / "config.json", std::as_bytes(std::span(config_text.data(), config_text.size())));
  // A failure before the first checkpoint leaves nothing behind: no half-started run for the next call to refuse.
  struct Undo {
    const fs::path &dir, &ckpt;
    bool made_dir, armed = true;
    ~Undo() {
      if (!armed || fs::exists(ckpt / "state.json")) return;
      std::error_code ec;
      if (made_dir) {
        fs::remove_all(dir, ec);
      } else {
        fs::remove(dir / "config.json", ec);
        fs::remove(dir / "results.jsonl", ec);
      }
    }
  } undo{dir, ckpt, made_dir};

  auto backend = make_backend(c);
  backend->set_parameters(init_parameters(c.model, c.seed));
  LoopState state;
  if (auto loaded = load_checkpoint(ckpt, *backend)) {
    state = *loaded;
    summary.resumed = true;
  }
  truncate_file(results, state.results_bytes);  // drop lines (or a torn line) written after the checkpoint

  std::string seeds;
  for (const auto& s : data.train) seeds += cat(seeds.empty() ? "" : ", ", s.seed);
  for (const auto& s : data.test) seeds += cat(", test ", s.seed);
  log(cat("train ", describe(c), "; backend ", backend->name(), "; data seed ", c.data.seed, " (segments ", seeds,
          ")", summary.resumed ? cat("; resumed after epoch ", state.epochs_done) : std::string()));

  const auto batches = make_batches(data.train, c.batch_size);
  const bool aux = backend->has_auxiliary_loss();  // train/loss includes it, train/aux_loss is its part
  const double epoch_tokens = static_cast<double>(tokens(data.train));
  Progress bar{opt.progress && ::isatty(2) != 0};
  double last_acc = -1;
  const auto t_call = Clock::now();
  for (std::int64_t e = state.epochs_done; e < c.epochs && !state.finished; ++e) {
    const double lr = scheduled_lr(c, e);
    const auto t0 = Clock::now();
    double loss_sum = 0, aux_sum = 0;
    std::int64_t done = 0;
    for (const auto& ref : epoch_order(batches, c.shuffle, c.seed, e)) {
      const Dropout drop{c.dropout.embedding, c.dropout.attention, step_seed(c.seed, state.step), 0};
      const double loss = backend->forward_backward(batch_of(data.train[ref.segment], ref), drop);
      if (!std::isfinite(loss))
        throw Error(cat(c.name, ": loss is ", loss, " at step ", state.step, " (epoch ", e + 1, "): training diverged",
                        state.epochs_done == 0 ? "; nothing was kept (no checkpoint yet)" : "", "; try a smaller lr"));
      backend->step(c.optimizer, lr);
      loss_sum += loss;
      aux_sum += backend->auxiliary_loss();
      ++state.step;
      ++done;
      const double el = std::chrono::duration<double>(Clock::now() - t0).count();
      const double frac = static_cast<double>(done) / static_cast<double>(batches.size());
      const double tok_s = epoch_tokens * frac / std::max(el, 1e-9);
      bar.draw(e, c.epochs, done, static_cast<std::int64_t>(batches.size()), loss_sum / static_cast<double>(done),
               last_acc, tok_s, el / frac * static_cast<double>(c.epochs - e) - el);
    }
    const double train_s = std::chrono::duration<double>(Clock::now() - t0).count();
    const auto ev = evaluate(*backend, data.test, c.eval_batch_size, c.accuracy);
    last_acc = ev.accuracy;
    state.seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    state.epochs_done = e + 1;
    state.finished = ev.accuracy > c.early_stop_accuracy || e + 1 == c.epochs;
    json line = {{"run", c.name},
                 {"epoch", e + 1},
                 {"epochs", c.epochs},
                 {"step", state.step},
                 {"lr", lr},
                 {"train/loss", loss_sum / static_cast<double>(batches.size())},
                 {"valid/accuracy", ev.accuracy},
                 {"valid/examples", ev.examples},
                 {"tokens_per_s", epoch_tokens / std::max(train_s, 1e-9)},
                 {"seconds", state.seconds},
                 {"final", state.finished}};
    if (aux) line["train/aux_loss"] = aux_sum / static_cast<double>(batches.size());
    for (const auto& [k, v] : ev.slices) line[k] = v;
    if (state.finished) line["early_stopped"] = ev.accuracy > c.early_stop_accuracy && e + 1 < c.epochs;
    append_json_line(results, line);
    state.results_bytes = file_size_or_zero(results);
    if (opt.fault) opt.fault("line");
    save_checkpoint(ckpt, *backend, c.precision, state);
    if (opt.fault) opt.fault("checkpoint");
    bar.end();
    log(cat(c.name, ": epoch ", e + 1, "/", c.epochs, " step ", state.step, " lr ", lr, " loss ",
            loss_sum / static_cast<double>(batches.size()), " valid/accuracy ", ev.accuracy, " (",
            static_cast<long>(epoch_tokens / std::max(train_s, 1e-9)), " tok/s)"));
    summary.final_line = line;
    ++summary.epochs_run;
  }
  undo.armed = false;
  summary.seconds = std::chrono::duration<double>(Clock::now() - t_call).count();
  if (summary.final_line.is_null())
    if (auto line = finished_line(dir)) summary.final_line = *line;
  return summary;
}

}  // namespace menagerie::train
