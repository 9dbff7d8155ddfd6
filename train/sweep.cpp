// Sweeps; the JSON form and the guarantees are in sweep.hpp.
#include "train/sweep.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>

#include "core/io/atomic_file.hpp"
#include "core/io/file_lock.hpp"
#include "core/provenance.hpp"
#include "train/checkpoint.hpp"
#include "train/gpu_backend.hpp"
#include "train/sweep_oracle.hpp"
#include "train/trainer.hpp"

namespace menagerie::train {

namespace fs = std::filesystem;

namespace {

std::string lr_text(double lr) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", lr);
  return buf;
}

void write_text(const fs::path& path, const std::string& text) {
  write_file_atomic(path, std::as_bytes(std::span(text.data(), text.size())));
}

// The sweep's window oracle rows (sweep_oracle.hpp), computed once per process and sweep: they depend only on the
// config, and generating the test mix takes seconds.
const std::vector<OracleRow>& cached_oracle_rows(const Sweep& sweep) {
  static std::mutex mutex;
  static std::map<std::string, std::vector<OracleRow>> cache;
  const std::lock_guard<std::mutex> guard(mutex);
  const std::string key = sweep.source.dump();
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, window_oracle_rows(sweep)).first;
  return it->second;
}

}  // namespace

Sweep parse_sweep(const json& j, std::string_view where) {
  reject_unknown_keys(j, {"name", "base", "grid"}, where);
  Sweep s;
  s.name = get_field<std::string>(j, "name", where);
  require<InputError>(!s.name.empty() && s.name.find_first_of("/\\\n\"") == std::string::npos,
                      json_path(where, "name"), " = \"", s.name, "\" must be non-empty without / \\ \" or newlines");
  const json base = get_field<json>(j, "base", where);
  require_object(base, json_path(where, "base"));
  const json grid = get_field<json>(j, "grid", where);
  const std::string gw = json_path(where, "grid");
  reject_unknown_keys(grid, {"mixers", "d_model", "lr", "data"}, gw);
  const json mixers = get_field<json>(grid, "mixers", gw);
  require<FormatError>(mixers.is_array() && !mixers.empty(), json_path(gw, "mixers"),
                       " must be a non-empty array of {\"name\", \"model\"}, got ", describe_json(mixers));
  const auto dims = get_field<std::vector<std::int64_t>>(grid, "d_model", gw);
  const auto lrs = get_field<std::vector<double>>(grid, "lr", gw);
  require<InputError>(!dims.empty() && !lrs.empty(), gw, ": d_model and lr must be non-empty lists");
  json data = get_field_or<json>(grid, "data", json::array(), gw);
  require<FormatError>(data.is_array(), json_path(gw, "data"), " must be an array, got ", describe_json(data));
  if (data.empty()) {
    require<FormatError>(base.contains("data"), gw, ": no 'data' list and no base.data");
    data = json::array({{{"name", "data"}, {"data", base["data"]}}});
  }
  std::set<std::string> ids;
  for (std::size_t di = 0; di < data.size(); ++di) {
    const std::string dw = cat(json_path(gw, "data"), "[", di, "]");
    reject_unknown_keys(data[di], {"name", "data", "patch"}, dw);
    const auto dname = get_field<std::string>(data[di], "name", dw);
    const json dpatch = get_field_or<json>(data[di], "patch", json::object(), dw);
    require_object(dpatch, json_path(dw, "patch"));
    for (std::size_t mi = 0; mi < mixers.size(); ++mi) {
      const std::string mw = cat(json_path(gw, "mixers"), "[", mi, "]");
      reject_unknown_keys(mixers[mi], {"name", "model", "d_model", "data_patch"}, mw);
      const auto mname = get_field<std::string>(mixers[mi], "name", mw);
      const json mmodel = get_field<json>(mixers[mi], "model", mw);
      require_object(mmodel, json_path(mw, "model"));
      const json mdpatches = get_field_or<json>(mixers[mi], "data_patch", json::object(), mw);
      require_object(mdpatches, json_path(mw, "data_patch"));
      for (const auto& [key, value] : mdpatches.items()) {
        const bool known = std::any_of(data.begin(), data.end(), [&](const json& d) {
          return d.is_object() && d.contains("name") && d["name"] == key;
        });
        require<InputError>(known, json_path(json_path(mw, "data_patch"), key), ": no data entry is named '", key,
                            "'");
        require_object(value, json_path(json_path(mw, "data_patch"), key));
      }
      const json mdpatch = mdpatches.value(dname, json::object());
      const auto mdims = get_field_or<std::vector<std::int64_t>>(mixers[mi], "d_model", dims, mw);
      require<InputError>(!mdims.empty(), json_path(mw, "d_model"), " must be a non-empty list when given");
      for (const auto d : mdims)
        for (const double lr : lrs) {
          SweepPoint p{cat(mname, "-d", d, "-lr", lr_text(lr), "-", dname), mname, dname, d, lr, {}};
          require<InputError>(ids.insert(p.id).second, where, ": grid point '", p.id,
                              "' appears twice (mixer and data names must be distinct)");
          json patch = {{"name", p.id},
                        {"model", mmodel},
                        {"optimizer", {{"lr", lr}}},
                        {"data", get_field<json>(data[di], "data", dw)}};
          patch["model"]["d_model"] = d;
          json run = base;
          run.merge_patch(patch);
          run.merge_patch(dpatch);
          run.merge_patch(mdpatch);
          p.config = parse_run_config(run, cat(where, " (grid point ", p.id, ")"));
          s.points.push_back(std::move(p));
        }
    }
  }
  s.source = j;
  return s;
}

Sweep read_sweep(const std::string& path) { return parse_sweep(read_json_file(path), path); }

std::int64_t point_cost(const SweepPoint& p) { return p.d_model * max_sequence_length(p.config.data, p.id); }

std::string point_cell(const SweepPoint& p) { return cat(p.data, "|", p.mixer, "|", p.d_model); }

SweepDeadline::SweepDeadline(const Sweep& sweep, double seconds, const fs::path& runs_dir) : limit_(seconds) {
  // The largest pace of the finished runs: by cell, seconds per epoch; by mixer, seconds per epoch and unit of cost.
  std::map<std::string, double> per_epoch, per_epoch_cost;
  for (const auto& p : sweep.points) {
    cost_[p.id] = static_cast<double>(point_cost(p));
    const auto state = read_loop_state(runs_dir / p.id / "checkpoint");
    if (state && !state->finished && state->epochs_done > 0 && state->seconds > 0)
      known_[p.id] = {state->seconds / static_cast<double>(state->epochs_done) *
                          static_cast<double>(std::max<std::int64_t>(p.config.epochs - state->epochs_done, 0)),
                      "its own checkpoint"};
    if (const auto line = finished_line(runs_dir / p.id)) {
      const double took = line->value("seconds", 0.0);
      const auto epochs = line->value("epoch", std::int64_t{0});
      if (took <= 0 || epochs <= 0) continue;
      const double pace = took / static_cast<double>(epochs);
      double &cell = per_epoch[point_cell(p)], &mixer = per_epoch_cost[p.mixer];
      cell = std::max(cell, pace);
      mixer = std::max(mixer, pace / cost_[p.id]);
    }
  }
  for (const auto& p : sweep.points) {
    const auto epochs = static_cast<double>(p.config.epochs);
    if (const auto it = per_epoch.find(point_cell(p)); it != per_epoch.end())
      known_.try_emplace(p.id, Estimate{it->second * epochs, "its cell's finished runs"});
    else if (const auto m = per_epoch_cost.find(p.mixer); m != per_epoch_cost.end())
      known_.try_emplace(p.id, Estimate{m->second * cost_[p.id] * epochs, "its mixer's finished runs"});
  }
}

SweepDeadline::Estimate SweepDeadline::estimate(const std::string& id) const {
  if (const auto it = known_.find(id); it != known_.end()) return it->second;
  if (rate_ > 0) return {rate_ * cost_.at(id), "the points finished in this pool"};
  return {0, "nothing known"};
}

bool SweepDeadline::may_start(const std::string& id, double elapsed) const {
  return limit_ <= 0 || elapsed + estimate(id).seconds <= limit_;
}

void SweepDeadline::finished(const std::string& id, double took) { rate_ = std::max(rate_, took / cost_.at(id)); }

const SweepPoint* find_point(const Sweep& sweep, std::string_view id) {
  for (const auto& p : sweep.points)
    if (p.id == id) return &p;
  return nullptr;
}

fs::path point_lock_path(const fs::path& runs_dir, const std::string& id) {
  return runs_dir / ".locks" / (id + ".lock");
}

std::string process_owner_note() {
  char host[256] = {};
  std::string note = cat("host ", gethostname(host, sizeof host - 1) == 0 ? host : "unknown", " pid ", getpid());
  const char* array_job = std::getenv("SLURM_ARRAY_JOB_ID");
  const char* array_task = std::getenv("SLURM_ARRAY_TASK_ID");
  const char* job = std::getenv("SLURM_JOB_ID");
  if (array_job && array_task)
    note += cat(" slurm job ", array_job, "_", array_task);
  else if (job)
    note += cat(" slurm job ", job);
  return note;
}

std::vector<SweepRow> collect(const Sweep& sweep, const fs::path& runs_dir) {
  std::vector<SweepRow> rows;
  for (const auto& p : sweep.points) {
    SweepRow r{p, false, 0, 0, model::param_count(p.config.model),
               model::state_size(p.config.model, max_sequence_length(p.config.data, p.id))};
    if (const auto line = finished_line(runs_dir / p.id)) {
      r.finished = true;
      r.accuracy = line->value("valid/accuracy", 0.0);
      r.epochs = line->value("epoch", std::int64_t{0});
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string sweep_csv(const std::vector<SweepRow>& rows) {
  // best: the run with the highest accuracy among the learning rates of its (data, mixer, d_model).
  std::map<std::string, std::size_t> best;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].finished) continue;
    const auto key = point_cell(rows[i].point);
    if (!best.count(key) || rows[i].accuracy > rows[best[key]].accuracy) best[key] = i;
  }
  std::string out = "data,mixer,d_model,lr,params,state_bytes,epochs,accuracy,best\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const auto key = point_cell(r.point);
    char acc[32];
    std::snprintf(acc, sizeof acc, "%.6f", r.accuracy);
    out += cat(r.point.data, ",", r.point.mixer, ",", r.point.d_model, ",", lr_text(r.point.lr), ",", r.params, ",",
               r.state_bytes ? std::to_string(*r.state_bytes) : "", ",", r.finished ? std::to_string(r.epochs) : "", ",",
               r.finished ? acc : "", ",",
               best.count(key) && best[key] == i ? 1 : 0, "\n");
  }
  return out;
}

namespace {

// The best finished run of the cell (data, mixer, d_model) over its learning rates (nullptr when none finished) and
// whether every run of the cell finished.
// A cell the grid does not have (a mixer with its own d_model list) is {nullptr, true}.
std::pair<const SweepRow*, bool> best_of_cell(const std::vector<SweepRow>& rows, const std::string& data,
                                              const std::string& mixer, std::int64_t d) {
  const SweepRow* best = nullptr;
  bool all = true;
  for (const auto& r : rows)
    if (r.point.data == data && r.point.mixer == mixer && r.point.d_model == d) {
      all = all && r.finished;
      if (r.finished && (!best || r.accuracy > best->accuracy)) best = &r;
    }
  return {best, all};
}

std::size_t lrs_of(const std::vector<SweepRow>& rows) {
  std::set<double> lrs;
  for (const auto& r : rows) lrs.insert(r.point.lr);
  return lrs.size();
}

std::string accuracy_cell(const std::pair<const SweepRow*, bool>& cell) {
  char text[64];
  if (cell.first)
    std::snprintf(text, sizeof text, " %.3f (%s)%s |", cell.first->accuracy, lr_text(cell.first->point.lr).c_str(),
                  cell.second ? "" : " *");
  else
    std::snprintf(text, sizeof text, cell.second ? "  |" : " - |");
  return text;
}

}  // namespace

std::string sweep_markdown_tables(const Sweep& sweep, const std::vector<SweepRow>& rows) {
  std::vector<std::string> datas, mixers;
  std::vector<std::int64_t> dims;
  for (const auto& r : rows) {
    if (std::find(datas.begin(), datas.end(), r.point.data) == datas.end()) datas.push_back(r.point.data);
    if (std::find(mixers.begin(), mixers.end(), r.point.mixer) == mixers.end()) mixers.push_back(r.point.mixer);
    if (std::find(dims.begin(), dims.end(), r.point.d_model) == dims.end()) dims.push_back(r.point.d_model);
  }
  std::string out;
  for (const auto& data : datas) {
    out += cat("### ", data, ": valid/accuracy, best over learning rates (the learning rate in brackets)\n\n| mixer |");
    for (auto d : dims) out += cat(" d_model ", d, " |");
    out += "\n|---|";
    for (std::size_t i = 0; i < dims.size(); ++i) out += "---|";
    out += "\n";
    for (const auto& mixer : mixers) {
      out += cat("| ", mixer, " |");
      for (auto d : dims) out += accuracy_cell(best_of_cell(rows, data, mixer, d));
      out += "\n";
    }
    out += "\n";
  }
  for (const auto& data : datas) {
    // The same cells by the model's recurrent state (bytes), smallest first; cells without one last.
    std::vector<const SweepRow*> cells;
    for (const auto& mixer : mixers)
      for (auto d : dims)
        for (const auto& r : rows)
          if (r.point.data == data && r.point.mixer == mixer && r.point.d_model == d) {
            cells.push_back(&r);
            break;
          }
    std::stable_sort(cells.begin(), cells.end(), [](const SweepRow* a, const SweepRow* b) {
      return a->state_bytes.value_or(INT64_MAX) < b->state_bytes.value_or(INT64_MAX);
    });
    out += cat("### ", data, ": valid/accuracy against the recurrent state (bytes: 4 x the layers' zoology ",
               "state_size at the data's sequence length; - where a mixer has none)\n\n",
               "| state bytes | mixer | d_model | params | accuracy (lr) |\n|---|---|---|---|---|\n");
    for (const SweepRow* c : cells)
      out += cat("| ", c->state_bytes ? std::to_string(*c->state_bytes) : "-", " | ", c->point.mixer, " | ",
                 c->point.d_model, " | ", c->params, " |",
                 accuracy_cell(best_of_cell(rows, data, c->point.mixer, c->point.d_model)), "\n");
    out += "\n";
  }
  out += cat(sweep.points.size(), " runs; * = some learning rates of that cell have not finished.\n");
  if (rows.size() != datas.size() * mixers.size() * dims.size() * lrs_of(rows))
    out += "An empty cell is not in the grid (that mixer has its own d_model list); - = no run of it has finished.\n";
  return out;
}

std::vector<SweepRow> write_sweep_tables(const Sweep& sweep, const fs::path& runs_dir, const fs::path& out_dir,
                                         const std::string& owner, const std::function<void()>& also) {
  fs::create_directories(out_dir);
  const auto lock = FileLock::acquire(out_dir / ("." + sweep.name + ".lock"), owner);
  const auto rows = collect(sweep, runs_dir);
  write_text(out_dir / (sweep.name + ".csv"), sweep_csv(rows));
  const auto& oracle = cached_oracle_rows(sweep);
  if (!oracle.empty()) write_text(out_dir / (sweep.name + "-oracle.csv"), oracle_csv(oracle));
  const std::string backend = sweep.points.empty() ? "reference" : sweep.points.front().config.backend;
  write_text(out_dir / (sweep.name + ".md"),
             cat("# Sweep ", sweep.name, "\n\nGenerated by `menagerie sweep` (train/sweep.hpp); do not edit.\n\n",
                 to_markdown(backend_provenance(backend)), "\n", sweep_markdown_tables(sweep, rows),
                 oracle.empty() ? "" : "\n", oracle_markdown(oracle, rows)));
  if (also) also();
  return rows;
}

std::vector<SweepRow> run_sweep(const Sweep& sweep, const SweepOptions& opt) {
  const auto log = [&](const std::string& s) {
    if (opt.log) opt.log(s);
  };
  fs::create_directories(opt.runs_dir / ".locks");
  fs::create_directories(opt.out_dir);
  const std::string owner = process_owner_note();
  std::size_t index = 0;
  for (const auto& p : sweep.points) {
    ++index;
    const std::string head = cat("[", index, "/", sweep.points.size(), "] ", p.id);
    if (finished_line(opt.runs_dir / p.id)) {
      log(cat(head, ": finished, skipped"));
      continue;
    }
    const fs::path lock_path = point_lock_path(opt.runs_dir, p.id);
    const auto lock = FileLock::try_acquire(lock_path, owner);
    if (!lock) {
      log(cat(head, ": being trained by another process (", FileLock::read_note(lock_path), "), left to it"));
      continue;
    }
    log(head);
    TrainOptions t{opt.runs_dir / p.id, opt.progress, opt.log, opt.fault};
    train_run(p.config, t);
    write_sweep_tables(sweep, opt.runs_dir, opt.out_dir, owner);
  }
  return write_sweep_tables(sweep, opt.runs_dir, opt.out_dir, owner);
}

}  // namespace menagerie::train
