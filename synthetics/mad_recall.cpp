// MAD in-context recall, noisy recall and fuzzy recall (see mad_recall.hpp).
#include "synthetics/mad_recall.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "synthetics/numpy_random.hpp"

namespace menagerie::synthetics {

namespace {
using Motif = std::vector<std::int64_t>;

void check_noise(const char* t, std::int64_t noise_vocab_size, double frac_noise) {
  require_at_least(t, "noise_vocab_size", noise_vocab_size, 0);
  require(frac_noise >= 0 && frac_noise < 1, t, ": frac_noise = ", frac_noise, " must be in [0, 1)");
  require(frac_noise == 0 || noise_vocab_size > 0, t, ": frac_noise = ", frac_noise,
          " needs noise_vocab_size > 0, got ", noise_vocab_size);
}

// Writes one sequence (full = inputs before the shift, targets aligned with it) as row r: inputs = full[:-1],
// labels = full[1:] (training split) or targets[1:] (test split).
void emit(Examples& ex, std::int64_t r, const std::vector<std::int64_t>& full, const std::vector<std::int64_t>& tgt,
          bool test_targets) {
  const std::int64_t L = ex.seq_len();
  for (std::int64_t i = 0; i < L; ++i) {
    ex.inputs(r, i) = full[static_cast<std::size_t>(i)];
    ex.labels(r, i) = (test_targets ? tgt : full)[static_cast<std::size_t>(i + 1)];
  }
}

// An ordered tuple of `size` distinct tokens from [lo, lo + count): uniform over all such tuples.
Motif draw_motif(LegacyRandomState& rs, std::int64_t lo, std::int64_t count, std::int64_t size) {
  Motif m;
  while (static_cast<std::int64_t>(m.size()) < size) {
    const auto t = lo + rs.randint(0, count);
    if (std::find(m.begin(), m.end(), t) == m.end()) m.push_back(t);
  }
  return m;
}
}  // namespace

void MadRecallConfig::validate() const {
  const char* t = "mad_in_context_recall";
  require_at_least(t, "num_examples", num_examples, 1);
  require_at_least(t, "input_seq_len", input_seq_len, 4);
  require_even(t, "input_seq_len", input_seq_len);
  check_noise(t, noise_vocab_size, frac_noise);
  const auto s = vocab_size - (multi_query ? 0 : 1) - noise_vocab_size;
  require(s >= 2, t, ": vocab_size = ", vocab_size, " leaves ", s,
          " key/value tokens after the copy prefix and noise_vocab_size = ", noise_vocab_size, "; need >= 2");
  check_total_size(num_examples, input_seq_len, t);
}

void MadFuzzyRecallConfig::validate() const {
  const char* t = "mad_fuzzy_in_context_recall";
  require_at_least(t, "num_examples", num_examples, 1);
  require_at_least(t, "k_motif_size", k_motif_size, 1);
  require_at_least(t, "v_motif_size", v_motif_size, 1);
  check_noise(t, noise_vocab_size, frac_noise);
  require(k_motif_size <= input_seq_len && v_motif_size <= input_seq_len &&
              input_seq_len > 2 * (k_motif_size + v_motif_size),
          t, ": input_seq_len = ", input_seq_len, " must exceed 2*(k_motif_size + v_motif_size) = 2*(", k_motif_size,
          " + ", v_motif_size, ")");
  const auto s = vocab_size - 1 - (multi_query ? 0 : 1) - noise_vocab_size;
  require(s >= 0 && s / 2 >= k_motif_size && s - s / 2 >= v_motif_size, t, ": vocab_size = ", vocab_size, " leaves ",
          s, " key/value tokens (after pad/copy and noise_vocab_size = ", noise_vocab_size,
          "): need k_motif_size = ", k_motif_size, " distinct keys and v_motif_size = ", v_motif_size,
          " distinct values");
  check_total_size(num_examples, input_seq_len, t);
}

MadRecallConfig mad_noisy_recall_baseline() {
  MadRecallConfig c;
  c.vocab_size = 32;
  c.noise_vocab_size = 16;
  c.frac_noise = 0.2;
  return c;
}

Examples mad_in_context_recall(const MadRecallConfig& c, std::uint32_t seed) {
  c.validate();
  const std::int64_t n = c.num_examples, N = c.input_seq_len, pairs = N / 2;
  const std::int64_t s = c.vocab_size - (c.multi_query ? 0 : 1) - c.noise_vocab_size, K = s / 2;
  LegacyRandomState rs(seed);
  Examples ex = blank_examples(n, c.multi_query ? N - 1 : N);
  std::vector<std::int64_t> value(static_cast<std::size_t>(K)), seen(static_cast<std::size_t>(K), -1), presented;
  std::vector<std::int64_t> full, tgt;
  for (std::int64_t r = 0; r < n; ++r) {
    full.clear();
    tgt.clear();
    presented.clear();
    const auto keep = rs.randint(0, pairs - 1);
    for (std::int64_t i = 0; i < pairs - 1; ++i) {
      if (c.frac_noise > 0 && i != keep && rs.random_sample() < c.frac_noise) {
        for (int k = 0; k < 2; ++k) {
          full.push_back(s + rs.randint(0, c.noise_vocab_size));
          tgt.push_back(kIgnoreIndex);
        }
        continue;
      }
      const auto k = rs.randint(0, K);
      auto& st = seen[static_cast<std::size_t>(k)];
      const bool repeated = st == r;
      if (!repeated) {
        st = r;
        value[static_cast<std::size_t>(k)] = rs.randint(K, s);
        presented.push_back(k);
      }
      const auto v = value[static_cast<std::size_t>(k)];
      full.insert(full.end(), {k, v});
      tgt.insert(tgt.end(), {kIgnoreIndex, repeated && c.multi_query ? v : kIgnoreIndex});
    }
    const auto k = presented[static_cast<std::size_t>(rs.randint(0, static_cast<std::int64_t>(presented.size())))];
    if (!c.multi_query) {
      full.push_back(c.vocab_size - 1);
      tgt.push_back(kIgnoreIndex);
    }
    full.insert(full.end(), {k, value[static_cast<std::size_t>(k)]});
    tgt.insert(tgt.end(), {kIgnoreIndex, value[static_cast<std::size_t>(k)]});
    emit(ex, r, full, tgt, c.test_targets);
  }
  ex.slices = {{"input_seq_len", std::to_string(N)}, {"vocab_size", std::to_string(c.vocab_size)}};
  return ex;
}

Examples mad_fuzzy_in_context_recall(const MadFuzzyRecallConfig& c, std::uint32_t seed) {
  c.validate();
  const std::int64_t n = c.num_examples, N = c.input_seq_len, km = c.k_motif_size, vm = c.v_motif_size;
  const std::int64_t s = c.vocab_size - 1 - (c.multi_query ? 0 : 1) - c.noise_vocab_size, K = s / 2;
  const std::int64_t pad = c.multi_query ? c.vocab_size - 1 : c.vocab_size - 2;
  const bool train = !c.test_targets;
  LegacyRandomState rs(seed);
  Examples ex = blank_examples(n, N);
  std::vector<std::int64_t> full, tgt;
  auto key_size = [&] { return train ? 1 + rs.randint(0, km) : km; };
  for (std::int64_t r = 0; r < n; ++r) {
    full.clear();
    tgt.clear();
    std::map<Motif, Motif> kv, presented;
    const auto kps = key_size(), vps = 1 + rs.randint(0, vm);
    const Motif kprobe = draw_motif(rs, 0, K, kps), vprobe = draw_motif(rs, K, s - K, vps);
    const auto probe_idx = rs.randint(0, N - 2 * (kps + vps));
    const auto end = N - (kps + vps) - (km + vm);
    bool probe_added = false;
    auto append = [&](const Motif& m, bool labelled) {
      for (auto t : m) {
        full.push_back(t);
        tgt.push_back(labelled ? t : kIgnoreIndex);
      }
    };
    while (static_cast<std::int64_t>(full.size()) < end) {
      const auto len = static_cast<std::int64_t>(full.size());
      const auto ks = key_size(), vs = 1 + rs.randint(0, vm);
      if (!probe_added && (len >= probe_idx || len + km + vm >= end)) {
        append(kprobe, false);
        append(vprobe, false);
        kv[kprobe] = vprobe;
        presented[kprobe] = vprobe;
        probe_added = true;
        continue;
      }
      if (c.frac_noise > 0 && rs.random_sample() < c.frac_noise) {
        for (std::int64_t i = 0; i < ks + vs; ++i) {
          full.push_back(s + rs.randint(0, c.noise_vocab_size));
          tgt.push_back(kIgnoreIndex);
        }
        continue;
      }
      const Motif k = draw_motif(rs, 0, K, ks);
      Motif v;
      if (k == kprobe) {
        v = vprobe;
        probe_added = true;
      } else if (const auto it = kv.find(k); it != kv.end()) {
        v = it->second;
      } else {
        v = kv[k] = draw_motif(rs, K, s - K, vs);
      }
      append(k, false);
      append(v, c.multi_query && presented.count(k) > 0);
      presented[k] = v;
    }
    if (!c.multi_query) append({c.vocab_size - 1}, false);
    append(kprobe, false);
    append(vprobe, true);
    const auto n_pad = N + 1 - static_cast<std::int64_t>(full.size());
    full.insert(full.begin(), static_cast<std::size_t>(n_pad), pad);
    tgt.insert(tgt.begin(), static_cast<std::size_t>(n_pad), kIgnoreIndex);
    emit(ex, r, full, tgt, c.test_targets);
  }
  ex.slices = {{"input_seq_len", std::to_string(N)}, {"vocab_size", std::to_string(c.vocab_size)}};
  return ex;
}

}  // namespace menagerie::synthetics
