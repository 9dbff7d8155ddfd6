// Run configs (train/run_config.hpp): the example config parses with its documented defaults, and malformed
// configs are rejected with one-line errors naming the key path and what was expected ("cuda_graph" is a boolean
// and only the GPU backend's option); a config whose data do not fit the model's vocabulary is rejected by
// train_run before anything is written.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/io/atomic_file.hpp"
#include "core/io/safetensors.hpp"
#include "train/backend.hpp"
#include "train/checkpoint.hpp"
#include "train/init.hpp"
#include "train/memory.hpp"
#include "train/run_config.hpp"
#include "train/sweep.hpp"
#include "train/sweep_plan.hpp"
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
  EXPECT_FALSE(c.cuda_graph);
}

TEST(TrainConfig, CudaGraphIsAnOptionOfTheGpuBackend) {
  json j = good();
  j["backend"] = "gpu";
  j["cuda_graph"] = true;
  EXPECT_TRUE(train::parse_run_config(j, "tiny.json").cuda_graph);
  j["cuda_graph"] = false;
  EXPECT_FALSE(train::parse_run_config(j, "tiny.json").cuda_graph);
  j["backend"] = "reference";
  EXPECT_FALSE(train::parse_run_config(j, "tiny.json").cuda_graph);  // false is the default on either backend
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
      {"/epochs", 0, "tiny.json: epochs = 0 must be in [1, 1048576]"},
      {"/batch_size", 2.5, "tiny.json: batch_size must be an integer"},
      {"/optimizer/lr", -1, "tiny.json: optimizer.lr = -1 must be in (0, 1]"},
      {"/optimizer/lr", 1e300, "tiny.json: optimizer.lr = 1e+300 must be in (0, 1]"},
      {"/optimizer/weight_decay", 1000, "optimizer.weight_decay = 1000 must be >= 0 with lr x weight_decay < 1"},
      {"/optimizer/eps", 2, "tiny.json: optimizer.eps = 2 must be in (0, 1]"},
      {"/model/d_model", 1000000000, "tiny.json: model.d_model = 1000000000 must be in [1, 1048576]"},
      {"/model/vocab_size", 1048577, "tiny.json: model.vocab_size = 1048577 must be in [1, 1048576]"},
      {"/model/mixers/0/kernel_size", 1 << 21, "model.mixers[0].kernel_size = 2097152 must be in [1, 1048576]"},
      {"/eval_batch_size", 1 << 30, "tiny.json: eval_batch_size = 1073741824 must be in [1, 1048576]"},
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
      {"/precision", "half", "tiny.json: precision = \"half\": expected one of float, double, tf32, bf16"},
      {"/precision", "tf32", "tiny.json: precision = \"tf32\" needs \"backend\": \"gpu\" (got \"reference\""},
      {"/precision", "bf16", "tiny.json: precision = \"bf16\" needs \"backend\": \"gpu\" (got \"reference\""},
      {"/backend", "cuda", "backend = \"cuda\": expected \"reference\""},
      {"/data/train/0/params/num_kv_pairs", 5, "num_kv_pairs"},
      {"/data/train/0/task", "mqarr", "mqarr"},
      {"/data/test", json::array(), "'test' is empty"},
      {"/data/train", json::array(), "'train' is empty"},
      {"/data/test/0/params/input_seq_len", 2000000000,
       "tiny.json: data.test[0].params.input_seq_len = 2000000000 must be <= 1048576"},
      {"/name", "a/b", "name = \"a/b\" must be non-empty"},
      {"/cuda_graph", "yes", "tiny.json: cuda_graph must be true or false, got"},
      {"/cuda_graph", 1, "tiny.json: cuda_graph must be true or false, got"},
      {"/cuda_graph", true, "tiny.json: cuda_graph = true needs \"backend\": \"gpu\" (got \"reference\")"},
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

// sweep --deadline-s (train::SweepDeadline) on a grid whose points cost 8 x 12 = 96 and 16 x 12 = 192 (d_model 8 and
// 16 x tiny.json's longest sequence, 12), worked out by hand: before any point finished, everything starts up to the
// deadline itself; once a 96-cost point took 4 s (1/24 s per unit), a 96-cost point expects 4 s and a 192-cost one 8
// s, so with a 10 s deadline they start up to 6 s and 2 s; a faster point (2 s at cost 192) does not lower the rate;
// no deadline (0) starts everything. (No runs directory: the estimate from finished siblings is verify/
// cli_sweep_workers.sh's.)
train::Sweep deadline_sweep() {  // tiny.json at d_model 8 and 16, one learning rate
  json base = good();
  base.erase("name");
  base["model"].erase("d_model");
  const json j = {{"name", "dl"}, {"base", base},
                  {"grid", {{"mixers", json::array({{{"name", "m"}, {"model", json::object()}}})},
                            {"d_model", {8, 16}}, {"lr", {0.001}}}}};
  return train::parse_sweep(j, "dl.json");
}

TEST(TrainSweep, DeadlineStartsOnlyPointsExpectedToEndInTime) {
  const auto sweep = deadline_sweep();
  ASSERT_EQ(sweep.points.size(), 2u);
  const std::string small = sweep.points[0].id, large = sweep.points[1].id;
  ASSERT_EQ(train::point_cost(sweep.points[0]), 96);
  ASSERT_EQ(train::point_cost(sweep.points[1]), 192);
  const std::filesystem::path no_runs = "/nonexistent/menagerie-runs";  // nothing finished there: no siblings known
  train::SweepDeadline d(sweep, 10, no_runs);
  EXPECT_TRUE(d.may_start(large, 9.9));
  EXPECT_FALSE(d.may_start(large, 10.1));
  d.finished(small, 4);
  EXPECT_TRUE(d.may_start(small, 5.9));
  EXPECT_FALSE(d.may_start(small, 6.1));
  EXPECT_TRUE(d.may_start(large, 1.9));
  EXPECT_FALSE(d.may_start(large, 2.1));
  d.finished(large, 2);  // 2 / 192 per unit: faster than 4 / 96, the rate stays
  EXPECT_FALSE(d.may_start(large, 2.1));
  const train::SweepDeadline none(sweep, 0, no_runs);
  EXPECT_TRUE(none.may_start(large, 1e9));
}

// A run's checkpoint state (state.json of train/checkpoint.hpp) under run/checkpoint; cut_state: 1 of tiny.json's 3
// epochs done, at 4 s (finished: the same, marked finished).
void write_state(const std::filesystem::path& run, const json& state) {
  std::filesystem::create_directories(run / "checkpoint");
  write_file_atomic(run / "checkpoint" / "state.json", [&](std::ostream& f) { f << state; });
}
// An empty runs directory of this test process, named `name`.
std::filesystem::path fresh_runs(const std::string& name) {
  const auto runs = std::filesystem::temp_directory_path() / cat(name, "_", ::getpid());
  std::filesystem::remove_all(runs);
  return runs;
}
json cut_state(bool finished = false) {
  return {{"epochs_done", 1}, {"step", 5}, {"results_bytes", 0}, {"finished", finished}, {"seconds", 4.0}};
}

// A point cut off mid-way resumes from its checkpoint, so it expects its remaining epochs at its own pace so far:
// tiny.json's 3 epochs, a checkpoint after 1 of them at 4 s, so 2 x 4 = 8 s left, and under a 10 s deadline it starts
// only up to 2 s (where nothing else is known, the cost model's rate 0 would start it up to 10 s). The other point,
// with no checkpoint, still starts up to the deadline; a finished checkpoint is no estimate.
TEST(TrainSweep, DeadlineJudgesACutRunByItsOwnPace) {
  const auto sweep = deadline_sweep();
  const std::string small = sweep.points[0].id, large = sweep.points[1].id;
  ASSERT_EQ(sweep.points[1].config.epochs, 3);
  const auto runs = fresh_runs("menagerie_deadline");
  write_state(runs / large, cut_state());
  const train::SweepDeadline d(sweep, 10, runs);
  EXPECT_TRUE(d.may_start(large, 1.9));
  EXPECT_FALSE(d.may_start(large, 2.1));
  EXPECT_TRUE(d.may_start(small, 9.9));
  write_state(runs / large, cut_state(true));
  EXPECT_TRUE(train::SweepDeadline(sweep, 10, runs).may_start(large, 9.9));
  std::filesystem::remove_all(runs);
}

// A point none of whose learning rates has finished takes its mixer's pace from the runs finished at another d_model
// (per epoch and unit of cost): the d_model 8 point (cost 96) finished its 3 epochs in 3 s, so the d_model 16 one (cost
// 192) expects 3 x 192 / 96 = 6 s and starts under a 10 s deadline only up to 4 s. Session 29 started twelve such
// points with nothing known (the pool's rate 0) under a 200 s deadline; none could finish.
TEST(TrainSweep, DeadlineTakesTheMixersPaceAtAnotherWidth) {
  const auto sweep = deadline_sweep();
  const std::string small = sweep.points[0].id, large = sweep.points[1].id;
  ASSERT_EQ(sweep.points[0].config.epochs, 3);
  const auto runs = fresh_runs("menagerie_deadline_mixer");
  std::filesystem::create_directories(runs / small);
  const std::string line = json{{"epoch", 3}, {"final", true}, {"seconds", 3.0}, {"valid/accuracy", 0.5}}.dump() + "\n";
  write_file_atomic(runs / small / "results.jsonl", [&](std::ostream& f) { f << line; });
  write_state(runs / small,
              {{"epochs_done", 3}, {"step", 9}, {"results_bytes", line.size()}, {"finished", true}, {"seconds", 3.0}});
  ASSERT_TRUE(train::finished_line(runs / small));
  const train::SweepDeadline d(sweep, 10, runs);
  EXPECT_TRUE(d.may_start(large, 3.9));
  EXPECT_FALSE(d.may_start(large, 4.1));
  std::filesystem::remove_all(runs);
}

// sweep --plan (train::plan_pool) on the same grid, worked out by hand. With the d_model 8 point cut after 1 of its 3
// epochs at 4 s (so 8 s left by its own checkpoint) and nothing known of the d_model 16 point, one slot: the first
// runs 0-8 s; when it ends, the pool's rate is 8 s per 96 units of cost, so the second expects 16 s and runs 8-24 s.
// Under a 20 s deadline the second is held back. With two slots and no runs directory nothing is known: both start at
// 0 with no predicted end; with one slot the second waits behind the first.
TEST(TrainSweep, PlanSimulatesThePool) {
  using Fate = train::PlannedPoint::Fate;
  const auto sweep = deadline_sweep();
  const std::vector<std::string> line = {sweep.points[0].id, sweep.points[1].id};
  const auto runs = fresh_runs("menagerie_plan");
  write_state(runs / line[0], cut_state());
  auto plan = train::plan_pool(sweep, runs, line, 1, 0);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].fate, Fate::ends);
  EXPECT_DOUBLE_EQ(plan[0].start, 0);
  EXPECT_DOUBLE_EQ(plan[0].end, 8);
  EXPECT_STREQ(plan[0].expected.basis, "its own checkpoint");
  EXPECT_EQ(plan[1].fate, Fate::ends);
  EXPECT_DOUBLE_EQ(plan[1].start, 8);
  EXPECT_DOUBLE_EQ(plan[1].end, 24);
  EXPECT_STREQ(plan[1].expected.basis, "the points finished in this pool");
  plan = train::plan_pool(sweep, runs, line, 1, 20);
  EXPECT_EQ(plan[0].fate, Fate::ends);
  EXPECT_EQ(plan[1].fate, Fate::held_back);
  EXPECT_NE(train::plan_markdown(plan, 20).find("1 held back by the deadline"), std::string::npos);
  std::filesystem::remove_all(runs);
  plan = train::plan_pool(sweep, runs, line, 2, 0);
  EXPECT_EQ(plan[0].fate, Fate::runs_on);
  EXPECT_EQ(plan[1].fate, Fate::runs_on);
  EXPECT_STREQ(plan[1].expected.basis, "nothing known");
  plan = train::plan_pool(sweep, runs, line, 1, 0);
  EXPECT_EQ(plan[0].fate, Fate::runs_on);
  EXPECT_EQ(plan[1].fate, Fate::waiting);  // An estimate beyond a 64-bit integer (a sibling that took 10^19 s: verify/cli_sweep_workers.sh) prints its digits.
  const std::vector<train::PlannedPoint> huge = {{"p", {1e20, "its cell's finished runs"}, Fate::held_back}};
  EXPECT_NE(train::plan_markdown(huge, 600).find("| p | 100000000000000000000 |"), std::string::npos)
      << train::plan_markdown(huge, 600);
}

// "precision": "tf32" and "bf16" are the GPU backend's (fp32 storage): they parse there, say so in describe(), and
// their checkpoints store float32 parameters as a "float" run's do (a float64 file would not be what the run trained).
TEST(TrainConfig, TensorCorePrecisionsAreGpuModesWithFloat32Checkpoints) {
  const auto rc = train::parse_run_config(good(), "tiny.json");  // a reference float backend holds the parameters
  auto backend = train::make_backend(rc);
  backend->set_parameters(train::init_parameters(rc.model, 7));
  for (const auto& [name, precision] : {std::pair{"tf32", train::Precision::tf32}, {"bf16", train::Precision::bf16}}) {
    SCOPED_TRACE(name);
    json j = good();
    j["precision"] = name;
    j["backend"] = "gpu";
    const auto c = train::parse_run_config(j, "tiny.json");
    EXPECT_EQ(c.precision, precision);
    EXPECT_NE(train::describe(c).find(cat("; ", name, ", ")), std::string::npos) << train::describe(c);
    const auto dir = std::filesystem::temp_directory_path() / cat("menagerie_", name, "_ckpt_", ::getpid());
    std::filesystem::remove_all(dir);
    train::save_checkpoint(dir, *backend, precision, {3, 30, 0, false, 1.0});
    const auto file = read_safetensors(dir / "model-3.safetensors");
    ASSERT_FALSE(file.tensors.empty());
    for (const auto& [tensor, t] : file.tensors) EXPECT_EQ(t.dtype(), DType::f32) << tensor;
    std::filesystem::remove_all(dir);
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

// A run that fails before its first checkpoint leaves nothing behind; a directory left by a start that never
// checkpointed (a kill) is replaced by a run with another config, one holding a checkpoint is refused unless only
// "cuda_graph" differs.
TEST(TrainConfig, AFailureBeforeTheFirstCheckpointLeavesNothing) {
  json j = good();
  j["epochs"] = 1;
  const auto c = train::parse_run_config(j, "tiny.json");
  const auto dir = std::filesystem::temp_directory_path() / cat("menagerie_undo_", ::getpid());
  std::filesystem::remove_all(dir);
  const auto fail_at_line = [](const char* event) {
    if (std::string(event) == "line") throw Error("injected failure after the first results line");
  };
  EXPECT_THROW(train::train_run(c, {dir, false, {}, fail_at_line}), Error);
  EXPECT_FALSE(std::filesystem::exists(dir)) << "a failed first epoch left its run directory";

  std::filesystem::create_directories(dir);
  write_file_atomic(dir / "config.json", [](std::ostream& f) { f << R"({"name": "a start that was killed"})" << "\n"; });
  const auto s = train::train_run(c, {dir, false, {}, {}});
  EXPECT_EQ(s.epochs_run, 1);
  EXPECT_EQ(read_json_file(dir / "config.json"), c.source);

  json spelled = j;  // the same run with the launch-only key spelled out: already finished, config.json kept
  spelled["cuda_graph"] = false;
  EXPECT_TRUE(train::train_run(train::parse_run_config(spelled, "tiny.json"), {dir, false, {}, {}}).already_finished);
  EXPECT_EQ(read_json_file(dir / "config.json"), c.source);

  j["seed"] = 1;  // another config over a directory that now holds a checkpoint
  EXPECT_THROW(train::train_run(train::parse_run_config(j, "tiny.json"), {dir, false, {}, {}}), InputError);
  EXPECT_TRUE(std::filesystem::exists(dir / "checkpoint" / "state.json"));
  std::filesystem::remove_all(dir);
}

// The memory estimate's parameter term, by hand for tiny.json (vocab V = 16, d = 8, two layers, hybrid: a short
// base_conv and an mha): embeddings V d = 128, final norm 2 d = 16; per layer two norms 4 d = 32; mha
// Wqkv 3d x d + 3d, out_proj d x d + d = 288; base_conv (zoology BaseConv, short): the projection d x d + d = 72
// and a depthwise conv of d channels x kernel 3 + d = 32, total 104. P = 144 + 2 x 32 + 288 + 104 = 600;
// 5 float64 copies (weights, gradients, two AdamW moments, the checkpoint) = 40 P bytes.
TEST(TrainMemory, ParametersTermByHandAndRefusalBeforeAnythingIsWritten) {
  const auto c = train::parse_run_config(good(), "tiny.json");
  ASSERT_EQ(model::param_count(c.model), 600) << "the hand count above no longer describes tiny.json";
  const auto est = train::estimate_memory(c);
  EXPECT_EQ(est.parameters, 40.0 * 600);
  // data: (256 + 64) examples of 12 tokens (MQAR's input_seq_len), inputs and labels, int64
  EXPECT_EQ(est.data, 320.0 * 12 * 2 * 8);
  EXPECT_GT(est.activations, 0);
  EXPECT_NO_THROW(train::check_memory(c, "tiny", 1e9));

  json j = good();
  j["model"]["d_model"] = 1 << 20;  // mha alone holds 4 d^2 = 4.4e12 parameters
  const auto huge = train::parse_run_config(j, "tiny.json");
  const auto dir = std::filesystem::temp_directory_path() / cat("menagerie_memory_", ::getpid());
  std::filesystem::remove_all(dir);
  try {
    train::check_memory(huge, "tiny", 64e9);
    ADD_FAILURE() << "a run of 4.4e12 parameters fits in 64 GB";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tiny: needs about "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("more than the 59.6 GiB available; reduce model.d_model"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(train::train_run(huge, {dir, false, {}, {}}), InputError);
  EXPECT_FALSE(std::filesystem::exists(dir));
}

// The GPU backend's activations are in device memory: the host estimate leaves them out (Based Fig. 2's batch 256 x
// length 1024 would otherwise be refused at 40 GiB on a host that trains it on the GPU), and keeps the rest.
TEST(TrainMemory, GpuBackendActivationsAreNotCountedOnTheHost) {
  json j = good();
  j["batch_size"] = 1 << 16;
  j["eval_batch_size"] = 1 << 16;
  const auto cpu = train::parse_run_config(j, "tiny.json");
  j["backend"] = "gpu";
  const auto gpu = train::parse_run_config(j, "tiny.json");
  const auto ec = train::estimate_memory(cpu), eg = train::estimate_memory(gpu);
  // B T (12 d L + 2 V) float64 values at least: 65536 x 12 x (12 x 8 x 2 + 2 x 16) x 8 bytes = 1.4 GB
  EXPECT_GT(ec.activations, 65536.0 * 12 * (12 * 8 * 2 + 2 * 16) * 8);
  EXPECT_EQ(eg.activations, 0.0);
  EXPECT_EQ(eg.parameters, ec.parameters);
  EXPECT_EQ(eg.data, ec.data);
  EXPECT_THROW(train::check_memory(cpu, "tiny", 1e9), InputError);
  EXPECT_NO_THROW(train::check_memory(gpu, "tiny", 1e9));
}

}  // namespace
}  // namespace menagerie::test
