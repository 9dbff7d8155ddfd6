// Sweeps (train/sweep.hpp) killed for real: a small grid (2 mixers x 2 widths x 2 learning rates on a tiny MQAR)
// is run once without interruption; then, in another directory, in a child process (fork) that is killed with
// SIGKILL in the middle of the grid three times: by the parent once a run's first checkpoint exists, by the parent
// once a run has two results lines, by itself right after appending a results line (before its checkpoint),
// with a torn half line behind it, and by itself between the last run's final line and its final checkpoint; and
// finally run to the end.
// The resumed sweep's CSV and table equal the uninterrupted one's byte for byte, and every run's results file holds
// exactly one line per epoch, in order (nothing lost, nothing duplicated), with the same numbers. Re-running a
// finished sweep trains nothing. Also: the grid expands in order with the documented ids, a bad grid point is
// a one-line error naming it, and the state_bytes column and table follow zoology's state_size formulas (2 layers
// of MHA: 4 bytes x 2 x 2 d T; RWKV-4 has none).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "train/results.hpp"
#include "train/sweep.hpp"
#include "train/trainer.hpp"
#include "verify/support/env.hpp"

namespace menagerie::test {
namespace {

namespace fs = std::filesystem;

json sweep_json() {
  const json mqar = {{"vocab_size", 16}, {"input_seq_len", 12}, {"num_kv_pairs", 2}, {"random_non_queries", false}};
  return {{"name", "kill-test"},
          {"base",
           {{"model", {{"vocab_size", 16}, {"n_layers", 2}}},
            {"data",
             {{"seed", 123},
              {"train", {{{"task", "mqar"}, {"count", 768}, {"params", mqar}}}},
              {"test", {{{"task", "mqar"}, {"count", 64}, {"params", mqar}}}}}},
            {"optimizer", {{"lr", 1e-3}}},
            {"epochs", 4},
            {"batch_size", 16},
            {"early_stop_accuracy", 2.0},
            {"threads", 2}}},
          {"grid",
           {{"mixers",
             {{{"name", "attention"}, {"model", {{"mixers", {{{"id", "base_conv"}}, {{"id", "mha"}}}}, {"hybrid", true}}}},
              {{"name", "base_conv"},
               {"model", {{"mixers", {{{"id", "base_conv"}}, {{"id", "base_conv"}, {"conv", "long_implicit"}}}}}}}}},
            {"d_model", {8, 16}},
            {"lr", {1e-3, 3e-3}}}}};
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The table part of the Markdown (after the provenance block, which carries the date).
std::string tables(const fs::path& md) {
  const std::string s = slurp(md);
  const auto at = s.find("### ");
  return at == std::string::npos ? s : s.substr(at);
}

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / cat("menagerie_", name, "_", ::getpid());
  fs::remove_all(d);
  return d;
}

// Runs the sweep in a child process and SIGKILLs it once `ready` holds (polled), or lets it finish; `fault` is
// the child's fault hook (it may SIGKILL the child itself at a chosen point).
void run_in_child(const train::Sweep& sweep, const fs::path& dir, const std::function<bool()>& ready,
                  std::function<void(const char*)> fault = {}) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      train::run_sweep(sweep, {dir / "runs", dir, false, {}, std::move(fault)});
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(0);
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (ready() || std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ASSERT_TRUE(WIFSIGNALED(status)) << "the child finished before it could be killed";
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the sweep finished before the kill point";
}

TEST(TrainSweep, KilledThreeTimesResumesToTheSameTable) {
  const auto sweep = train::parse_sweep(sweep_json(), "sweep test");
  ASSERT_EQ(sweep.points.size(), 8u);
  EXPECT_EQ(sweep.points[0].id, "attention-d8-lr0.001-data");
  EXPECT_EQ(sweep.points[7].id, "base_conv-d16-lr0.003-data");

  const fs::path a = fresh_dir("sweep_a"), b = fresh_dir("sweep_b");
  const auto rows = train::run_sweep(sweep, {a / "runs", a, false, {}, {}});
  for (const auto& r : rows) ASSERT_TRUE(r.finished) << r.point.id;

  // Kill 1: in the second run, once its first checkpoint exists. Kill 2: in the sixth run, after its second epoch
  // line was appended (so possibly between the line and its checkpoint).
  const auto run = [&](int i) { return b / "runs" / sweep.points[static_cast<std::size_t>(i)].id; };
  run_in_child(sweep, b, [&] { return fs::exists(run(1) / "checkpoint" / "state.json"); });
  run_in_child(sweep, b, [&] { return train::read_json_lines(run(5) / "results.jsonl").size() >= 2; });
  EXPECT_FALSE(train::finished_line(run(5)).has_value()) << "the second kill came too late";
  // Kill 3, at the worst moments: the child kills itself right after appending a results line (before its
  // checkpoint), with a torn half line appended behind it as a crash inside write(2) would leave.
  run_in_child(sweep, b, [] { return false; }, [&](const char* event) {
    const fs::path results = run(6) / "results.jsonl";
    if (std::string(event) != "line" || train::read_json_lines(results).size() != 1) return;
    std::ofstream(results, std::ios::app) << "{\"run\": \"torn";
    ::raise(SIGKILL);
  });
  EXPECT_EQ(train::read_json_lines(run(6) / "results.jsonl").size(), 1u);
  EXPECT_EQ(slurp(run(6) / "results.jsonl").back(), 'n') << "the torn line is not there";
  // Kill 4: in the last run, right after its final line, before its final checkpoint. The line says final, the
  // checkpoint is an epoch behind: the run is not finished, and resuming writes that epoch again.
  run_in_child(sweep, b, [] { return false; }, [&](const char* event) {
    if (std::string(event) == "line" && train::read_json_lines(run(7) / "results.jsonl").size() == 4) ::raise(SIGKILL);
  });
  ASSERT_EQ(train::read_json_lines(run(7) / "results.jsonl").size(), 4u);
  EXPECT_TRUE(train::read_json_lines(run(7) / "results.jsonl").back().value("final", false));
  EXPECT_FALSE(train::finished_line(run(7)).has_value()) << "a final line ahead of its checkpoint counts as finished";
  train::run_sweep(sweep, {b / "runs", b, false, {}, {}});
  EXPECT_TRUE(train::finished_line(run(7)).has_value());

  EXPECT_EQ(slurp(b / "kill-test.csv"), slurp(a / "kill-test.csv"));
  EXPECT_EQ(tables(b / "kill-test.md"), tables(a / "kill-test.md"));
  for (const auto& p : sweep.points) {
    const auto la = train::read_json_lines(a / "runs" / p.id / "results.jsonl");
    const auto lb = train::read_json_lines(b / "runs" / p.id / "results.jsonl");
    ASSERT_EQ(lb.size(), 4u) << p.id;
    ASSERT_EQ(la.size(), lb.size()) << p.id;
    for (std::size_t i = 0; i < lb.size(); ++i) {
      EXPECT_EQ(lb[i].at("epoch").get<std::int64_t>(), static_cast<std::int64_t>(i + 1)) << p.id;
      for (const char* key : {"train/loss", "valid/accuracy", "lr", "step", "final"})
        EXPECT_EQ(lb[i].at(key), la[i].at(key)) << p.id << " epoch " << i + 1 << " " << key;
    }
  }
  // A finished sweep trains nothing: the results files stay as they are.
  const auto before = slurp(run(0) / "results.jsonl");
  train::run_sweep(sweep, {b / "runs", b, false, {}, {}});
  EXPECT_EQ(slurp(run(0) / "results.jsonl"), before);
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST(TrainSweep, StateBytesFollowZoologysStateSize) {
  auto j = sweep_json();
  j["grid"]["mixers"] = {{{"name", "mha"}, {"model", {{"mixers", {{{"id", "mha"}}}}, {"max_position_embeddings", 12}}}},
                         {{"name", "rwkv"}, {"model", {{"mixers", {{{"id", "rwkv"}}}}}}}};
  const auto sweep = train::parse_sweep(j, "sweep test");
  const fs::path dir = fresh_dir("sweep_state");
  train::write_sweep_tables(sweep, dir / "runs", dir, "test");
  const std::string csv = slurp(dir / "kill-test.csv"), md = slurp(dir / "kill-test.md");
  // MQAR input_seq_len 12: T = 12; MHA's KV cache 2 d T per layer, 2 layers, 4 bytes.
  EXPECT_NE(csv.find("data,mha,8,0.001,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(cat(",", 4 * 2 * 2 * 8 * 12, ",,,0\n")), std::string::npos) << csv;
  EXPECT_NE(csv.find(cat(",", 4 * 2 * 2 * 16 * 12, ",,,0\n")), std::string::npos) << csv;
  EXPECT_NE(md.find(cat("| ", 4 * 2 * 2 * 8 * 12, " | mha | 8 |")), std::string::npos) << md;
  EXPECT_NE(md.find("| - | rwkv | 16 |"), std::string::npos) << md;
  fs::remove_all(dir);
}

TEST(TrainSweep, ABadGridPointIsOneLineNamingIt) {
  auto j = sweep_json();
  j["grid"]["mixers"][1]["model"]["mixers"][1]["conv"] = "circular";
  try {
    train::parse_sweep(j, "sweep.json");
    FAIL() << "accepted conv = circular";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("grid point base_conv-d8-lr0.001-data"), std::string::npos) << msg;
    EXPECT_NE(msg.find("model.mixers[1].conv = \"circular\""), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  j = sweep_json();
  j["grid"]["lr"] = {1e-3, 1e-3};
  EXPECT_THROW(train::parse_sweep(j, "sweep.json"), InputError);
}

// Zoology Fig. 2's grid changes more than the data with N: a data entry's "patch" sets every run's batch size, and a
// mixer's "data_patch" only that mixer's runs of that data set (attention's position embeddings follow N); a
// data_patch naming no data entry is a one-line error naming it.
TEST(TrainSweep, DataPatchesReachOnlyTheirPoints) {
  auto j = sweep_json();
  const json mqar = {{"vocab_size", 16}, {"input_seq_len", 14}, {"num_kv_pairs", 2}, {"random_non_queries", false}};
  j["grid"]["data"] = {{{"name", "short"}, {"data", j["base"]["data"]}},
                       {{"name", "long"},
                        {"data",
                         {{"seed", 123},
                          {"train", {{{"task", "mqar"}, {"count", 64}, {"params", mqar}}}},
                          {"test", {{{"task", "mqar"}, {"count", 16}, {"params", mqar}}}}}},
                        {"patch", {{"batch_size", 8}}}}};
  j["grid"]["mixers"][0]["model"]["max_position_embeddings"] = 12;
  j["grid"]["mixers"][0]["data_patch"] = {{"long", {{"model", {{"max_position_embeddings", 14}}}}}};
  const auto sweep = train::parse_sweep(j, "sweep.json");
  ASSERT_EQ(sweep.points.size(), 16u);
  for (const auto& p : sweep.points) {
    const bool is_long = p.data == "long", attention = p.mixer == "attention";
    EXPECT_EQ(p.config.batch_size, is_long ? 8 : 16) << p.id;
    EXPECT_EQ(p.config.model.max_position_embeddings, attention ? (is_long ? 14 : 12) : 0) << p.id;
  }
  j["grid"]["mixers"][0]["data_patch"] = {{"N128", {{"model", {{"max_position_embeddings", 24}}}}}};
  try {
    train::parse_sweep(j, "sweep.json");
    FAIL() << "accepted a data_patch for a data set the grid does not have";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("data_patch.N128: no data entry is named 'N128'"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace menagerie::test
