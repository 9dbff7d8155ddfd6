// The six MAD tasks (synthetics/mad_recall.hpp, mad_tasks.hpp): in-context and noisy recall with MAD's train
// (shifted input) and test (recall positions only) targets, fuzzy recall (left padding, motif values labelled, the
// probe key presented before the probe), selective copying, compression (noise unlabelled) and memorization (one
// fixed injective map across sequences and seeds), checked on every generated example.
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

TEST(SyntheticsMad, MadInContextRecallTrainAndTestTargets) {
  for (const bool noisy : {false, true}) {
    MadRecallConfig c = noisy ? mad_noisy_recall_baseline() : MadRecallConfig{};
    c.num_examples = scale(100);
    const auto train = mad_in_context_recall(c, seed32());
    c.test_targets = true;
    const auto test = mad_in_context_recall(c, seed32());
    const std::int64_t L = 127, s = 16, K = 8;  // keys [0, 8), values [8, 16), noise from 16
    ASSERT_EQ(train.seq_len(), L);
    EXPECT_EQ(train.inputs, test.inputs);  // the split changes the labels only
    double noise_tokens = 0;
    for (std::int64_t r = 0; r < train.count() && !HasFailure(); ++r) {
      std::map<std::int64_t, std::int64_t> value_of;
      for (std::int64_t t = 0; t + 1 < L; ++t) EXPECT_EQ(train.labels(r, t), train.inputs(r, t + 1));
      for (std::int64_t t = 0; t + 1 < L; t += 2) {
        const auto k = test.inputs(r, t), v = test.inputs(r, t + 1);
        if (k >= s) {  // a noise slot: two noise tokens, unlabelled
          EXPECT_TRUE(v >= s && v < c.vocab_size);
          EXPECT_EQ(test.labels(r, t), kIgnoreIndex);
          noise_tokens += 1;
          continue;
        }
        ASSERT_TRUE(k < K && v >= K && v < s);
        const bool repeated = value_of.count(k) > 0;
        if (repeated) {
          EXPECT_EQ(value_of[k], v);
        }
        value_of[k] = v;
        EXPECT_EQ(test.labels(r, t), repeated ? v : kIgnoreIndex) << "t " << t;
        if (t + 1 < L) {
          EXPECT_EQ(test.labels(r, t + 1), kIgnoreIndex);
        }
      }
      const auto probe = test.inputs(r, L - 1);
      ASSERT_EQ(value_of.count(probe), 1u) << "probe key never presented";
      EXPECT_EQ(test.labels(r, L - 1), value_of[probe]);
      EXPECT_EQ(train.labels(r, L - 1), value_of[probe]);
    }
    if (noisy) {  // about frac_noise of the 62 free slots
      const double frac = noise_tokens / (static_cast<double>(train.count()) * 62);
      EXPECT_NEAR(frac, 0.2, 0.05);
    }
  }
  MadRecallConfig single;
  single.multi_query = false;
  single.num_examples = 10;
  single.test_targets = true;
  const auto ex = mad_in_context_recall(single, 3);
  ASSERT_EQ(ex.seq_len(), 128);
  for (std::int64_t r = 0; r < 10; ++r) {
    EXPECT_EQ(ex.inputs(r, 126), 15);  // copy prefix, then the probe key
    EXPECT_EQ(std::count(row(ex.labels, r), row(ex.labels, r) + 128, kIgnoreIndex), 127);
  }
  expect_input_error([] { MadRecallConfig bad; bad.frac_noise = 0.3; mad_in_context_recall(bad, 0); },
                     "needs noise_vocab_size > 0");
}

TEST(SyntheticsMad, MadFuzzyRecallInvariants) {
  for (const bool test_split : {false, true}) {
    MadFuzzyRecallConfig c;
    c.num_examples = scale(100);
    c.test_targets = test_split;
    const auto ex = mad_fuzzy_in_context_recall(c, seed32());
    ASSERT_EQ(ex.seq_len(), 128);
    for (std::int64_t r = 0; r < ex.count() && !HasFailure(); ++r) {
      const auto* in = row(ex.inputs, r);
      const auto* lab = row(ex.labels, r);
      std::int64_t pad = 0;
      while (pad < 128 && in[pad] == 15) ++pad;
      EXPECT_GE(pad, 0);
      for (std::int64_t t = pad; t < 128; ++t) EXPECT_LT(in[t], 15) << "a pad token inside the sequence";
      if (!test_split) {
        for (std::int64_t t = 0; t < 127; ++t) EXPECT_EQ(lab[t], in[t + 1]);
        continue;
      }
      // Test split: labelled positions sit on value tokens (>= 7); the last run of labels is the probe's value,
      // preceded by the probe key, which also appears earlier in the sequence (the fix).
      std::int64_t first_label = 127;
      while (first_label > 0 && lab[first_label - 1] != kIgnoreIndex) --first_label;
      ASSERT_NE(lab[127], kIgnoreIndex);
      for (std::int64_t t = first_label; t < 128; ++t) EXPECT_TRUE(lab[t] >= 7 && lab[t] < 15);
      const std::int64_t key_end = first_label;  // probe key occupies [key_end - 3, key_end) at test time (size 3)
      const std::vector<std::int64_t> key(in + key_end - 2, in + key_end + 1);
      bool seen_before = false;
      for (std::int64_t t = pad; t + 3 <= key_end - 2 && !seen_before; ++t)
        seen_before = std::equal(key.begin(), key.end(), in + t);
      EXPECT_TRUE(seen_before) << "probe key not presented before the probe, row " << r;
    }
  }
}

TEST(SyntheticsMad, MadSelectiveCopyingCompressionMemorization) {
  MadSelectiveCopyingConfig sc;
  sc.num_examples = scale(100);
  const auto copy = mad_selective_copying(sc, seed32());
  for (std::int64_t r = 0; r < copy.count() && !HasFailure(); ++r) {
    std::vector<std::int64_t> tokens;
    for (std::int64_t t = 0; t < 256 - 17; ++t)
      if (copy.inputs(r, t) != 14) tokens.push_back(copy.inputs(r, t));
    ASSERT_EQ(tokens.size(), 16u);
    EXPECT_NE(copy.inputs(r, 256 - 18), 14);  // MAD's np.insert never puts a blank after the last token
    EXPECT_EQ(copy.inputs(r, 256 - 17), 15);
    for (std::int64_t j = 0; j < 16; ++j) {
      EXPECT_EQ(copy.inputs(r, 240 + j), 14);
      EXPECT_EQ(copy.labels(r, 240 + j), tokens[static_cast<std::size_t>(j)]);
      EXPECT_LT(tokens[static_cast<std::size_t>(j)], 14);
    }
    EXPECT_EQ(std::count(row(copy.labels, r), row(copy.labels, r) + 256, kIgnoreIndex), 240);
  }
  MadCompressionConfig cc;
  cc.num_examples = scale(100);
  cc.noise_vocab_size = 3;
  cc.frac_noise = 0.25;
  const auto comp = mad_compression(cc, seed32());
  for (std::int64_t r = 0; r < comp.count(); ++r) {
    EXPECT_EQ(comp.inputs(r, 31), 15);
    EXPECT_EQ(comp.labels(r, 31), 15);
    for (std::int64_t t = 0; t < 31; ++t) {
      if (comp.inputs(r, t) >= 12) {
        EXPECT_EQ(comp.labels(r, t), kIgnoreIndex);  // the fix: noise is not a target
      } else {
        EXPECT_EQ(comp.labels(r, t), comp.inputs(r, t));
      }
    }
  }
  MadMemorizationConfig mc;
  mc.num_examples = scale(100);
  const auto map = mad_memorization_map(mc);
  EXPECT_EQ(std::set<std::int64_t>(map.begin(), map.end()).size(), map.size()) << "map not injective";
  const auto mem = mad_memorization(mc, seed32()), mem2 = mad_memorization(mc, seed32() + 1);
  for (const auto* ex : {&mem, &mem2})
    for (std::int64_t r = 0; r < ex->count(); ++r)
      for (std::int64_t t = 0; t < 32; t += 2) {
        EXPECT_EQ(ex->inputs(r, t + 1), 255);
        EXPECT_EQ(ex->labels(r, t), kIgnoreIndex);
        EXPECT_EQ(ex->labels(r, t + 1), map[static_cast<std::size_t>(ex->inputs(r, t))]);
      }
}

}  // namespace
}  // namespace menagerie::synthetics
