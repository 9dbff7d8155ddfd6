// Run configs (train/run_config.hpp): the example config parses with its documented defaults, and malformed
// configs are rejected with one-line errors naming the key path and what was expected; a config whose data do not
// fit the model's vocabulary is rejected by train_run before anything is written.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "train/run_config.hpp"
#include "train/sweep.hpp"
#include "train/trainer.hpp"
#include "verify/support/env.hpp"

namespace menagerie::test {
namespace {

json good() { return read_json_file(std::string(MENAGERIE_SOURCE_DIR) + "/train/configs/tiny.json"); }

TEST(TrainConfig, TheExampleParsesWithTheDocumentedDefaults) {
  const auto c = train::parse_run_config(good(), "tiny.json");
  EXPECT_EQ(c.name, "tiny-attention");
  EXPECT_EQ(c.model.d_model, 8);
  EXPECT_EQ(c.model.mixers.size(), 2u);
  EXPECT_TRUE(c.model.hybrid);
  EXPECT_EQ(c.optimizer.weight_decay, 0.1);
  EXPECT_EQ(c.optimizer.beta1, 0.9);
  EXPECT_EQ(c.optimizer.beta2, 0.999);
  EXPECT_EQ(c.optimizer.eps, 1e-8);
  EXPECT_EQ(c.dropout.embedding, 0.1);
  EXPECT_EQ(c.dropout.attention, 0.1);
  EXPECT_EQ(c.early_stop_accuracy, 0.99);
  EXPECT_EQ(c.schedule, train::Schedule::cosine);
  EXPECT_EQ(c.accuracy, train::Accuracy::per_example);
  EXPECT_EQ(c.precision, train::Precision::f32);
}

TEST(TrainConfig, EveryCommittedConfigParses) {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(MENAGERIE_SOURCE_DIR) + "/train/configs")) {
    const json j = read_json_file(entry.path());
    if (j.contains("grid"))
      EXPECT_GT(train::parse_sweep(j, entry.path().string()).points.size(), 0u) << entry.path();
    else
      EXPECT_NO_THROW(train::parse_run_config(j, entry.path().string())) << entry.path();
    ++n;
  }
  EXPECT_GE(n, 3);
}

struct Bad {
  const char* pointer;  // JSON pointer of the edit
  json value;           // null = remove the key
  const char* message;  // expected substring of the one-line error
};

TEST(TrainConfig, MalformedConfigsAreOneLineErrorsNamingTheKey) {
  const std::vector<Bad> cases = {
      {"/epoch", 3, "tiny.json: unknown key 'epoch' (expected one of: name, model"},
      {"/epochs", "three", "tiny.json: epochs must be an integer"},
      {"/epochs", 0, "tiny.json: epochs = 0 must be >= 1"},
      {"/batch_size", 2.5, "tiny.json: batch_size must be an integer"},
      {"/optimizer/lr", -1, "tiny.json: optimizer.lr = -1 must be > 0"},
      {"/optimizer/lr", nullptr, "tiny.json: optimizer: missing required key 'lr'"},
      {"/optimizer/betas", json::array({0.9}), "optimizer.betas has 1 entries; expected [beta1, beta2]"},
      {"/optimizer/momentum", 0.9, "tiny.json: optimizer: unknown key 'momentum'"},
      {"/model/d_model", nullptr, "tiny.json: model: missing required key 'd_model'"},
      {"/model/mixers/1/id", "attention", "model.mixers[1].id = \"attention\": expected one of mha"},
      {"/model/mixers/0/kernel", 3, "model.mixers[0]: unknown key 'kernel'"},
      {"/model/mixers/0/conv", "circular", "model.mixers[0].conv = \"circular\": expected one of short"},
      {"/model/mixers/1/heads", 3, "mha: d = 8 is not divisible by heads = 3"},
      {"/model/mixers", json::array(), "model.mixers must be a non-empty array"},
      {"/model/max_position_embeddings", 4, "max_position_embeddings = 4 is shorter than the data's longest"},
      {"/dropout/attention", 1.5, "tiny.json: dropout.attention = 1.5 must be in [0, 1)"},
      {"/precision", "half", "tiny.json: precision = \"half\": expected one of float, double"},
      {"/backend", "cuda", "backend = \"cuda\": expected \"reference\""},
      {"/data/train/0/params/num_kv_pairs", 5, "num_kv_pairs"},
      {"/data/train/0/task", "mqarr", "mqarr"},
      {"/data/test", json::array(), "'test' is empty"},
      {"/name", "a/b", "name = \"a/b\" must be non-empty"},
  };
  for (const auto& bad : cases) {
    json j = good();
    const json::json_pointer ptr(bad.pointer);
    if (bad.value.is_null())
      j[ptr.parent_pointer()].erase(ptr.back());
    else
      j[ptr] = bad.value;
    try {
      train::parse_run_config(j, "tiny.json");
      ADD_FAILURE() << bad.pointer << " = " << bad.value.dump() << " was accepted";
    } catch (const InputError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(bad.message), std::string::npos) << bad.pointer << ": " << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << bad.pointer << ": " << msg;
    }
  }
}

TEST(TrainConfig, DataOutsideTheVocabularyIsRejectedBeforeAnythingIsWritten) {
  json j = good();
  j["model"]["vocab_size"] = 12;  // the data use tokens up to 15
  const auto c = train::parse_run_config(j, "tiny.json");
  const auto dir = std::filesystem::temp_directory_path() / cat("menagerie_vocab_", ::getpid());
  std::filesystem::remove_all(dir);
  try {
    train::train_run(c, {dir, false, {}, {}});
    ADD_FAILURE() << "accepted tokens outside the vocabulary";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("outside model.vocab_size = 12"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace menagerie::test
