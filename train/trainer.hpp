// The training loop, written once over train/backend.hpp (docs/train.md). For epoch e = 0 .. epochs-1:
//   lr = schedule(e) (cosine, stepped per epoch); for each train batch (train/evaluate.hpp's order):
//     loss = backend.forward_backward(batch, dropout seeded by (seed, global step)); backend.step(lr);
//   evaluate on the test segments; append one JSON line to <run>/results.jsonl (train/results.hpp); checkpoint;
//   train/loss is the mean of the step losses (cross-entropy plus any mixer's auxiliary loss), and when a mixer has
//   an auxiliary loss (sigmoid_lookups) train/aux_loss is the mean of that part alone;
//   stop after the last epoch or once valid/accuracy > early_stop_accuracy. The last line carries "final": true.
// Run directory: config.json (the run config), results.jsonl, checkpoint/{state.json, model-<e>.safetensors
// (zoology state_dict names, the backend's precision), optimizer-<e>.safetensors (AdamW moments, float64)}.
// state.json is written (atomically) after the files it names, so it always points at a whole checkpoint; it
// records the size of results.jsonl, and a resumed run cuts the results back to that size before continuing.
// A run is finished when its checkpoint says so and covers the whole results file (a run killed between its final
// line and its final checkpoint resumes from the checkpoint before and writes that epoch again). Before anything is
// allocated or written, the run's memory estimate (train/memory.hpp) must fit. A call that fails before the first
// checkpoint removes what it wrote; a directory with no checkpoint and another config.json is replaced (logged),
// one with a checkpoint and another config.json is refused ("cuda_graph" aside: it changes no number, and a run
// resumes with it toggled, its config.json rewritten).
// Everything that decides the numbers (initialisation, batch order, dropout masks, thread split) is a function of
// the config, so a run killed at any point and resumed writes the same lines, with the same numbers, as one that
// was never interrupted (wall-clock fields aside).
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "core/json.hpp"
#include "train/run_config.hpp"

namespace menagerie::train {

struct TrainOptions {
  std::filesystem::path run_dir;               // created if missing
  bool progress = false;                       // redraw a progress bar on stderr (a terminal)
  std::function<void(const std::string&)> log; // one line per event (start, epoch, end); may be empty
  // Fault injection for the crash tests: called with "line" right after a results line was appended and with
  // "checkpoint" right after a checkpoint was written (the test's hook kills the process there).
  std::function<void(const char* event)> fault;
};

struct TrainSummary {
  json final_line;  // the results line with "final": true
  bool resumed = false, already_finished = false;
  std::int64_t epochs_run = 0;  // by this call
  double seconds = 0;           // by this call
};

TrainSummary train_run(const RunConfig& config, const TrainOptions& options);

// The final line of a run directory's results, if the run finished.
std::optional<json> finished_line(const std::filesystem::path& run_dir);

}  // namespace menagerie::train
