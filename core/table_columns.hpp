// The columns a mixer contract adds to `menagerie theory`'s parameter and state-size tables (docs/mixers.md §2.2;
// cli/theory_params.cpp iterates the registry's mixers and prints them in registry order):
//   static std::vector<ParamColumn> param_columns(std::int64_t d, std::int64_t N)
//       Zoology's 2-layer stack at width d and sequence length N (Based Fig. 2), the spec's per-layer formulas
//       summed, and the spec's table values at d = 64, 128, 256, 512 (N = 256); empty when the spec's table has no
//       column for the mixer.
//   static std::vector<StateColumn> state_columns(std::int64_t d)
//       the layer whose state_size (at the table's sequence length) fills the column.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/layer_mixer.hpp"

namespace menagerie {

inline constexpr std::array<std::int64_t, 4> table_widths = {64, 128, 256, 512};

struct ParamColumn {
  std::string_view label;
  std::vector<model::LayerMixer> layers;  // the 2-layer stack; the cell is the sum of their param_count
  std::int64_t formula;                   // the spec's per-layer formulas, summed, at this d and N
  std::array<std::int64_t, 4> spec;       // the spec's table at d = table_widths, N = 256
};

struct StateColumn {
  std::string_view label;
  model::LayerMixer layer;
};

}  // namespace menagerie
