// Sweeps: a grid of training runs (mixers x d_model x learning rate x data), run one after another, resumable.
// JSON form:
//   {"name": "sweep-small",
//    "base": {<a run config, train/run_config.hpp, without model.d_model, model.mixers, optimizer.lr>},
//    "grid": {"mixers":  [{"name": "attention", "model": {"mixers": [{"id": "mha"}], "max_position_embeddings": 32}},
//                         {"name": "base_conv", "model": {"mixers": [...]}}],
//             "d_model": [16, 32, 64],
//             "lr":      [1e-3, 3e-3],
//             "data":    [{"name": "N32-D4", "data": {<synthetics mixture>}}]}}   // optional: base.data, "data"
// A mixer entry may carry its own "d_model" list, used instead of the grid's for that mixer (Based Fig. 2: SWA only
// at d 128, Based at 48/64/128); the tables leave the cells outside the grid empty. A data entry may carry a "patch"
// (merged into every run of that data set: Zoology Fig. 2's batch size per N), and a mixer entry a "data_patch"
// {"<data name>": patch} (merged into that mixer's runs of that data set, after the data entry's: attention's
// position embeddings and H3's d_state follow N); a data_patch key that names no data entry is an error.
// Each grid point is base, JSON-merge-patched (RFC 7386) with {"name": id, "model": mixer.model + d_model,
// "optimizer": {"lr"}, "data"}, then with the data entry's patch and the mixer's data_patch, then validated strictly
// as a run config; every point is validated before the
// first run starts. Run id: "<mixer>-d<d_model>-lr<lr>-<data>". Runs live in <runs>/<id>/ (train/trainer.hpp): a
// run whose results end with a final line is skipped, a killed one resumes from its last checkpoint, so a sweep
// killed at any point and started again produces the same table.
// Outputs, in <out>: <name>.csv (one row per run: data, mixer, d_model, lr, params, state_bytes, epochs, accuracy,
// best) and <name>.md (provenance, then per data set a table mixer x d_model of the best accuracy over learning
// rates: Zoology Fig. 2's reported number; and the same cells against the model's recurrent state in bytes, Based
// Fig. 2's axis: model::state_size at the run's sequence length, empty where a mixer has none), written atomically
// after every run; <name>.png by train/plot_sweep.py. When some grid model has a bounded reach and a sliding_attn
// layer, also <name>-oracle.csv and a section of <name>.md: the exact window oracle (train/sweep_oracle.hpp).
// Many processes may share one runs directory (a serial sweep, Slurm array tasks on other nodes; cli/sweep_slurm.hpp):
// a process trains a point only while it holds the point's lock, <runs>/.locks/<id>.lock (core/io/file_lock.hpp;
// the kernel drops it when the holder dies), and rewrites the tables only while it holds <out>/.<name>.lock, from
// every run's results at that moment, so the last writer's tables include every point finished before it.
#pragma once
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "train/run_config.hpp"

namespace menagerie::train {

struct SweepPoint {
  std::string id, mixer, data;
  std::int64_t d_model = 0;
  double lr = 0;
  RunConfig config;
};

struct Sweep {
  std::string name;
  std::vector<SweepPoint> points;  // grid order: data, mixer, d_model, lr
  json source;
};

Sweep parse_sweep(const json& j, std::string_view where);
Sweep read_sweep(const std::string& path);

// The point with this id; nullptr if the sweep has none.
const SweepPoint* find_point(const Sweep& sweep, std::string_view id);

// What a point's epoch of work grows with: d_model x the data's longest sequence (every Zoology grid point has the
// same example count). `sweep --workers` trains the cheapest first.
std::int64_t point_cost(const SweepPoint& p);

// The table cell of a point, "data|mixer|d_model": the learning rates of one cell share it.
std::string point_cell(const SweepPoint& p);

// `sweep --workers --deadline-s S`: whether a point may still start; it starts only if the elapsed time plus its
// expected duration stays within S. Its expected duration:
//   - where its own run was cut off mid-way (a checkpoint, not finished, in the runs directory): its remaining epochs
//     times its own seconds per epoch so far (the checkpoint's "seconds" / "epochs_done"), since it resumes there;
//   - else where runs of its siblings (the same data, mixer and d_model, another learning rate) have finished in the
//     runs directory: its epochs times the largest seconds per epoch among them (their results' "seconds" /
//     "epoch"; an upper bound where it stops early, measured beside whatever else ran then);
//   - else where runs of its mixer (at another d_model or data) have finished in the runs directory: its epochs times
//     its cost times the largest seconds per epoch and unit of cost among them (the cost model d_model x T
//     over-predicts large models from small ones, which leave a GPU idle: a point held back is trained later, while
//     one started that cannot end is lost with the machine);
//   - else its cost times the largest seconds per unit of cost among the points finished in this pool (0 before
//     any has).
// Points left unstarted are not failures: a later sweep trains them (a GPU lease of fixed length then ends without
// runs cut off mid-way, whose progress would leave with the machine). S <= 0: no deadline.
class SweepDeadline {
 public:
  SweepDeadline(const Sweep& sweep, double seconds, const std::filesystem::path& runs_dir);
  bool may_start(const std::string& id, double elapsed) const;
  void finished(const std::string& id, double took);
  // A point's expected duration by the rules above, and which one gave it: "its own checkpoint", "its cell's finished
  // runs", "its mixer's finished runs", "the points finished in this pool", or "nothing known" (0 s).
  struct Estimate {
    double seconds = 0;
    const char* basis = "nothing known";
  };
  Estimate estimate(const std::string& id) const;

 private:
  std::map<std::string, double> cost_;
  std::map<std::string, Estimate> known_;  // from the runs directory: a checkpoint, finished siblings or mixer runs
  double limit_, rate_ = 0;
};

struct SweepOptions {
  std::filesystem::path runs_dir, out_dir;
  bool progress = false;
  std::function<void(const std::string&)> log;
  std::function<void(const char* event)> fault;  // passed to every run (train/trainer.hpp)
};

struct SweepRow {
  SweepPoint point;
  bool finished = false;
  double accuracy = 0;
  std::int64_t epochs = 0, params = 0;
  std::optional<std::int64_t> state_bytes;  // model::state_size at the sequence length of the run's data
};

// Runs every unfinished point not held by another process (logged and left to it), rewriting the tables after each
// run; returns the rows (grid order).
std::vector<SweepRow> run_sweep(const Sweep& sweep, const SweepOptions& options);

// <runs>/.locks/<id>.lock: whoever holds it owns the point (trains it, writes its run directory).
std::filesystem::path point_lock_path(const std::filesystem::path& runs_dir, const std::string& id);

// Rewrites <out>/<name>.csv and <name>.md from the runs' results, holding <out>/.<name>.lock (waiting for it), and
// calls `also` (e.g. the plot) before letting it go; returns the rows. `owner` is the note left in the lock file.
std::vector<SweepRow> write_sweep_tables(const Sweep& sweep, const std::filesystem::path& runs_dir,
                                         const std::filesystem::path& out_dir, const std::string& owner,
                                         const std::function<void()>& also = {});

// "host <h> pid <p>" and, inside a Slurm job, " slurm job <array job>_<task>" (or " slurm job <id>"): lock notes.
std::string process_owner_note();

// The tables from the runs' results (points not finished are shown as "-").
std::vector<SweepRow> collect(const Sweep& sweep, const std::filesystem::path& runs_dir);
std::string sweep_csv(const std::vector<SweepRow>& rows);
std::string sweep_markdown_tables(const Sweep& sweep, const std::vector<SweepRow>& rows);

}  // namespace menagerie::train
