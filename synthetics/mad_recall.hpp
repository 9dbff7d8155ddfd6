// The MAD recall tasks of athms/mad-lab, mad/data/instances.py (docs/synthetics.md §1.5): in-context recall, its
// noisy variant and fuzzy in-context recall. MAD draws from np.random.default_rng (PCG64, not reproduced); here
// each segment is one numpy legacy stream seeded with `seed` (same distributions). MAD's seq_len is input_seq_len.
//
// Train and test targets differ (MAD's convention, `is_training`): with test_targets = false (the training split)
// labels are the shifted input (plain language modelling, every position, pads included); with test_targets = true
// only the recall positions carry a label. MAD scores with ignore_index -100 and macro-averaged accuracy.
//
// in-context recall (noisy recall = the same with noise). Vocabulary: c - 1 is the copy prefix unless multi_query;
// s = c - [not multi_query] - noise_vocab_size non-special tokens; keys [0, s/2), values [s/2, s); noise tokens
// [s, s + noise_vocab_size). A sequence is N/2 - 1 slots then a probe. Each slot is, with probability frac_noise
// (except one slot that is always a pair), two noise tokens; otherwise a key uniform over the key half and its value
// (a key -> value map drawn per sequence as keys appear; keys repeat). The probe is a key seen before and its value,
// after the copy prefix unless multi_query. Test labels: the probe's value; with multi_query also the value of
// every repeated key. Inputs are the sequence without its last token: N - 1 tokens with multi_query, N without.
// Fix: MAD picks the always-a-pair slot among all N/2 slots including the probe's, so with noise every slot may
// be noise and the probe draw fails (np.random.choice of an empty list); here it is one of the N/2 - 1 slots.
//
// fuzzy in-context recall: keys and values are motifs, ordered tuples of 1..k_motif_size distinct key tokens
// (1..v_motif_size value tokens); s = c - 1 - [not multi_query] - noise_vocab_size; keys [0, s/2), values [s/2, s);
// pad token c - 1 with multi_query, else c - 2 (copy prefix c - 1). Training sequences use key motifs of every size,
// test sequences only the largest. A probe pair (sizes drawn first) is inserted once the sequence reaches a random
// index; pairs (or noise motifs of the same total size) are appended while the length is below
// N - |probe| - (k_motif_size + v_motif_size); then [copy prefix] probe key, probe value; left-padded to N + 1 and
// shifted: N tokens. Test labels: probe value tokens, and with multi_query the value tokens of repeated keys.
// MAD shuffles the full list of all motifs to draw one uniformly; drawing distinct tokens one by one is the same law.
// Fix: MAD can end the loop before the random insertion index is reached, so the probe key never appears before
// the final probe that asks for it; here the probe pair is inserted at the latest when the next pair could be the
// last one.
//
// Assertions (InputError): n >= 1, N even and >= 4 (fuzzy: N > 2(k_motif_size + v_motif_size)), at least one key
// and one value token (fuzzy: s/2 >= k_motif_size, s - s/2 >= v_motif_size), 0 <= frac_noise < 1, and
// noise_vocab_size >= 1 when frac_noise > 0.
#pragma once
#include <cstdint>

#include "synthetics/examples.hpp"

namespace menagerie::synthetics {

struct MadRecallConfig {
  std::int64_t vocab_size = 16;
  std::int64_t num_examples = 12800;
  std::int64_t input_seq_len = 128;
  bool multi_query = true;
  std::int64_t noise_vocab_size = 0;
  double frac_noise = 0.0;
  bool test_targets = false;

  template <class F>
  void fields(F&& f) {
    f("vocab_size", vocab_size, "vocabulary size c, noise tokens included");
    f("num_examples", num_examples, "number of sequences n (MAD: 12800 train, 1280 test)");
    f("input_seq_len", input_seq_len, "MAD's seq_len N (even); multi_query sequences have N - 1 tokens");
    f("multi_query", multi_query, "label every repeated key's value (test), no copy prefix");
    f("noise_vocab_size", noise_vocab_size, "noise tokens, taken from the top of the vocabulary");
    f("frac_noise", frac_noise, "probability that a slot is a pair of noise tokens");
    f("test_targets", test_targets, "test-split labels (recall positions only) instead of the shifted input");
  }
  void validate() const;
};

struct MadFuzzyRecallConfig {
  std::int64_t vocab_size = 16;
  std::int64_t num_examples = 12800;
  std::int64_t input_seq_len = 128;
  std::int64_t k_motif_size = 3;
  std::int64_t v_motif_size = 3;
  bool multi_query = true;
  std::int64_t noise_vocab_size = 0;
  double frac_noise = 0.0;
  bool test_targets = false;

  template <class F>
  void fields(F&& f) {
    f("vocab_size", vocab_size, "vocabulary size c, pad/copy tokens and noise tokens included");
    f("num_examples", num_examples, "number of sequences n (MAD: 12800 train, 1280 test)");
    f("input_seq_len", input_seq_len, "MAD's seq_len N; sequences are left-padded to N tokens");
    f("k_motif_size", k_motif_size, "largest key motif (tokens per key)");
    f("v_motif_size", v_motif_size, "largest value motif (tokens per value)");
    f("multi_query", multi_query, "label every repeated key's value (test), no copy prefix");
    f("noise_vocab_size", noise_vocab_size, "noise tokens, taken from the top of the non-special vocabulary");
    f("frac_noise", frac_noise, "probability that a slot is a noise motif");
    f("test_targets", test_targets, "test split: key motifs of the largest size only, recall labels only");
  }
  void validate() const;
};

Examples mad_in_context_recall(const MadRecallConfig& config, std::uint32_t seed);
Examples mad_fuzzy_in_context_recall(const MadFuzzyRecallConfig& config, std::uint32_t seed);

// MAD's baseline settings (configs/tasks/*.yml): in-context recall c = 16, N = 128, multi_query; noisy recall
// c = 32 with 16 noise tokens, frac_noise 0.2; fuzzy recall c = 16, N = 128, motifs up to 3.
MadRecallConfig mad_noisy_recall_baseline();

}  // namespace menagerie::synthetics
