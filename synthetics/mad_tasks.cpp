// MAD selective copying, compression and memorization (see mad_tasks.hpp).
#include "synthetics/mad_tasks.hpp"

#include <vector>

#include "synthetics/numpy_random.hpp"

namespace menagerie::synthetics {

namespace {
void check_noise(const char* t, std::int64_t noise_vocab_size, double frac_noise) {
  require_at_least(t, "noise_vocab_size", noise_vocab_size, 0);
  require(frac_noise >= 0 && frac_noise < 1, t, ": frac_noise = ", frac_noise, " must be in [0, 1)");
  require(frac_noise == 0 || noise_vocab_size > 0, t, ": frac_noise = ", frac_noise,
          " needs noise_vocab_size > 0, got ", noise_vocab_size);
}
}  // namespace

void MadSelectiveCopyingConfig::validate() const {
  const char* t = "mad_selective_copying";
  require_at_least(t, "num_examples", num_examples, 1);
  require_at_least(t, "vocab_size", vocab_size, 3);
  require_at_least(t, "num_tokens_to_copy", num_tokens_to_copy, 1);
  require(num_tokens_to_copy < input_seq_len && input_seq_len > 2 * num_tokens_to_copy + 1, t,
          ": input_seq_len = ", input_seq_len, " must exceed 2*num_tokens_to_copy + 1 = 2*", num_tokens_to_copy,
          " + 1");
  check_total_size(num_examples, input_seq_len, t);
}

void MadCompressionConfig::validate() const {
  const char* t = "mad_compression";
  require_at_least(t, "num_examples", num_examples, 1);
  require_at_least(t, "input_seq_len", input_seq_len, 2);
  check_noise(t, noise_vocab_size, frac_noise);
  require(vocab_size - 1 - noise_vocab_size >= 1, t, ": vocab_size = ", vocab_size,
          " must exceed noise_vocab_size + 1 = ", noise_vocab_size + 1);
  check_total_size(num_examples, input_seq_len, t);
}

void MadMemorizationConfig::validate() const {
  const char* t = "mad_memorization";
  require_at_least(t, "num_examples", num_examples, 1);
  require_at_least(t, "input_seq_len", input_seq_len, 2);
  require_even(t, "input_seq_len", input_seq_len);
  check_noise(t, noise_vocab_size, frac_noise);
  require(vocab_size - 1 - noise_vocab_size >= 2, t, ": vocab_size = ", vocab_size,
          " must be >= noise_vocab_size + 3 = ", noise_vocab_size + 3);
  require(kv_map_seed >= 0 && kv_map_seed <= 0xffffffffll, t, ": kv_map_seed = ", kv_map_seed,
          " must be in [0, 2^32 - 1]");
  check_total_size(num_examples, input_seq_len, t);
}

Examples mad_selective_copying(const MadSelectiveCopyingConfig& c, std::uint32_t seed) {
  c.validate();
  const std::int64_t n = c.num_examples, N = c.input_seq_len, T = c.num_tokens_to_copy, blanks = N - 2 * T - 1;
  const std::int64_t blank = c.vocab_size - 2, copy = c.vocab_size - 1;
  LegacyRandomState rs(seed);
  Examples ex = blank_examples(n, N);
  std::vector<std::int64_t> tokens(static_cast<std::size_t>(T)), before(static_cast<std::size_t>(T));
  for (std::int64_t r = 0; r < n; ++r) {
    for (auto& t : tokens) t = rs.randint(0, c.vocab_size - 2);
    std::fill(before.begin(), before.end(), 0);
    for (std::int64_t b = 0; b < blanks; ++b) ++before[static_cast<std::size_t>(rs.randint(0, T))];
    std::int64_t* in = ex.inputs.data() + r * N;
    std::int64_t p = 0;
    for (std::int64_t j = 0; j < T; ++j) {
      for (std::int64_t b = 0; b < before[static_cast<std::size_t>(j)]; ++b) in[p++] = blank;
      in[p++] = tokens[static_cast<std::size_t>(j)];
    }
    in[p++] = copy;
    for (std::int64_t j = 0; j < T; ++j) {
      in[p] = blank;
      ex.labels(r, p++) = tokens[static_cast<std::size_t>(j)];
    }
  }
  ex.slices = {{"input_seq_len", std::to_string(N)}, {"num_tokens_to_copy", std::to_string(T)}};
  return ex;
}

Examples mad_compression(const MadCompressionConfig& c, std::uint32_t seed) {
  c.validate();
  const std::int64_t n = c.num_examples, N = c.input_seq_len, s = c.vocab_size - 1 - c.noise_vocab_size;
  LegacyRandomState rs(seed);
  Examples ex = blank_examples(n, N);
  for (std::int64_t r = 0; r < n; ++r) {
    for (std::int64_t i = 0; i < N - 1; ++i) ex.labels(r, i) = ex.inputs(r, i) = rs.randint(0, s);
    ex.labels(r, N - 1) = ex.inputs(r, N - 1) = c.vocab_size - 1;
    if (c.frac_noise > 0)
      for (std::int64_t i = 0; i < N - 1; ++i)
        if (rs.random_sample() < c.frac_noise) {
          ex.inputs(r, i) = s + rs.randint(0, c.noise_vocab_size);
          ex.labels(r, i) = kIgnoreIndex;
        }
  }
  ex.slices = {{"input_seq_len", std::to_string(N)}, {"vocab_size", std::to_string(c.vocab_size)}};
  return ex;
}

std::vector<std::int64_t> mad_memorization_map(const MadMemorizationConfig& c) {
  c.validate();
  const std::int64_t s = c.vocab_size - 1 - c.noise_vocab_size, K = s / 2;
  LegacyRandomState rs(static_cast<std::uint32_t>(c.kv_map_seed));
  const auto keys = rs.permutation(K);
  const auto values = rs.permutation(s - K);
  std::vector<std::int64_t> value_of(static_cast<std::size_t>(K));
  for (std::size_t i = 0; i < keys.size(); ++i) value_of[static_cast<std::size_t>(keys[i])] = K + values[i];
  return value_of;
}

Examples mad_memorization(const MadMemorizationConfig& c, std::uint32_t seed) {
  const auto value_of = mad_memorization_map(c);
  const std::int64_t n = c.num_examples, N = c.input_seq_len, pairs = N / 2, K = static_cast<std::int64_t>(value_of.size());
  const std::int64_t s = c.vocab_size - 1 - c.noise_vocab_size;
  LegacyRandomState rs(seed);
  Examples ex = blank_examples(n, N);
  for (std::int64_t r = 0; r < n; ++r) {
    const auto keep = rs.randint(0, pairs);
    for (std::int64_t i = 0; i < pairs; ++i) {
      if (c.frac_noise > 0 && i != keep && rs.random_sample() < c.frac_noise) {
        ex.inputs(r, 2 * i) = s + rs.randint(0, c.noise_vocab_size);
        ex.inputs(r, 2 * i + 1) = s + rs.randint(0, c.noise_vocab_size);
        continue;
      }
      const auto k = rs.randint(0, K);
      ex.inputs(r, 2 * i) = k;
      ex.inputs(r, 2 * i + 1) = c.vocab_size - 1;
      ex.labels(r, 2 * i + 1) = value_of[static_cast<std::size_t>(k)];
    }
  }
  ex.slices = {{"input_seq_len", std::to_string(N)}, {"vocab_size", std::to_string(c.vocab_size)}};
  return ex;
}

}  // namespace menagerie::synthetics
