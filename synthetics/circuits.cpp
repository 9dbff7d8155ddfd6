// Circuit tasks (see circuits.hpp).
#include "synthetics/circuits.hpp"

#include <algorithm>
#include <vector>

#include "synthetics/numpy_random.hpp"

namespace menagerie::synthetics {

namespace {
const char* circuit_name(Circuit k) {
  switch (k) {
    case Circuit::parity: return "parity";
    case Circuit::majority: return "majority";
    case Circuit::cumulative_parity: return "cumulative_parity";
    case Circuit::cumulative_majority: return "cumulative_majority";
  }
  return "circuit";
}
}  // namespace

void CircuitConfig::validate(const char* task) const {
  require_at_least(task, "num_examples", num_examples, 1);
  require_at_least(task, "input_seq_len", input_seq_len, 2);
  check_total_size(num_examples, input_seq_len, task);
}

void VocabMajorityConfig::validate() const {
  const char* t = "vocab_majority";
  require_at_least(t, "num_examples", num_examples, 1);
  require_at_least(t, "input_seq_len", input_seq_len, 2);
  require_at_least(t, "vocab_size", vocab_size, 2);
  check_total_size(num_examples, input_seq_len, t);
}

Examples circuit(Circuit kind, const CircuitConfig& c, std::uint32_t seed) {
  c.validate(circuit_name(kind));
  const std::int64_t n = c.num_examples, N = c.input_seq_len;
  LegacyRandomState rs(seed);
  Examples ex = blank_examples(n, N);
  const bool cumulative = kind == Circuit::cumulative_parity || kind == Circuit::cumulative_majority;
  const std::int64_t bits = cumulative ? N : N - 1;
  for (std::int64_t r = 0; r < n; ++r) {
    std::int64_t* in = ex.inputs.data() + r * N;
    std::int64_t* lab = ex.labels.data() + r * N;
    std::int64_t ones = 0, balance = 0;
    for (std::int64_t t = 0; t < bits; ++t) {
      const auto b = static_cast<std::int64_t>(rs.next_uint32() & 1u);  // randint(0, 2)
      in[t] = b;
      ones += b;
      balance += 2 * b - 1;
      if (kind == Circuit::cumulative_parity) lab[t] = ones % 2;
      if (kind == Circuit::cumulative_majority) lab[t] = balance >= 0 ? 1 : 0;
    }
    if (!cumulative) {
      in[N - 1] = 2;
      lab[N - 1] = kind == Circuit::parity ? ones % 2 : (2 * ones > N - 1 ? 1 : 0);
    }
  }
  ex.slices = {{"input_seq_len", std::to_string(N)}};
  return ex;
}

Examples vocab_majority(const VocabMajorityConfig& c, std::uint32_t seed) {
  c.validate();
  const std::int64_t n = c.num_examples, N = c.input_seq_len;
  LegacyRandomState rs(seed);
  Examples ex = blank_examples(n, N);
  std::vector<std::int64_t> count(static_cast<std::size_t>(c.vocab_size));
  for (std::int64_t r = 0; r < n; ++r) {
    std::int64_t* in = ex.inputs.data() + r * N;
    std::fill(count.begin(), count.end(), 0);
    for (std::int64_t t = 0; t < N - 1; ++t) ++count[static_cast<std::size_t>(in[t] = rs.randint(1, c.vocab_size))];
    const auto max_count = *std::max_element(count.begin(), count.end());
    std::int64_t most = 0, tied = 0;
    for (std::int64_t v = c.vocab_size - 1; v >= 1; --v)
      if (count[static_cast<std::size_t>(v)] == max_count) most = v, ++tied;
    if (tied > 1) {
      const auto other = std::find_if(in, in + N - 1, [&](std::int64_t v) { return v != most; });
      *other = most;  // `other` is the first occurrence of the first token, in order of appearance, that is not `most`
    }
    in[N - 1] = 0;
    ex.labels(r, N - 1) = most;
  }
  ex.slices = {{"vocab_size", std::to_string(c.vocab_size)}};
  return ex;
}

}  // namespace menagerie::synthetics
