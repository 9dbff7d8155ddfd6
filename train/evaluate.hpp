// Batching of a dataset's segments and the evaluation metrics (docs/mixers.md §2.3).
//   Batches never mix segments (zoology pre-batches each segment; the last batch of a segment may be short); the
//   train batch order is segment by segment, in order, every epoch (zoology HEAD: shuffle=False) unless the run
//   config sets shuffle, which permutes the batch order per epoch from (seed, epoch).
//   accuracy (per_example, zoology HEAD and Feb 2024): a_i = mean over example i's labelled positions of
//     [argmax logits == label]; valid/accuracy = mean_i a_i over all test examples (examples without a labelled
//     position are skipped). pooled (ICLR-era): correct / labelled over all test positions.
//   slices: for every slice key k of a test segment (e.g. num_kv_pairs) and its value v, "valid/k/accuracy-v" is the
//     same average over the examples of the segments tagged k = v (zoology's slice_keys).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/model_config.hpp"
#include "synthetics/mixture.hpp"
#include "train/backend.hpp"

namespace menagerie::train {

struct BatchRef {
  std::size_t segment = 0;
  std::int64_t first = 0, count = 0;  // examples [first, first + count) of the segment
};

std::vector<BatchRef> make_batches(const std::vector<synthetics::Segment>& segments, std::int64_t batch_size);
model::Batch batch_of(const synthetics::Segment& segment, const BatchRef& ref);
// The train batch order of epoch e (identity unless shuffle).
std::vector<BatchRef> epoch_order(const std::vector<BatchRef>& batches, bool shuffle, std::uint64_t seed,
                                  std::int64_t epoch);

struct Evaluation {
  double accuracy = 0;                     // valid/accuracy
  std::map<std::string, double> slices;    // "valid/num_kv_pairs/accuracy-4" -> accuracy
  std::int64_t examples = 0, labelled = 0;
};

Evaluation evaluate(Backend& backend, const std::vector<synthetics::Segment>& test, std::int64_t batch_size,
                    Accuracy mode);

// Tokens the batch order feeds per epoch (for tokens/s).
std::int64_t tokens(const std::vector<synthetics::Segment>& segments);

}  // namespace menagerie::train
