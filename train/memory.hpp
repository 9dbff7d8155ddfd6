// The memory a CPU training run needs, estimated from the contracts before anything is allocated or written, so
// that a config no machine can hold (d_model = 10^9, a vocabulary or feature dimension in the millions) is refused
// with a one-line error instead of ending in std::bad_alloc or a swapping machine. In float64 elements x 8 bytes:
//   parameters   5 P            weights, gradients, AdamW's two moments, the checkpoint being written
//                               (P = model::param_count, from the mixers' contracts)
//   activations  B T (12 d L + 2 V) + sum_l (2 x the mixer's non-parameter tensors at (B, T) + B state_l / 4)
//                               block activations and their gradients, logits and their gradients, each mixer's
//                               inputs/outputs and gradients, and its recurrent state (state_size, bytes of 4)
//                               for B = max(batch_size, eval_batch_size), T = the data's longest sequence
//   data         2 x sum over segments of count x sequence length int64 tokens (inputs and labels)
// With "backend": "gpu" the activations live in device memory and are not counted (the host holds the parameters
// and the data); the device's own memory is not estimated here.
// It is an estimate of the run's dominant terms, not a bound: a mixer's private scratch (attention's T x T
// scores) is not counted, so a run near the limit may still not fit; a run the estimate refuses cannot.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "train/run_config.hpp"

namespace menagerie::train {

struct MemoryEstimate {
  double parameters = 0, activations = 0, data = 0;  // bytes
  double total() const { return parameters + activations + data; }
};

MemoryEstimate estimate_memory(const RunConfig& c);

// Bytes this process may still allocate: /proc/meminfo's MemAvailable, capped by the cgroup's memory.max;
// nullopt where neither can be read.
std::optional<double> available_memory();

// Throws InputError "<where>: needs about 74.5 GiB (parameters ..., activations ..., data ...), more than the
// 22.1 GiB available; reduce model.d_model ..." when the estimate exceeds `available`.
void check_memory(const RunConfig& c, std::string_view where, std::optional<double> available = available_memory());

}  // namespace menagerie::train
