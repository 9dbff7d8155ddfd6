// The MQAR window oracle (the derivation is in window_oracle.hpp).
#include "synthetics/window_oracle.hpp"

#include <algorithm>
#include <string>

#include "synthetics/mqar.hpp"
#include "synthetics/tasks.hpp"

namespace menagerie::synthetics {

namespace {

// The score of the query at t whose pair's key sits at key_pos (last pass), window start a = max(0, t - reach).
double score(std::int64_t t, std::int64_t key_pos, std::int64_t D, std::int64_t P, std::int64_t values,
             std::int64_t reach) {
  const std::int64_t a = std::max<std::int64_t>(0, t - reach), C = 2 * D * P, L = 2 * D * (P - 1);
  if (key_pos >= a) return 1.0;                                           // case 1: the pair is in the window
  if (a % 2 == 1 && a < C) return key_pos == a - 1 ? 1.0 : 0.0;           // case 2: answer the cut-off pair's value
  const std::int64_t visible = a <= L ? D : std::max<std::int64_t>(0, D - (a - L + 1) / 2);  // #{i: L + 2i >= a}
  return 1.0 / static_cast<double>(values - visible);                     // case 3: the best guess
}

std::int64_t key_position(const std::int64_t* row, std::int64_t N, std::int64_t t, std::int64_t label,
                          std::int64_t D, std::int64_t P) {
  const std::int64_t C = 2 * D * P, L = 2 * D * (P - 1);
  require<InputError>(C <= t && t < N, "window oracle: query position ", t, " is not in the query region [", C, ", ",
                      N, ") of num_kv_pairs = ", D, ", num_passes = ", P);
  for (std::int64_t q = L + 1; q < C; q += 2)
    if (row[q] == label) {
      require<InputError>(row[q - 1] == row[t], "window oracle: the query at ", t, " holds key ", row[t],
                          " but its label's pair has key ", row[q - 1]);
      return q - 1;
    }
  throw InputError(cat("window oracle: label ", label, " at position ", t, " is not a value of the context"));
}

}  // namespace

double mqar_window_query(const std::int64_t* row, std::int64_t N, std::int64_t t, std::int64_t label,
                         std::int64_t num_kv_pairs, std::int64_t num_passes, std::int64_t vocab_size,
                         std::int64_t reach) {
  require<InputError>(reach >= 0, "window oracle: reach = ", reach, " must be >= 0");
  require<InputError>(num_kv_pairs >= 1 && num_passes >= 1 && vocab_size >= 2, "window oracle: num_kv_pairs = ",
                      num_kv_pairs, ", num_passes = ", num_passes, ", vocab_size = ", vocab_size,
                      "; expected >= 1, >= 1, >= 2");
  const std::int64_t key_pos = key_position(row, N, t, label, num_kv_pairs, num_passes);
  return score(t, key_pos, num_kv_pairs, num_passes, vocab_size - vocab_size / 2, reach);
}

MqarWindowOracle::MqarWindowOracle(const std::vector<Segment>& segments) {
  for (const auto& s : segments) {
    require<InputError>(s.spec.task == "mqar", "window oracle: segment task '", s.spec.task,
                        "' is not mqar (the oracle follows MQAR's layout)");
    MqarConfig c;
    for (const auto& [name, text] : s.spec.params) set_param(c, "mqar", name, text);
    const auto& ex = s.examples;
    const std::int64_t N = ex.seq_len();
    for (std::int64_t i = 0; i < ex.count(); ++i) {
      const std::int64_t* row = ex.inputs.data() + i * N;
      const std::int64_t* lab = ex.labels.data() + i * N;
      const auto first = static_cast<std::int64_t>(queries_.size());
      for (std::int64_t t = 0; t < N; ++t)
        if (lab[t] != kIgnoreIndex)
          queries_.push_back({t, key_position(row, N, t, lab[t], c.num_kv_pairs, c.num_passes)});
      const auto count = static_cast<std::int64_t>(queries_.size()) - first;
      if (count > 0)
        examples_.push_back(
            {c.num_kv_pairs, c.num_passes, c.vocab_size - c.vocab_size / 2, first, count});
    }
  }
  require<InputError>(!examples_.empty(), "window oracle: no example with a labelled position");
}

double MqarWindowOracle::accuracy(std::int64_t reach) const {
  require<InputError>(reach >= 0, "window oracle: reach = ", reach, " must be >= 0");
  double total = 0;
  for (const auto& e : examples_) {
    double sum = 0;
    for (std::int64_t q = e.first; q < e.first + e.count; ++q)
      sum += score(queries_[q].t, queries_[q].key_pos, e.D, e.P, e.values, reach);
    total += sum / static_cast<double>(e.count);
  }
  return total / static_cast<double>(examples_.size());
}

std::vector<Segment> build_test_segments(const DatasetSpec& spec) {
  const auto seeds = segment_seeds(spec.seed, spec.train.size(), spec.test.size());
  std::vector<Segment> out;
  for (std::size_t i = 0; i < spec.test.size(); ++i)
    out.push_back({spec.test[i], seeds.test[i], generate_segment(spec.test[i], seeds.test[i])});
  return out;
}

}  // namespace menagerie::synthetics
