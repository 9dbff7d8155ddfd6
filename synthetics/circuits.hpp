// The circuit tasks of zoology/data/circuits.py (docs/synthetics.md §1.3), numpy stream reproduced (bits are
// randint(0, 2) draws, one 32-bit word each): parity, majority, vocab_majority and cumulative_majority equal the
// public generators' output for the same seed; cumulative_parity equals the public call with N + 1 (see below).
// Labels are -100 except where stated. Bits 0/1 are tokens 0/1; 2 is the end marker.
//   parity               inputs = N-1 random bits, then 2; label at position N-1 = parity of the bits.
//   majority             same layout; label = [#ones / (N-1) > 0.5].
//   vocab_majority       N-1 tokens randint(1, c), then the end token 0 (sic: 0, not 2); label at N-1 = the most
//                        frequent token. Ties: the smallest tied token wins, and the first occurrence of the first
//                        token (in order of first appearance) other than it is overwritten by it, so the winner
//                        is strict. (The public code also prints every sequence; not reproduced.)
//   cumulative_parity    inputs = N random bits; label at every t = parity of bits 0..t. The public code makes
//                        N-1 bits for input_seq_len = N; here every task is N long, so ours(N) = public(N + 1).
//   cumulative_majority  inputs = N random bits; label at every t = [#ones - #zeros over 0..t >= 0].
// Assertions (InputError): N >= 2, n >= 1; vocab_majority: c >= 2.
#pragma once
#include <cstdint>

#include "synthetics/examples.hpp"

namespace menagerie::synthetics {

enum class Circuit { parity, majority, cumulative_parity, cumulative_majority };

struct CircuitConfig {
  std::int64_t num_examples = 1000;
  std::int64_t input_seq_len = 16;

  template <class F>
  void fields(F&& f) {
    f("num_examples", num_examples, "number of sequences n");
    f("input_seq_len", input_seq_len, "sequence length N (bits, plus the end marker where there is one)");
  }
  void validate(const char* task) const;
};

struct VocabMajorityConfig {
  std::int64_t vocab_size = 16;
  std::int64_t num_examples = 1000;
  std::int64_t input_seq_len = 16;

  template <class F>
  void fields(F&& f) {
    f("vocab_size", vocab_size, "vocabulary size c: tokens 1..c-1, 0 = end marker");
    f("num_examples", num_examples, "number of sequences n");
    f("input_seq_len", input_seq_len, "sequence length N (N-1 tokens and the end marker)");
  }
  void validate() const;
};

Examples circuit(Circuit kind, const CircuitConfig& config, std::uint32_t seed);
Examples vocab_majority(const VocabMajorityConfig& config, std::uint32_t seed);

}  // namespace menagerie::synthetics
