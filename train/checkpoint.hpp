// Checkpoints of a run (train/trainer.hpp): the backend's parameters as safetensors with zoology's state_dict names
// (core/model_io.hpp), its AdamW moments as float64 safetensors ("exp_avg.<name>", "exp_avg_sq.<name>"), and the
// loop's state as JSON. save_checkpoint writes model-<e>.safetensors and optimizer-<e>.safetensors, then
// state.json (atomically, naming them), then removes older checkpoint files; a crash at any point leaves
// state.json naming a whole checkpoint.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>

#include "train/backend.hpp"

namespace menagerie::train {

struct LoopState {
  std::int64_t epochs_done = 0, step = 0;
  std::uint64_t results_bytes = 0;  // size of results.jsonl when this checkpoint was taken
  bool finished = false;
  double seconds = 0;  // training wall time so far
};

void save_checkpoint(const std::filesystem::path& dir, const Backend& backend, Precision precision,
                     const LoopState& state);
// The state of the checkpoint in dir (its state.json only); nullopt when dir holds none.
std::optional<LoopState> read_loop_state(const std::filesystem::path& dir);
// Loads the checkpoint into the backend and returns its state; nullopt when dir holds none.
std::optional<LoopState> load_checkpoint(const std::filesystem::path& dir, Backend& backend);

}  // namespace menagerie::train
