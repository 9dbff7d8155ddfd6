// The other MAD tasks of athms/mad-lab, mad/data/instances.py (docs/synthetics.md §1.5): selective copying,
// compression, memorization. Drawn from one numpy legacy stream per segment (MAD: np.random.default_rng, not
// reproduced; same distributions). MAD's seq_len is input_seq_len. In MAD these three ignore `is_training`: train
// and test labels follow the same convention, and no label is shifted (the label at t is what position t outputs).
//
// selective copying: T = num_tokens_to_copy tokens uniform on [0, c-2) with replacement; N - 2T - 1 blanks (c-2)
// inserted among them, each before a token index uniform on [0, T) (np.insert semantics: so the last token is
// always right before the copy token, as in MAD); then the copy token c-1 and T blanks. Labels: -100 on the first
// N - T positions, then the T tokens in order. (MAD draws the insertion indices from the unseeded global numpy RNG,
// so its data is not reproducible; here they come from the segment's stream.)
//   Assertions: T >= 1, N > 2T + 1, c >= 3, n >= 1.
// compression: N - 1 tokens uniform on [0, s), s = c - 1 - noise_vocab_size, then the compression token c - 1;
// labels = the inputs (an auto-encoder backbone reconstructs the whole input from the compression token). With
// noise, each of the first N - 1 tokens becomes, with probability frac_noise, a noise token from [s, s + noise) with
// label -100. Fix: MAD builds those masked labels but returns (inputs, inputs), labelling the noise tokens.
//   Assertions: N >= 2, s >= 1, 0 <= frac_noise < 1, noise_vocab_size >= 1 when frac_noise > 0, n >= 1.
// memorization: a key -> value map fixed by kv_map_seed (MAD: the run seed, 12345), shared by every sequence and
// split: s = c - 1 - noise_vocab_size, keys [0, s/2), values [s/2, s); the shuffled keys are zipped with the
// shuffled values (permutations from a legacy stream seeded with kv_map_seed). A sequence is N/2 slots of
// (key, insert token c - 1), keys uniform with replacement, label -100 on the key and the key's value on the insert
// token; with noise, every slot but one random slot is with probability frac_noise two noise tokens, unlabelled.
//   Assertions: N even >= 2, s >= 2, 0 <= frac_noise < 1, noise_vocab_size >= 1 when frac_noise > 0,
//   0 <= kv_map_seed < 2^32, n >= 1.
#pragma once
#include <cstdint>
#include <vector>

#include "synthetics/examples.hpp"

namespace menagerie::synthetics {

struct MadSelectiveCopyingConfig {
  std::int64_t vocab_size = 16;
  std::int64_t num_examples = 12800;
  std::int64_t input_seq_len = 256;
  std::int64_t num_tokens_to_copy = 16;

  template <class F>
  void fields(F&& f) {
    f("vocab_size", vocab_size, "vocabulary size c: tokens 0..c-3, blank c-2, copy c-1");
    f("num_examples", num_examples, "number of sequences n (MAD: 12800 train, 1280 test)");
    f("input_seq_len", input_seq_len, "MAD's seq_len N > 2*num_tokens_to_copy + 1");
    f("num_tokens_to_copy", num_tokens_to_copy, "tokens T to copy");
  }
  void validate() const;
};

struct MadCompressionConfig {
  std::int64_t vocab_size = 16;
  std::int64_t num_examples = 12800;
  std::int64_t input_seq_len = 32;
  std::int64_t noise_vocab_size = 0;
  double frac_noise = 0.0;

  template <class F>
  void fields(F&& f) {
    f("vocab_size", vocab_size, "vocabulary size c: compression token c-1");
    f("num_examples", num_examples, "number of sequences n (MAD: 12800 train, 1280 test)");
    f("input_seq_len", input_seq_len, "MAD's seq_len N");
    f("noise_vocab_size", noise_vocab_size, "noise tokens, below the compression token");
    f("frac_noise", frac_noise, "probability that a token is replaced by noise (unlabelled)");
  }
  void validate() const;
};

struct MadMemorizationConfig {
  std::int64_t vocab_size = 256;
  std::int64_t num_examples = 256;
  std::int64_t input_seq_len = 32;
  std::int64_t kv_map_seed = 12345;
  std::int64_t noise_vocab_size = 0;
  double frac_noise = 0.0;

  template <class F>
  void fields(F&& f) {
    f("vocab_size", vocab_size, "vocabulary size c: insert token c-1");
    f("num_examples", num_examples, "number of sequences n (MAD: 256 train, 1280 test)");
    f("input_seq_len", input_seq_len, "MAD's seq_len N (even)");
    f("kv_map_seed", kv_map_seed, "seed of the fixed key->value map (MAD: the run seed 12345)");
    f("noise_vocab_size", noise_vocab_size, "noise tokens, below the insert token");
    f("frac_noise", frac_noise, "probability that a slot is two noise tokens");
  }
  void validate() const;
};

Examples mad_selective_copying(const MadSelectiveCopyingConfig& config, std::uint32_t seed);
Examples mad_compression(const MadCompressionConfig& config, std::uint32_t seed);
Examples mad_memorization(const MadMemorizationConfig& config, std::uint32_t seed);

// The fixed memorization map: value_of[k] for keys k in [0, s/2), s = vocab_size - 1 - noise_vocab_size.
std::vector<std::int64_t> mad_memorization_map(const MadMemorizationConfig& config);

}  // namespace menagerie::synthetics
