// The sliding-window oracle of a sweep (Based Fig. 2's SWA line): for every grid model whose layers all have a
// bounded reach and one of which is sliding_attn, the exact MQAR window oracle (synthetics/window_oracle.hpp) on
// the point's own test mix (the same segments and seeds the trainer evaluates), at the model's reach.
//   reach(model) = sum over layers l of reach(mixer_l):  sliding_attn: window w (it sees s in [t - w, t]);
//                  base_conv with a short conv of K taps: K - 1;  any other mixer: unbounded (no oracle).
//   Hybrid(BaseConv k3, SWA w), 2 layers: reach = w + 2.
//   state bytes = model::state_size of the same config (SWA: 4 x (2 w d + d K) for that hybrid at width d).
// Rows: kind "point": each such (data, mixer, d_model) of the grid at its own window; kind "line": for each data set
// and d_model, the first such mixer with its sliding_attn windows set to w = 1, 2, 3, 4, 6, 8, 12, ... (2^k and
// 3 x 2^k) up to the data's longest sequence, the line Based Fig. 2's SWA points must land on.
// Written beside the sweep's tables as <name>-oracle.csv (data, kind, mixer, d_model, window, reach, state_bytes,
// oracle_accuracy) and a Markdown section comparing each point's best trained accuracy to its oracle.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model_config.hpp"
#include "train/sweep.hpp"

namespace menagerie::train {

struct OracleRow {
  std::string data, kind, mixer;
  std::int64_t d_model = 0, window = 0, reach = 0, state_bytes = 0;
  double accuracy = 0;
};

// The model's reach (above); nullopt when a layer is unbounded.
std::optional<std::int64_t> model_reach(const model::Config& c);
// The config with every sliding_attn mixer's window set to w.
model::Config with_window(const model::Config& c, std::int64_t w);

// Empty when no grid model qualifies (then no test data is generated).
std::vector<OracleRow> window_oracle_rows(const Sweep& sweep);
std::string oracle_csv(const std::vector<OracleRow>& rows);
// Per data set: the points' oracle against the best trained accuracy of the same cell (rows from collect()).
std::string oracle_markdown(const std::vector<OracleRow>& oracle, const std::vector<SweepRow>& rows);

}  // namespace menagerie::train
