// The Zoology and JRT siblings of MQAR (compositional, forgetting and continuous MQAR, the circuits, ICLR-era
// associative recall and base_ar, set disjointness, mini MQAR): each one's layout invariants on every generated
// example, its fixes to the public code, and its assertions as one-line InputErrors.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "synthetics/tasks.hpp"
#include "verify/fixtures/synthetics/test_util.hpp"
#include "verify/support/env.hpp"

namespace menagerie::synthetics {
namespace {

std::uint32_t seed32() { return static_cast<std::uint32_t>(test::test_seed()); }
std::int64_t scale(std::int64_t smoke) { return test::tier() == test::Tier::full ? 10 * smoke : smoke; }
const std::int64_t* row(const Tensor<std::int64_t>& t, std::int64_t r) { return t.data() + r * t.size(1); }

template <class F>
void expect_input_error(F&& f, const std::string& phrase) {
  try {
    f();
    ADD_FAILURE() << "no InputError mentioning '" << phrase << "'";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(phrase), std::string::npos) << "'" << msg << "' lacks '" << phrase << "'";
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(SyntheticsSiblings, CompositionalMqarInvariants) {
  for (std::int64_t D : {1, 4, 9, 16}) {
    CompositionalMqarConfig c;
    c.num_kv_pairs = D;
    c.input_seq_len = 6 * D + 10 + 2 * (D % 2);
    c.vocab_size = D == 1 ? 30 : 8192;
    c.num_examples = scale(200);
    c.random_non_queries = D % 2 == 1;
    SCOPED_TRACE(testing::Message() << "D=" << D);
    const auto ex = compositional_mqar(c, seed32());
    const std::int64_t g = D == 1 ? 1 : (D == 4 ? 2 : (D == 9 ? 3 : 4)), t = c.vocab_size / 3, N = c.input_seq_len;
    for (std::int64_t r = 0; r < ex.count() && !HasFailure(); ++r) {
      const auto* in = row(ex.inputs, r);
      const auto* lab = row(ex.labels, r);
      std::set<std::int64_t> k1, k2, vals;
      std::set<std::pair<std::int64_t, std::int64_t>> pairs;
      std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> value_of;
      for (std::int64_t j = 0; j < D; ++j) {
        ASSERT_TRUE(in[3 * j] >= 1 && in[3 * j] < t && in[3 * j + 1] >= t && in[3 * j + 1] < 2 * t &&
                    in[3 * j + 2] >= 2 * t && in[3 * j + 2] < c.vocab_size);
        k1.insert(in[3 * j]);
        k2.insert(in[3 * j + 1]);
        vals.insert(in[3 * j + 2]);
        pairs.insert({in[3 * j], in[3 * j + 1]});
        value_of[{in[3 * j], in[3 * j + 1]}] = in[3 * j + 2];
      }
      EXPECT_EQ(k1.size(), static_cast<std::size_t>(g));  // a full g x g grid of distinct compound keys
      EXPECT_EQ(k2.size(), static_cast<std::size_t>(g));
      EXPECT_EQ(pairs.size(), static_cast<std::size_t>(D));
      EXPECT_EQ(vals.size(), static_cast<std::size_t>(D));
      std::set<std::pair<std::int64_t, std::int64_t>> queried;
      for (std::int64_t p = 0; p < N; ++p) {
        if (lab[p] == kIgnoreIndex) continue;
        ASSERT_TRUE(p >= 3 * D + 1 && (p - 3 * D - 1) % 3 == 0) << "label at " << p;
        const std::pair<std::int64_t, std::int64_t> key{in[p - 1], in[p]};
        ASSERT_EQ(value_of.count(key), 1u) << "query at " << p << " is not a context pair";
        EXPECT_EQ(lab[p], value_of[key]);
        EXPECT_TRUE(queried.insert(key).second);
      }
      EXPECT_EQ(queried.size(), static_cast<std::size_t>(D));
    }
  }
  expect_input_error([] { CompositionalMqarConfig c; c.num_kv_pairs = 8; compositional_mqar(c, 0); },
                     "num_kv_pairs = 8 must be a perfect square");
  expect_input_error([] { CompositionalMqarConfig c; c.num_kv_pairs = 16; compositional_mqar(c, 0); },
                     "6*num_kv_pairs = 6*16");
}

TEST(SyntheticsSiblings, ForgettingMqarInvariants) {
  for (std::int64_t U : {0, 1, 4, 8}) {
    ForgettingMqarConfig c;
    c.num_kv_pairs = 8;
    c.num_updates = U;
    c.num_examples = scale(300);
    c.vocab_size = 100;
    c.random_non_queries = U % 2 == 0;
    SCOPED_TRACE(testing::Message() << "U=" << U);
    const auto ex = forgetting_mqar(c, seed32());
    const std::int64_t D = 8, C = 2 * (D + U), half = 50;
    for (std::int64_t r = 0; r < ex.count() && !HasFailure(); ++r) {
      const auto* in = row(ex.inputs, r);
      const auto* lab = row(ex.labels, r);
      std::map<std::int64_t, std::int64_t> latest;
      std::set<std::int64_t> all_values;
      for (std::int64_t j = 0; j < D; ++j) {
        ASSERT_TRUE(in[2 * j] >= 1 && in[2 * j] < half && in[2 * j + 1] >= half && in[2 * j + 1] < 100);
        EXPECT_TRUE(latest.emplace(in[2 * j], in[2 * j + 1]).second) << "repeated key";
        all_values.insert(in[2 * j + 1]);
      }
      std::set<std::int64_t> updated;
      for (std::int64_t j = D; j < D + U; ++j) {
        ASSERT_EQ(latest.count(in[2 * j]), 1u) << "update of an unknown key";
        EXPECT_TRUE(updated.insert(in[2 * j]).second) << "key updated twice";
        EXPECT_TRUE(all_values.insert(in[2 * j + 1]).second) << "new value equals another value";  // the fix
        latest[in[2 * j]] = in[2 * j + 1];
      }
      std::int64_t labelled = 0;
      for (std::int64_t p = 0; p < 64; ++p) {
        if (lab[p] == kIgnoreIndex) continue;
        ++labelled;
        ASSERT_TRUE(p >= C && (p - C) % 2 == 0);
        ASSERT_EQ(latest.count(in[p]), 1u);
        EXPECT_EQ(lab[p], latest[in[p]]);
      }
      EXPECT_EQ(labelled, D);
    }
  }
  expect_input_error([] { ForgettingMqarConfig c; c.num_updates = 9; forgetting_mqar(c, 0); },
                     "num_updates = 9 must be <= num_kv_pairs = 8");
  expect_input_error([] { ForgettingMqarConfig c; c.input_seq_len = 32; forgetting_mqar(c, 0); },
                     "must be <= input_seq_len = 32");
}

TEST(SyntheticsSiblings, ContinuousMqarLayout) {
  for (bool per_sequence : {true, false}) {
    ContinuousMqarConfig c;
    c.vocab_size = 64;
    c.num_kv_pairs = 6;
    c.num_passes = 3;
    c.num_examples = scale(300);
    c.per_sequence_mapping = per_sequence;
    const auto ex = continuous_mqar(c, seed32());
    const std::int64_t D = 6, P = 3, R = (P + 1) * D, K = 32;
    ASSERT_EQ(ex.key_ids.shape(), (Shape{c.num_examples, R}));
    ASSERT_EQ(ex.labels.shape(), (Shape{c.num_examples, D}));
    std::map<std::int64_t, std::int64_t> global;
    bool some_differs = false;
    for (std::int64_t r = 0; r < c.num_examples && !HasFailure(); ++r) {
      std::map<std::int64_t, std::int64_t> value_of;
      for (std::int64_t pass = 0; pass < P; ++pass) {
        std::set<std::int64_t> seen;
        for (std::int64_t i = pass * D; i < (pass + 1) * D; ++i) {
          const auto k = ex.key_ids(r, i), v = ex.value_ids(r, i);
          ASSERT_TRUE(k >= 0 && k < K && v >= 0 && v < K);
          EXPECT_TRUE(seen.insert(k).second) << "key twice in one pass";
          EXPECT_TRUE(value_of.emplace(k, v).first->second == v) << "key with two values";
        }
      }
      EXPECT_EQ(value_of.size(), static_cast<std::size_t>(D));
      std::set<std::int64_t> values;
      for (const auto& kv : value_of) values.insert(kv.second);
      EXPECT_EQ(values.size(), static_cast<std::size_t>(D)) << "values repeat";
      std::set<std::int64_t> queried;
      for (std::int64_t q = 0; q < D; ++q) {
        const auto k = ex.key_ids(r, P * D + q);
        EXPECT_EQ(ex.value_ids(r, P * D + q), -1);
        ASSERT_EQ(value_of.count(k), 1u);
        EXPECT_EQ(ex.labels(r, q), value_of[k]);
        EXPECT_TRUE(queried.insert(k).second);
        if (per_sequence) {
          some_differs |= global.count(k) && global[k] != value_of[k];
          global[k] = value_of[k];
        } else {
          EXPECT_TRUE(global.emplace(k, value_of[k]).first->second == value_of[k]) << "fixed map changed";
        }
      }
      // the pass orders are fresh permutations: not all passes list the keys in the same order
    }
    if (per_sequence) {
      EXPECT_TRUE(some_differs) << "per-sequence mapping never re-bound a key";
    }
  }
}

TEST(SyntheticsSiblings, CircuitInvariants) {
  CircuitConfig c;
  c.num_examples = scale(200);
  c.input_seq_len = 17;
  for (auto kind : {Circuit::parity, Circuit::majority, Circuit::cumulative_parity, Circuit::cumulative_majority}) {
    const auto ex = circuit(kind, c, seed32());
    const bool cumulative = kind == Circuit::cumulative_parity || kind == Circuit::cumulative_majority;
    for (std::int64_t r = 0; r < ex.count() && !HasFailure(); ++r) {
      std::int64_t ones = 0, balance = 0;
      const std::int64_t bits = cumulative ? 17 : 16;
      for (std::int64_t t = 0; t < bits; ++t) {
        const auto b = ex.inputs(r, t);
        ASSERT_TRUE(b == 0 || b == 1);
        ones += b;
        balance += 2 * b - 1;
        if (kind == Circuit::cumulative_parity) {
          EXPECT_EQ(ex.labels(r, t), ones % 2);
        }
        if (kind == Circuit::cumulative_majority) {
          EXPECT_EQ(ex.labels(r, t), balance >= 0 ? 1 : 0);
        }
        if (!cumulative) {
          EXPECT_EQ(ex.labels(r, t), kIgnoreIndex);
        }
      }
      if (!cumulative) {
        EXPECT_EQ(ex.inputs(r, 16), 2);
        EXPECT_EQ(ex.labels(r, 16), kind == Circuit::parity ? ones % 2 : (2 * ones > 16 ? 1 : 0));
      }
    }
  }
  VocabMajorityConfig v;
  v.vocab_size = 4;
  v.num_examples = scale(300);
  v.input_seq_len = 9;
  const auto ex = vocab_majority(v, seed32());
  for (std::int64_t r = 0; r < ex.count(); ++r) {
    std::map<std::int64_t, std::int64_t> count;
    for (std::int64_t t = 0; t < 8; ++t) {
      ASSERT_TRUE(ex.inputs(r, t) >= 1 && ex.inputs(r, t) < 4);
      ++count[ex.inputs(r, t)];
      EXPECT_EQ(ex.labels(r, t), kIgnoreIndex);
    }
    EXPECT_EQ(ex.inputs(r, 8), 0);
    const auto most = ex.labels(r, 8);
    for (const auto& [tok, k] : count)
      if (tok != most) {
        EXPECT_LT(k, count[most]) << "the majority token is not strict";
      }
  }
  expect_input_error([] { CircuitConfig bad; bad.input_seq_len = 1; circuit(Circuit::parity, bad, 0); },
                     "parity: input_seq_len = 1 must be >= 2");
}

TEST(SyntheticsSiblings, ClassicAssociativeRecallInvariants) {
  AssociativeRecallConfig c;
  c.num_examples = scale(300);
  c.random_non_queries = false;
  const auto ex = associative_recall(c, seed32());
  for (std::int64_t r = 0; r < ex.count() && !HasFailure(); ++r) {
    std::map<std::int64_t, std::int64_t> value_of;
    for (std::int64_t j = 0; j < 4; ++j) value_of[ex.inputs(r, 2 * j)] = ex.inputs(r, 2 * j + 1);
    EXPECT_EQ(value_of.size(), 4u);
    std::set<std::int64_t> queried;
    for (std::int64_t t = 0; t < 64; ++t) {
      if (ex.labels(r, t) == kIgnoreIndex) {
        if (t >= 8) {
          EXPECT_EQ(ex.inputs(r, t), 0);
        }
        continue;
      }
      ASSERT_GE(t, 8);
      ASSERT_EQ(value_of.count(ex.inputs(r, t)), 1u);
      EXPECT_EQ(ex.labels(r, t), value_of[ex.inputs(r, t)]);
      EXPECT_TRUE(queried.insert(ex.inputs(r, t)).second);
    }
    EXPECT_EQ(queried.size(), 3u);
  }
  expect_input_error([] { AssociativeRecallConfig bad; bad.num_queries = 5; associative_recall(bad, 0); },
                     "num_queries = 5 must be <= num_kv_pairs = 4");
}

TEST(SyntheticsSiblings, BaseArInvariants) {
  for (bool all : {true, false}) {
    BaseArConfig c;
    c.vocab_size = 21;
    c.input_seq_len = 30;
    c.num_examples = scale(300);
    c.all_targets = all;
    const auto ex = base_ar(c, seed32());
    const std::int64_t K = 10, N = 30;
    for (std::int64_t r = 0; r < ex.count() && !HasFailure(); ++r) {
      std::map<std::int64_t, std::int64_t> value_of;
      for (std::int64_t i = 0; i < N - 2; i += 2) {
        const auto k = ex.inputs(r, i), v = ex.inputs(r, i + 1);
        ASSERT_TRUE(k >= 0 && k < K && v >= K && v < 20);
        EXPECT_EQ(value_of.emplace(k, v).first->second, v) << "key " << k << " with two values";
      }
      EXPECT_EQ(ex.inputs(r, N - 2), 20);  // copy prefix
      const auto q = ex.inputs(r, N - 1);
      ASSERT_EQ(value_of.count(q), 1u) << "query key never presented";
      EXPECT_EQ(ex.labels(r, N - 1), value_of[q]);
      for (std::int64_t t = 0; t + 1 < N; ++t) EXPECT_EQ(ex.labels(r, t), all ? ex.inputs(r, t + 1) : kIgnoreIndex);
    }
  }
}

TEST(SyntheticsSiblings, DisjointSetsInvariants) {
  for (auto [a, b] : std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 32}, {4, 16}, {32, 1}, {16, 256}}) {
    DisjointSetsConfig c;
    c.short_length = a;
    c.long_length = b;
    c.num_examples = scale(100);
    const auto ex = disjoint_sets(c, seed32());
    ASSERT_EQ(ex.seq_len(), a + b + 3);
    EXPECT_EQ(ex.slices.at("short_length_long_length"), std::to_string(a) + "_" + std::to_string(b));
    for (std::int64_t r = 0; r < ex.count() && !HasFailure(); ++r) {
      const auto* in = row(ex.inputs, r);
      EXPECT_EQ(in[0], 1);
      EXPECT_EQ(in[a + 1], 2);
      EXPECT_EQ(in[a + b + 2], 3);
      std::set<std::int64_t> A(in + 1, in + 1 + a), B(in + a + 2, in + a + 2 + b);
      EXPECT_EQ(A.size(), static_cast<std::size_t>(a));
      EXPECT_EQ(B.size(), static_cast<std::size_t>(b));
      std::vector<std::int64_t> common;
      std::set_intersection(A.begin(), A.end(), B.begin(), B.end(), std::back_inserter(common));
      ASSERT_EQ(common.size(), 1u);
      EXPECT_GE(*A.begin(), 4);
      EXPECT_GE(*B.begin(), 4);
      EXPECT_EQ(ex.labels(r, a + b + 2), common[0]);
      EXPECT_EQ(std::count(row(ex.labels, r), row(ex.labels, r) + a + b + 3, kIgnoreIndex), a + b + 2);
    }
  }
  expect_input_error([] { DisjointSetsConfig c; c.long_length = 1021; disjoint_sets(c, 0); }, "long_length = 1021");
}

TEST(SyntheticsSiblings, MiniMqarInvariants) {
  MiniMqarConfig c;
  c.num_examples = scale(200);
  c.num_queries = 5;
  const auto ex = mini_mqar(c, seed32());
  const std::int64_t D = 8, q = 5, L = 2 * D + 3 * q + 1;
  ASSERT_EQ(ex.seq_len(), L);
  for (std::int64_t r = 0; r < ex.count() && !HasFailure(); ++r) {
    std::map<std::int64_t, std::int64_t> value_of;
    for (std::int64_t j = 0; j < D; ++j) value_of[ex.inputs(r, 2 * j)] = ex.inputs(r, 2 * j + 1);
    EXPECT_EQ(value_of.size(), static_cast<std::size_t>(D));
    EXPECT_GE(value_of.begin()->first, 2);
    EXPECT_EQ(ex.inputs(r, 2 * D), 1);
    EXPECT_EQ(ex.inputs(r, 2 * D + q + 1), 1);
    for (std::int64_t j = 0; j < q; ++j) {
      const auto k = ex.inputs(r, 2 * D + 1 + j);
      ASSERT_EQ(value_of.count(k), 1u);
      EXPECT_EQ(ex.labels(r, 2 * D + q + 1 + 2 * j), k);  // re-emit the key ...
      EXPECT_EQ(ex.labels(r, 2 * D + q + 2 + 2 * j), value_of[k]);  // ... then its value
    }
    EXPECT_EQ(std::count(row(ex.labels, r), row(ex.labels, r) + L, kIgnoreIndex), L - 2 * q);
  }
}

}  // namespace
}  // namespace menagerie::synthetics
