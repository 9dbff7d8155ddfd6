// What is specific to the repeat_lookups mixer (Zoology §5's programmatic selection):
//   - the selection equals a naive scan (position t is selected iff some s < t has the same id, ignore_id never);
//   - y equals u bitwise at unselected rows and u + MHA(u) (the mha reference) bitwise at selected rows, in double;
//   - on MQAR sequences (synthetics::mqar, filler 0) with ignore_id = 0 the selected positions are exactly the
//     labelled ones (the queries); with no ignore_id the filler zeros after the first are selected too;
//   - the selection is causal in the ids: changing ids after t0 leaves y_{<=t0} bitwise unchanged, and changing
//     the id at t0 into a repeat changes y_t0 (the check is not vacuous);
//   - cost counts the sparse evaluation (a hand count on a 4-token sequence); param_count 4d^2 + 4d = the
//     parameter shapes' sum; state_size 2dT; validate names the bad value; the forward refuses a Problem without ids.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "reference/mha.hpp"
#include "reference/repeat_lookups.hpp"
#include "synthetics/mqar.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace mixers::repeat_lookups;

std::vector<std::uint8_t> naive_selection(const Problem& p) {
  std::vector<std::uint8_t> m;
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t) {
      const auto id = p.ids[static_cast<std::size_t>(b * p.T + t)];
      bool repeat = false;
      for (std::int64_t s = 0; s < t; ++s) repeat = repeat || p.ids[static_cast<std::size_t>(b * p.T + s)] == id;
      m.push_back(repeat && id != p.ignore_id ? 1 : 0);
    }
  return m;
}

Named<double> forward(const Problem& p, const Named<double>& in) {
  Named<double> out{{"y", Tensor<double>({p.B, p.T, p.d})}};
  reference_forward<double>(p, in, out);
  return out;
}

TEST(RepeatLookups, SelectionAndOutputEqualTheDefinition) {
  int selected = 0, unselected = 0;
  for (const auto& p : Contract::test_grid(true)) {
    const auto m = selection(p);
    EXPECT_EQ(m, naive_selection(p)) << "T = " << p.T << ", V = " << p.V;
    const auto in = random_inputs(tensors(p), test_seed());
    const auto y = forward(p, convert<double>(in)).at("y");
    Named<double> a{{"y", Tensor<double>({p.B, p.T, p.d})}};
    Named<double> attn_in = convert<double>(in);
    mixers::mha::reference_forward<double>(attention_problem(p), attn_in, a);
    const auto& u = attn_in.at("u");
    for (std::int64_t i = 0; i < p.B * p.T; ++i) {
      (m[static_cast<std::size_t>(i)] ? selected : unselected)++;
      for (std::int64_t e = 0; e < p.d; ++e) {
        const double want = u.data()[i * p.d + e] + (m[static_cast<std::size_t>(i)] ? a.at("y").data()[i * p.d + e] : 0.0);
        ASSERT_EQ(y.data()[i * p.d + e], m[static_cast<std::size_t>(i)] ? want : u.data()[i * p.d + e])
            << "row " << i << ", T = " << p.T << "; " << replay_line();
      }
    }
  }
  EXPECT_GT(selected, 10);
  EXPECT_GT(unselected, 10);
}

TEST(RepeatLookups, SelectsExactlyTheMqarQueriesWhenTheFillerIsIgnored) {
  synthetics::MqarConfig c;
  c.vocab_size = 64;
  c.num_examples = 50;
  c.input_seq_len = 32;
  c.num_kv_pairs = 4;
  c.random_non_queries = false;
  const auto ex = synthetics::mqar(c, static_cast<std::uint32_t>(test_seed()));
  const std::int64_t n = ex.count(), N = ex.seq_len();
  Problem p{.B = n, .T = N, .d = 4, .V = 64, .ignore_id = 0,
            .ids = std::vector<std::int64_t>(ex.inputs.data(), ex.inputs.data() + n * N)};
  const auto m = selection(p);
  std::int64_t queries = 0, zeros_after_first = 0;
  for (std::int64_t i = 0; i < n * N; ++i) {
    const bool labelled = ex.labels.data()[i] != synthetics::kIgnoreIndex;
    queries += labelled;
    EXPECT_EQ(m[static_cast<std::size_t>(i)] != 0, labelled) << "example " << i / N << ", position " << i % N;
  }
  EXPECT_EQ(queries, n * c.num_kv_pairs);
  p.ignore_id = -1;
  const auto all = selection(p);
  for (std::int64_t b = 0; b < n; ++b) {
    bool seen_zero = false;
    for (std::int64_t t = 0; t < N; ++t) {
      const auto i = static_cast<std::size_t>(b * N + t);
      const bool zero_repeat = ex.inputs.data()[i] == 0 && seen_zero;
      seen_zero = seen_zero || ex.inputs.data()[i] == 0;
      zeros_after_first += zero_repeat;
      EXPECT_EQ(all[i] != 0, m[i] != 0 || zero_repeat) << "example " << b << ", position " << t;
    }
  }
  EXPECT_GT(zeros_after_first, 0);
}

TEST(RepeatLookups, SelectionIsCausalInTheIds) {
  Problem p = with_pattern_ids({.B = 1, .T = 13, .d = 6, .heads = 2, .V = 9});
  const auto in = convert<double>(random_inputs(tensors(p), test_seed()));
  const auto y0 = forward(p, in).at("y");
  for (std::int64_t t0 = 0; t0 + 1 < p.T; ++t0) {
    Problem q = p;
    for (std::int64_t t = t0 + 1; t < p.T; ++t) q.ids[static_cast<std::size_t>(t)] = (q.ids[static_cast<std::size_t>(t)] + 1 + t) % p.V;
    const auto y = forward(q, in).at("y");
    for (std::int64_t i = 0; i < (t0 + 1) * p.d; ++i) ASSERT_EQ(y.data()[i], y0.data()[i]) << "t0 = " << t0;
  }
  Problem fresh = p;
  fresh.ids = {0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3};
  Problem repeat = fresh;
  repeat.ids[8] = 4;  // position 8 now repeats position 4
  const auto a = forward(fresh, in).at("y"), b = forward(repeat, in).at("y");
  double diff = 0;
  for (std::int64_t e = 0; e < p.d; ++e) diff += std::abs(a.data()[8 * p.d + e] - b.data()[8 * p.d + e]);
  EXPECT_GT(diff, 1e-6) << "making position 8 a repeat left its output unchanged";
}

TEST(RepeatLookups, CostParamsStateAndValidation) {
  const Problem p{.B = 1, .T = 4, .d = 2, .V = 3, .ids = {1, 2, 1, 1}};
  // 4 rows x 4 d^2 (keys, values) + t = 2: 4d^2 + 4d 3 + d + t = 3: 4d^2 + 4d 4 + d = 64 + 42 + 50.
  EXPECT_EQ(cost(p).flops, 156.0);
  for (const std::int64_t d : {1, 4, 7}) {
    const Problem q{.B = 1, .T = 5, .d = d, .V = 2};
    std::int64_t n = 0;
    for (const auto& s : tensors(q))
      if (s.role == Role::param) n += numel(s.shape);
    EXPECT_EQ(param_count(q), n);
    EXPECT_EQ(param_count(q), 4 * d * d + 4 * d);
    EXPECT_EQ(state_size(q), 2 * d * 5);
  }
  const auto message = [](const Problem& q) {
    try {
      q.validate_with_ids();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message({.B = 1, .T = 2, .d = 2, .V = 3, .ids = {0, 3}}).find("token id 3 at position 1"), std::string::npos);
  EXPECT_NE(message({.B = 1, .T = 2, .d = 2, .V = 3, .ids = {0}}).find("1 token ids given, expected B*T = 2"),
            std::string::npos);
  EXPECT_NE(message({.B = 1, .T = 2, .d = 2, .V = 3}).find("no token ids given"), std::string::npos);
  EXPECT_NE(message({.B = 1, .T = 2, .d = 2, .V = 3, .ignore_id = -2, .ids = {0, 1}}).find("ignore_id = -2"),
            std::string::npos);
}

}  // namespace
}  // namespace menagerie::test
