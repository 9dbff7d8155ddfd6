// The MQAR window oracle (synthetics/window_oracle.hpp) and the sweep's oracle rows (train/sweep_oracle.hpp).
//   Hand examples: c = 16 (keys 1..7, h = 8 values 8..15), D = 2, N = 12, one pass and two passes; every expected
//   score is worked out below from the window [t - reach, t] and the three cases (1: pair seen; 2: the window starts
//   on a value whose key is cut off: answer it; 3: guess among the 8 - s values not seen).
//   Brute force: on examples from the real generator (c = 16, N = 12, D = 2, power_a = 1, so the gaps are a uniform
//   ordered pair of the 4 slots), every outcome of the generator (7*6 keys x 8*7 values x 4*3 gaps, equally likely;
//   with random_non_queries each filler position weighs 1/16 per token) consistent with the window is enumerated,
//   giving the Bayes posterior of the label at t. The oracle equals its maximum (cases 1, 3), and in case 2 the
//   posterior's unique argmax is the cut-off value the oracle answers.
//   Config: train/configs/based-fig2-gpu.json parses into the Based Fig. 2 grid with zoology's state sizes, and its
//   SWA oracle is monotone in the window and 1 once the reach covers the longest sequence.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "synthetics/mqar.hpp"
#include "synthetics/window_oracle.hpp"
#include "train/sweep.hpp"
#include "train/sweep_oracle.hpp"
#include "verify/support/env.hpp"

namespace menagerie::test {
namespace {

using synthetics::Examples;
using synthetics::kIgnoreIndex;

synthetics::Segment hand_segment(std::int64_t passes, const std::vector<std::int64_t>& row,
                                 const std::map<std::int64_t, std::int64_t>& labels) {
  synthetics::Segment s;
  s.spec = {"mqar", {{"vocab_size", "16"}, {"input_seq_len", "12"}, {"num_kv_pairs", "2"},
                     {"num_passes", std::to_string(passes)}}, 1};
  s.examples = synthetics::blank_examples(1, 12);
  std::copy(row.begin(), row.end(), s.examples.inputs.data());
  for (const auto& [t, v] : labels) s.examples.labels.data()[t] = v;
  return s;
}

// keys 3, 5; values 9, 12; queries: t = 6 asks key 5 (pair 1, key at 2), t = 8 asks key 3 (pair 0, key at 0).
TEST(WindowOracle, OnePassByHand) {
  const auto seg = hand_segment(1, {3, 9, 5, 12, 0, 0, 5, 0, 3, 0, 0, 0}, {{6, 12}, {8, 9}});
  const synthetics::MqarWindowOracle oracle({seg});
  // reach 8: both windows start at 0: both pairs seen.
  EXPECT_DOUBLE_EQ(oracle.accuracy(8), 1.0);
  // reach 6: t = 6 sees 0..6 (1); t = 8 sees 2..8: pair 1 only, guess among 8 - 1 values (1/7).
  EXPECT_DOUBLE_EQ(oracle.accuracy(6), (1.0 + 1.0 / 7) / 2);
  // reach 5: t = 6 sees 1..6, pair 1's key at 2 (1); t = 8 sees 3..8, starting on value 12 of pair 1, answered: 0.
  EXPECT_DOUBLE_EQ(oracle.accuracy(5), 0.5);
  // reach 4: t = 6 sees 2..6 (1); t = 8 sees 4..8, no pair: 1/8.
  EXPECT_DOUBLE_EQ(oracle.accuracy(4), (1.0 + 1.0 / 8) / 2);
  // reach 3: t = 6 sees 3..6, starting on value 12, which is its answer (1); t = 8 sees 5..8: 1/8.
  EXPECT_DOUBLE_EQ(oracle.accuracy(3), (1.0 + 1.0 / 8) / 2);
  // reach 2 and 0: no context in either window: 1/8 each.
  EXPECT_DOUBLE_EQ(oracle.accuracy(2), 1.0 / 8);
  EXPECT_DOUBLE_EQ(oracle.accuracy(0), 1.0 / 8);
  const auto* row = seg.examples.inputs.data();
  EXPECT_DOUBLE_EQ(synthetics::mqar_window_query(row, 12, 8, 9, 2, 1, 16, 6), 1.0 / 7);
  EXPECT_DOUBLE_EQ(synthetics::mqar_window_query(row, 12, 6, 12, 2, 1, 16, 3), 1.0);
}

// Two passes (C = 8, last pass at 4..7): t = 8 asks key 5 (pair 1, last-pass key at 6), t = 10 key 3 (key at 4).
TEST(WindowOracle, TwoPassesByHand) {
  const auto seg = hand_segment(2, {3, 9, 5, 12, 3, 9, 5, 12, 5, 0, 3, 0}, {{8, 12}, {10, 9}});
  const synthetics::MqarWindowOracle oracle({seg});
  // reach 5: t = 8 sees 3..8 (pair 1 at 6, 7); t = 10 sees 5..10, starting on value 9 of pair 0: its answer.
  EXPECT_DOUBLE_EQ(oracle.accuracy(5), 1.0);
  // reach 4: t = 8 sees 4..8 (1); t = 10 sees 6..10: pair 1 only: 1/7.
  EXPECT_DOUBLE_EQ(oracle.accuracy(4), (1.0 + 1.0 / 7) / 2);
  // reach 3: t = 8 sees 5..8 (1); t = 10 sees 7..10, starting on value 12 (pair 1), answered: 0.
  EXPECT_DOUBLE_EQ(oracle.accuracy(3), 0.5);
  // reach 1: t = 8 sees 7..8, value 12 (its answer: 1); t = 10 sees 9..10: 1/8.
  EXPECT_DOUBLE_EQ(oracle.accuracy(1), (1.0 + 1.0 / 8) / 2);
}

TEST(WindowOracle, BadInputs) {
  const auto seg = hand_segment(1, {3, 9, 5, 12, 0, 0, 5, 0, 3, 0, 0, 0}, {{6, 12}, {8, 9}});
  const auto* row = seg.examples.inputs.data();
  EXPECT_THROW(synthetics::mqar_window_query(row, 12, 8, 9, 2, 1, 16, -1), InputError);
  EXPECT_THROW(synthetics::mqar_window_query(row, 12, 8, 12, 2, 1, 16, 4), InputError);  // label of another key
  EXPECT_THROW(synthetics::mqar_window_query(row, 12, 8, 10, 2, 1, 16, 4), InputError);  // not a context value
  EXPECT_THROW(synthetics::mqar_window_query(row, 12, 2, 5, 2, 1, 16, 4), InputError);   // not in the query region
  EXPECT_THROW(synthetics::MqarWindowOracle({seg}).accuracy(-1), InputError);
}

// The Bayes posterior of the label at t given inputs [a, t] of `row`, by enumerating the generator's outcomes.
std::map<std::int64_t, double> posterior(const std::int64_t* row, std::int64_t t, std::int64_t a, bool random_fill) {
  const std::int64_t c = 16, N = 12, D = 2, space = 4;
  std::map<std::int64_t, double> post;
  for (std::int64_t k0 = 1; k0 < 8; ++k0)
    for (std::int64_t k1 = 1; k1 < 8; ++k1)
      for (std::int64_t v0 = 8; v0 < 16; ++v0)
        for (std::int64_t v1 = 8; v1 < 16; ++v1)
          for (std::int64_t g0 = 0; g0 < space; ++g0)
            for (std::int64_t g1 = 0; g1 < space; ++g1) {
              if (k0 == k1 || v0 == v1 || g0 == g1) continue;
              std::vector<std::int64_t> seq(N, -1);  // -1: filler
              seq[0] = k0, seq[1] = v0, seq[2] = k1, seq[3] = v1;
              seq[2 * D + 2 * g0] = k0;
              seq[2 * D + 2 * g1] = k1;
              std::int64_t label = -1;
              if (2 * D + 2 * g0 == t) label = v0;
              if (2 * D + 2 * g1 == t) label = v1;
              if (label < 0) continue;  // t is not a query in this outcome
              double w = 1;
              for (std::int64_t p = a; p <= t && w > 0; ++p) {
                if (seq[p] >= 0)
                  w *= seq[p] == row[p] ? 1.0 : 0.0;
                else
                  w *= random_fill ? 1.0 / c : (row[p] == 0 ? 1.0 : 0.0);
              }
              if (w > 0) post[label] += w;
            }
  double total = 0;
  for (const auto& [v, w] : post) total += w;
  for (auto& [v, w] : post) w /= total;
  return post;
}

TEST(WindowOracle, BayesPosteriorByEnumeration) {
  int orphan_cases = 0, guess_cases = 0, seen_cases = 0;
  for (const bool random_fill : {false, true}) {
    synthetics::MqarConfig cfg;
    cfg.vocab_size = 16, cfg.input_seq_len = 12, cfg.num_kv_pairs = 2, cfg.power_a = 1.0;
    cfg.random_non_queries = random_fill, cfg.num_examples = 10;
    const Examples ex = synthetics::mqar(cfg, 20261206);
    for (std::int64_t i = 0; i < ex.count(); ++i) {
      const std::int64_t* row = ex.inputs.data() + i * 12;
      const std::int64_t* lab = ex.labels.data() + i * 12;
      for (std::int64_t t = 4; t < 12; ++t) {
        if (lab[t] == kIgnoreIndex) continue;
        for (std::int64_t reach = 0; reach <= 12; ++reach) {
          const std::int64_t a = std::max<std::int64_t>(0, t - reach);
          const auto post = posterior(row, t, a, random_fill);
          double best = 0;
          for (const auto& [v, p] : post) best = std::max(best, p);
          const double got = synthetics::mqar_window_query(row, 12, t, lab[t], 2, 1, 16, reach);
          const std::int64_t key_pos = row[0] == row[t] ? 0 : 2;  // the query's pair in the context
          const bool orphan = key_pos < a && a % 2 == 1 && a < 4;
          SCOPED_TRACE(cat("example ", i, " t ", t, " reach ", reach, " random_fill ", random_fill));
          if (orphan) {
            ++orphan_cases;
            for (const auto& [v, p] : post)
              if (v != row[a]) {
                EXPECT_LT(p, post.at(row[a]));  // the cut-off value is the unique argmax
              }
            EXPECT_EQ(got, lab[t] == row[a] ? 1.0 : 0.0);
          } else {
            best == 1.0 ? ++seen_cases : ++guess_cases;
            EXPECT_NEAR(got, best, 1e-12);
          }
        }
      }
    }
  }
  EXPECT_GT(orphan_cases, 0);
  EXPECT_GT(guess_cases, 0);
  EXPECT_GT(seen_cases, 0);
}

TEST(WindowOracle, BasedFig2Config) {
  const auto sweep = train::read_sweep(std::string(MENAGERIE_SOURCE_DIR) + "/train/configs/based-fig2-gpu.json");
  // based 3 f x 3 d, swa 8 windows x d 128, mamba 3 d_state x 3 d, hyena 3 d, h3 3 d, attention 2 d; x 4 lr.
  EXPECT_EQ(sweep.points.size(), (9u + 8 + 9 + 3 + 3 + 2) * 4);
  std::set<double> lrs;
  for (const auto& p : sweep.points) {
    lrs.insert(p.lr);
    EXPECT_EQ(p.config.epochs, 32);
    EXPECT_EQ(p.config.batch_size, 256);
    EXPECT_EQ(p.config.data.test.size(), 7u);
    EXPECT_EQ(p.config.data.train.size(), 5u);
    EXPECT_EQ(p.config.backend, "gpu");
    const auto bytes = model::state_size(p.config.model, 1024);
    ASSERT_TRUE(bytes.has_value()) << p.id;
    const std::int64_t d = p.d_model;
    if (p.mixer.rfind("swa-w", 0) == 0) {
      const std::int64_t w = std::stoll(p.mixer.substr(5));
      EXPECT_EQ(*bytes, 4 * (3 * d + 2 * w * d)) << p.id;  // short conv d K, SWA 2 w d
      EXPECT_EQ(train::model_reach(p.config.model), w + 2) << p.id;
    }
    if (p.mixer.rfind("based-f", 0) == 0) {
      const std::int64_t f = std::stoll(p.mixer.substr(7)), Dt = f * (f + 1) / 2 + f + 1;
      EXPECT_EQ(*bytes, 4 * (3 * d + d * Dt + Dt)) << p.id;  // docs/mixers.md §2.2's worked example
    }
    if (p.mixer == "attention") {
      EXPECT_EQ(*bytes, 4 * (3 * d + 2 * d * 1024)) << p.id;
    }
  }
  EXPECT_EQ(lrs, (std::set<double>{1e-3, std::pow(10, -2.5), 1e-2, std::pow(10, -1.5)}));
}

TEST(WindowOracle, SweepRowsOnATinyMix) {
  // Two test segments, (N, D) = (16, 2) and (32, 4), c = 64; a 2-layer Hybrid(BaseConv k3, SWA) at windows 2 and 40.
  const json mqar16 = {{"vocab_size", 64}, {"input_seq_len", 16}, {"num_kv_pairs", 2}};
  const json mqar32 = {{"vocab_size", 64}, {"input_seq_len", 32}, {"num_kv_pairs", 4}};
  const json conv = {{"id", "base_conv"}, {"conv", "short"}, {"kernel_size", 3}};
  const json sweep_json = {
      {"name", "oracle-test"},
      {"base",
       {{"model", {{"vocab_size", 64}, {"n_layers", 2}}},
        {"data",
         {{"seed", 5},
          {"train", {{{"task", "mqar"}, {"count", 8}, {"params", mqar16}}}},
          {"test", {{{"task", "mqar"}, {"count", 50}, {"params", mqar16}},
                    {{"task", "mqar"}, {"count", 50}, {"params", mqar32}}}}}}}},
      {"grid",
       {{"mixers",
         {{{"name", "swa-w2"}, {"model", {{"mixers", {conv, {{"id", "sliding_attn"}, {"window", 2}}}}, {"hybrid", true}}}},
          {{"name", "swa-w40"}, {"model", {{"mixers", {conv, {{"id", "sliding_attn"}, {"window", 40}}}}, {"hybrid", true}}}},
          {{"name", "mha"}, {"model", {{"mixers", {{{"id", "mha"}}}}}}}}},
        {"d_model", {8}},
        {"lr", {1e-3}}}}};
  const auto sweep = train::parse_sweep(sweep_json, "test");
  const auto rows = train::window_oracle_rows(sweep);
  int points = 0;
  double last = -1;
  for (const auto& r : rows) {
    EXPECT_NE(r.mixer, "mha");
    EXPECT_EQ(r.reach, r.window + 2);
    EXPECT_EQ(r.state_bytes, 4 * (3 * 8 + 2 * r.window * 8));
    if (r.kind == "point") {
      ++points;
      if (r.window == 40) {
        EXPECT_DOUBLE_EQ(r.accuracy, 1.0);  // reach 42 covers every sequence
      }
    } else {
      EXPECT_GE(r.accuracy, last);  // the line is non-decreasing in the window
      last = r.accuracy;
    }
  }
  EXPECT_EQ(points, 2);
  ASSERT_FALSE(rows.empty());
  EXPECT_DOUBLE_EQ(rows.back().accuracy, 1.0);  // the line ends at w = 32 = the longest sequence: reach 34
}

}  // namespace
}  // namespace menagerie::test
