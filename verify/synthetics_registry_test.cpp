// The task list as a whole (synthetics/tasks.hpp, mixture.hpp): every task is a pure function of (config, seed)
// (same seed -> same bytes, another seed -> other data, labels -100 or a token, at least one label per row);
// parameters parse strictly with one-line errors naming the task and parameter; mixtures draw Zoology's segment
// seeds (np.random.seed(123), randint(0, 2^31) per train segment, then randint(2^31, 2^32) per test segment).
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "synthetics/mixture.hpp"
#include "synthetics/tasks.hpp"
#include "verify/fixtures/synthetics/test_util.hpp"
#include "verify/support/env.hpp"

namespace menagerie::synthetics {
namespace {

std::uint32_t seed32() { return static_cast<std::uint32_t>(test::test_seed()); }
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

TEST(SyntheticsRegistry, EveryTaskIsAPureFunctionOfConfigAndSeed) {
  const auto s = seed32();
  std::size_t tasks = 0;
  for_each_task([&](const auto& def) {
    ++tasks;
    SCOPED_TRACE(std::string(def.name));
    auto c = def.defaults;
    c.num_examples = 12;
    const auto a = def.generate(c, s), b = def.generate(c, s), other = def.generate(c, s ^ 0x5a5a5a5au);
    if constexpr (std::is_same_v<decltype(a), const Examples>) {
      ASSERT_EQ(a.inputs.rank(), 2u);
      ASSERT_EQ(a.inputs.shape(), a.labels.shape());
      EXPECT_EQ(a.count(), 12);
      EXPECT_EQ(a.inputs, b.inputs);
      EXPECT_EQ(a.labels, b.labels);
      EXPECT_EQ(a.slices, b.slices);
      EXPECT_NE(a.inputs, other.inputs);
      for (std::int64_t r = 0; r < a.count(); ++r) {
        const auto* lab = row(a.labels, r);
        EXPECT_TRUE(std::any_of(lab, lab + a.seq_len(), [](auto v) { return v != kIgnoreIndex; })) << "row " << r;
        EXPECT_TRUE(std::all_of(lab, lab + a.seq_len(), [](auto v) { return v == kIgnoreIndex || v >= 0; }));
        EXPECT_TRUE(std::all_of(row(a.inputs, r), row(a.inputs, r) + a.seq_len(), [](auto v) { return v >= 0; }));
      }
    } else {
      EXPECT_EQ(a.key_ids, b.key_ids);
      EXPECT_EQ(a.value_ids, b.value_ids);
      EXPECT_EQ(a.labels, b.labels);
      EXPECT_NE(a.key_ids, other.key_ids);
    }
  });
  EXPECT_EQ(tasks, task_names().size());
  EXPECT_GE(tasks, 19u);
}

TEST(SyntheticsRegistry, ParametersParseStrictlyAndNameTheProblem) {
  MqarConfig c;
  set_param(c, "mqar", "num_kv_pairs", "16");
  set_param(c, "mqar", "power_a", "0.5");
  set_param(c, "mqar", "random_non_queries", "false");
  EXPECT_EQ(c.num_kv_pairs, 16);
  EXPECT_EQ(c.power_a, 0.5);
  EXPECT_FALSE(c.random_non_queries);
  expect_input_error([&] { set_param(c, "mqar", "num_kv_pair", "3"); }, "unknown parameter 'num_kv_pair'");
  expect_input_error([&] { set_param(c, "mqar", "num_kv_pairs", "3.5"); }, "num_kv_pairs = '3.5' is not an integer");
  expect_input_error([&] { set_param(c, "mqar", "power_a", "nan"); }, "not a finite number");
  expect_input_error([&] { set_param(c, "mqar", "random_non_queries", "yes"); }, "not a boolean");
  expect_input_error([] { generate("no_such_task", {}, 0); }, "unknown task 'no_such_task'");
  expect_input_error([] { generate("continuous-mqar", {}, 0); }, "embedding-row layout");
  const auto ex = generate("mad-compression", {{"num_examples", "3"}}, 1);  // dashed ids work too
  EXPECT_EQ(ex.count(), 3);
}

TEST(SyntheticsRegistry, MixturesUseZoologySegmentSeeds) {
  const auto spec = dataset_spec_from_json(
      parse_json(R"({"seed": 123,
                     "train": [{"task": "mqar", "count": 20, "params": {"input_seq_len": 64, "num_kv_pairs": 4,
                                                                         "random_non_queries": false}},
                               {"task": "disjoint_sets", "count": 7, "params": {"short_length": 4}}],
                     "test": [{"task": "mqar", "count": 5, "params": {"input_seq_len": 128, "power_a": 0.01}}]})",
                 "spec.json"),
      "spec.json");
  const auto d = build_dataset(spec);
  ASSERT_EQ(d.train.size(), 2u);
  ASSERT_EQ(d.test.size(), 1u);
  EXPECT_EQ(d.train[0].seed, 843828734u);
  EXPECT_EQ(d.train[1].seed, 914636141u);
  EXPECT_EQ(d.test[0].seed, 3376442750u);  // numpy: seed(123), randint(0, 2**31) x 2, randint(2**31, 2**32)
  EXPECT_EQ(d.train[0].examples.inputs.shape(), (Shape{20, 64}));
  EXPECT_EQ(d.train[1].examples.inputs.shape(), (Shape{7, 15}));
  EXPECT_EQ(d.test[0].examples.inputs.shape(), (Shape{5, 128}));
  MqarConfig m;
  m.num_examples = 20;
  m.num_kv_pairs = 4;
  m.random_non_queries = false;
  EXPECT_EQ(d.train[0].examples.inputs, mqar(m, 843828734u).inputs);
  expect_input_error([] { dataset_spec_from_json(parse_json(R"({"train": [{"task": "mqar"}]})", "x"), "x"); },
                     "missing required key 'count'");
  expect_input_error(
      [] { generate_segment({"mqar", {{"num_examples", "3"}}, 3}, 0); }, "as its count");
  const auto jrt = jrt_disjoint_sets_dataset();
  EXPECT_EQ(jrt.train.size(), 12u);
  EXPECT_EQ(jrt.test.size(), 20u);
  EXPECT_EQ(jrt.train[0].count, 20000);
}

}  // namespace
}  // namespace menagerie::synthetics
