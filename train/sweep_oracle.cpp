// The sweep's sliding-window oracle rows (the definitions are in sweep_oracle.hpp).
#include "train/sweep_oracle.hpp"

#include <cstdio>
#include <map>
#include <memory>

#include "core/mixers/base_conv.hpp"
#include "core/mixers/sliding_attn.hpp"
#include "synthetics/window_oracle.hpp"

namespace menagerie::train {

namespace {

std::optional<std::int64_t> layer_reach(const model::LayerMixer& m) {
  if (const auto p = m.problem<mixers::sliding_attn::Problem>(1, 1)) return p->window;
  if (const auto p = m.problem<mixers::base_conv::Problem>(1, 1))
    if (p->conv == mixers::base_conv::Conv::short_conv) return p->kernel_size - 1;
  return std::nullopt;
}

// The window of the first sliding_attn layer; nullopt when there is none.
std::optional<std::int64_t> first_window(const model::Config& c) {
  for (const auto& m : c.mixers)
    if (const auto p = m.problem<mixers::sliding_attn::Problem>(1, 1)) return p->window;
  return std::nullopt;
}

std::vector<std::int64_t> line_windows(std::int64_t longest) {
  std::vector<std::int64_t> w = {1};
  for (std::int64_t p = 2; p <= longest; p *= 2) {
    w.push_back(p);
    if (p + p / 2 <= longest) w.push_back(p + p / 2);
  }
  return w;
}

}  // namespace

std::optional<std::int64_t> model_reach(const model::Config& c) {
  std::int64_t reach = 0;
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    const auto r = layer_reach(c.mixer(l));
    if (!r) return std::nullopt;
    reach += *r;
  }
  return reach;
}

model::Config with_window(const model::Config& c, std::int64_t w) {
  model::Config out = c;
  for (auto& m : out.mixers)
    if (auto p = m.problem<mixers::sliding_attn::Problem>(1, 1)) {
      p->window = w;
      m = model::LayerMixer::of<mixers::sliding_attn::Contract>(*p);
    }
  return out;
}

std::vector<OracleRow> window_oracle_rows(const Sweep& sweep) {
  std::vector<OracleRow> rows;
  std::map<std::string, std::unique_ptr<synthetics::MqarWindowOracle>> oracles;  // by data name
  std::map<std::string, bool> line_done;                                          // "data|d_model"
  for (const auto& p : sweep.points) {
    const auto& model = p.config.model;
    const auto window = first_window(model);
    const auto reach = model_reach(model);
    if (!window || !reach) continue;
    auto& oracle = oracles[p.data];
    if (!oracle)
      oracle = std::make_unique<synthetics::MqarWindowOracle>(synthetics::build_test_segments(p.config.data));
    const std::int64_t longest = max_sequence_length(p.config.data, p.id);
    const auto bytes = [&](const model::Config& c) { return model::state_size(c, longest).value_or(0); };
    const std::string cell = point_cell(p);
    if (!line_done.count(cell)) {
      line_done[cell] = true;
      rows.push_back({p.data, "point", p.mixer, p.d_model, *window, *reach, bytes(model), oracle->accuracy(*reach)});
    }
    const std::string line = cat(p.data, "|", p.d_model);
    if (line_done.count(line)) continue;
    line_done[line] = true;
    for (const auto w : line_windows(longest)) {
      const auto c = with_window(model, w);
      const auto r = *model_reach(c);
      rows.push_back({p.data, "line", p.mixer, p.d_model, w, r, bytes(c), oracle->accuracy(r)});
    }
  }
  return rows;
}

std::string oracle_csv(const std::vector<OracleRow>& rows) {
  std::string out = "data,kind,mixer,d_model,window,reach,state_bytes,oracle_accuracy\n";
  for (const auto& r : rows) {
    char acc[32];
    std::snprintf(acc, sizeof acc, "%.6f", r.accuracy);
    out += cat(r.data, ",", r.kind, ",", r.mixer, ",", r.d_model, ",", r.window, ",", r.reach, ",", r.state_bytes,
               ",", acc, "\n");
  }
  return out;
}

std::string oracle_markdown(const std::vector<OracleRow>& oracle, const std::vector<SweepRow>& rows) {
  std::string out, data;
  for (const auto& o : oracle) {
    if (o.kind != "point") continue;
    if (o.data != data) {
      data = o.data;
      out += cat("### ", data, ": sliding-window models against the exact window oracle (synthetics/",
                 "window_oracle.hpp: the best any model seeing inputs t - reach .. t can score on this test mix)\n\n",
                 "| mixer | d_model | window | reach | state bytes | oracle | best trained (lr) | trained - oracle |\n",
                 "|---|---|---|---|---|---|---|---|\n");
    }
    const SweepRow* best = nullptr;
    bool all = true;
    for (const auto& r : rows)
      if (r.point.data == o.data && r.point.mixer == o.mixer && r.point.d_model == o.d_model) {
        all = all && r.finished;
        if (r.finished && (!best || r.accuracy > best->accuracy)) best = &r;
      }
    char text[160];
    if (best)
      std::snprintf(text, sizeof text, " %.4f | %.4f (%g)%s | %+.4f |", o.accuracy, best->accuracy, best->point.lr,
                    all ? "" : " *", best->accuracy - o.accuracy);
    else
      std::snprintf(text, sizeof text, " %.4f | - | - |", o.accuracy);
    out += cat("| ", o.mixer, " | ", o.d_model, " | ", o.window, " | ", o.reach, " | ", o.state_bytes, " |", text,
               "\n");
  }
  return out.empty() ? out : out + "\n";
}

}  // namespace menagerie::train
