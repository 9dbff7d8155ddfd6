// What every token-level generator returns: n sequences of one length N, as the trainer and `menagerie data`
// consume them.
//   inputs[i, t]  token id at position t of example i                              [n, N] int64
//   labels[i, t]  the token the model must predict at position t, or kIgnoreIndex  [n, N] int64
//                 (-100, PyTorch's ignore_index: no loss, not counted by accuracy)
//   slices        Zoology's per-segment tags for breaking accuracy down, e.g. {"num_kv_pairs": "8"}.
// Helpers shared by the generators: the size guard and the parameter checks that turn every assertion of the
// public code into an InputError naming the parameter and its value.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "core/errors.hpp"
#include "core/tensor.hpp"

namespace menagerie::synthetics {

inline constexpr std::int64_t kIgnoreIndex = -100;

struct Examples {
  Tensor<std::int64_t> inputs;  // [n, N]
  Tensor<std::int64_t> labels;  // [n, N]
  std::map<std::string, std::string> slices;

  std::int64_t count() const { return inputs.rank() == 2 ? inputs.size(0) : 0; }
  std::int64_t seq_len() const { return inputs.rank() == 2 ? inputs.size(1) : 0; }
};

// At most this many elements per tensor (2^32 int64 = 32 GiB): a larger request is an InputError, not bad_alloc.
inline constexpr std::int64_t kMaxElements = std::int64_t{1} << 32;

// n examples of length seq_len: inputs all 0, labels all kIgnoreIndex. Checks the size first.
Examples blank_examples(std::int64_t n, std::int64_t seq_len);
void check_total_size(std::int64_t n, std::int64_t per_example, const char* what);

// "<task>: <name> = <value> must be >= <lo>" and friends.
void require_at_least(const char* task, const char* name, std::int64_t value, std::int64_t lo);
void require_even(const char* task, const char* name, std::int64_t value);
// The Zoology assertion vocab_size > input_seq_len.
void require_vocab_exceeds_len(const char* task, std::int64_t vocab_size, std::int64_t input_seq_len);

}  // namespace menagerie::synthetics
