// Contract: programmatic input-dependent sparse attention (Zoology, Arora et al. 2023, §5): attention only at the
// positions whose token repeats an earlier token of the sequence (mixer id repeat_lookups). On MQAR those are the
// queries (a query repeats its key; keys and values are distinct within a sequence) and, when the filler is a
// constant token, every filler position after the first: ignore_id (the filler, 0 in MQAR) is never selected.
//   ids [B, T] in [0, V) (the sequence's token ids: data, held in the Problem as ops::embedding's are; the model
//       passes its batch's ids), u [B, T, d] -> y [B, T, d];  H = heads, D = d / H.
//   a = MHA(u): qkv = u Wqkv^T + b_qkv, split "(three h D)", causal softmax attention with scale 1/sqrt(D),
//       a = o Wo^T + b_o                                      (the mha mixer, core/mixers/mha.hpp)   [B, T, d]
//   m_t = 1 iff ids[t] != ignore_id and ids[s] = ids[t] for some s < t; 0 otherwise                  [B, T]
//   y_t = u_t + m_t a_t          (the residual inside the module, as sigmoid_lookups'; the block adds its own)
// Causal: m_t reads ids_{<=t}, a_t reads u_{<=t}. The selection is fixed by the ids (not learned, no gradient).
// Only the selected rows need a query, an attention row and the output projection; keys and values are needed
// at every position (a selected query attends over all earlier positions, selected or not).
// Params 4d^2 + 4d (MHA's). state_size 2 d T: the K and V rows of every position (the KV cache a decoder keeps,
// since any later repeat may attend to any earlier row); the set of ids seen so far (at most min(T, V) integers)
// is bookkeeping, not counted.
// A Problem without ids (sizes only: the model's parameter list, the tables) is valid; the forward needs B T ids.
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/config_key.hpp"
#include "core/contract.hpp"
#include "core/init_law.hpp"
#include "core/mixers/mha.hpp"
#include "core/table_columns.hpp"

namespace menagerie::mixers::repeat_lookups {

struct Problem {
  std::int64_t B = 1, T = 1, d = 1;
  std::int64_t heads = 1;
  std::int64_t V = 1;               // ids lie in [0, V) (the model sets its vocab_size)
  std::int64_t ignore_id = -1;      // never selected (MQAR's filler 0); -1: none
  std::vector<std::int64_t> ids{};  // [B, T] row-major, or empty (sizes only)

  std::int64_t head_dim() const { return d / heads; }
  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && d >= 1 && heads >= 1 && V >= 1, "repeat_lookups: B, T, d, heads, V = ",
                        B, ", ", T, ", ", d, ", ", heads, ", ", V, " must all be >= 1");
    require<ShapeError>(d % heads == 0, "repeat_lookups: d = ", d, " is not divisible by heads = ", heads);
    require<InputError>(ignore_id >= -1, "repeat_lookups: ignore_id = ", ignore_id, " must be >= -1 (-1: none)");
    require<ShapeError>(ids.empty() || static_cast<std::int64_t>(ids.size()) == B * T, "repeat_lookups: ",
                        ids.size(), " token ids given, expected B*T = ", B * T);
    for (std::size_t i = 0; i < ids.size(); ++i)
      require<InputError>(ids[i] >= 0 && ids[i] < V, "repeat_lookups: token id ", ids[i], " at position ", i,
                          " is outside [0, V = ", V, ")");
  }
  // validate(), and the ids are present (what the forward needs).
  void validate_with_ids() const {
    validate();
    require<ShapeError>(!ids.empty(), "repeat_lookups: no token ids given (the model passes its batch's ids)");
  }
};

// m [B, T] as 0/1: position t of sequence b repeats an earlier token of that sequence (and is not ignore_id).
inline std::vector<std::uint8_t> selection(const Problem& p) {
  p.validate_with_ids();
  std::vector<std::uint8_t> m(static_cast<std::size_t>(p.B * p.T), 0);
  for (std::int64_t b = 0; b < p.B; ++b) {
    std::vector<std::uint8_t> seen(static_cast<std::size_t>(p.V), 0);
    for (std::int64_t t = 0; t < p.T; ++t) {
      const auto id = static_cast<std::size_t>(p.ids[static_cast<std::size_t>(b * p.T + t)]);
      m[static_cast<std::size_t>(b * p.T + t)] = seen[id] && static_cast<std::int64_t>(id) != p.ignore_id;
      seen[id] = 1;
    }
  }
  return m;
}

inline mha::Problem attention_problem(const Problem& p) { return {.B = p.B, .T = p.T, .d = p.d, .heads = p.heads}; }

// Test ranges: nn.Linear's default bound 1/sqrt(d) for every weight and bias.
inline std::vector<TensorSpec> tensors(const Problem& p) {
  const double w = 1.0 / std::sqrt(static_cast<double>(p.d));
  return {{"u", {p.B, p.T, p.d}, "B,T,D", Role::input},
          {"Wqkv.weight", {3 * p.d, p.d}, "3D,D", Role::param, -w, w},
          {"Wqkv.bias", {3 * p.d}, "3D", Role::param, -w, w},
          {"out_proj.weight", {p.d, p.d}, "D,D", Role::param, -w, w},
          {"out_proj.bias", {p.d}, "D", Role::param, -w, w},
          {"y", {p.B, p.T, p.d}, "B,T,D", Role::output}};
}

inline std::int64_t param_count(const Problem& p) { return 4 * p.d * p.d + 4 * p.d; }

inline std::optional<std::int64_t> state_size(const Problem& p) { return 2 * p.d * p.T; }

// FLOPs of the sparse evaluation: keys and values at every row (4 d^2), and at each selected row t its query
// (2 d^2), its causal attention row (4 d (t + 1): scores and the weighted values) and the output projection (2 d^2)
// and the residual add (d). Without ids every row counts as selected (the dense upper bound).
inline Cost cost(const Problem& p) {
  const double d = static_cast<double>(p.d);
  const std::vector<std::uint8_t> m = p.ids.empty() ? std::vector<std::uint8_t>(static_cast<std::size_t>(p.B * p.T), 1)
                                                    : selection(p);
  double flops = static_cast<double>(p.B * p.T) * 4.0 * d * d;
  for (std::int64_t i = 0; i < p.B * p.T; ++i)
    if (m[static_cast<std::size_t>(i)]) flops += 4.0 * d * d + 4.0 * d * static_cast<double>(i % p.T + 1) + d;
  const double rows = static_cast<double>(p.B * p.T);
  return {flops, 2.0 * rows * d + static_cast<double>(param_count(p)), 2.5};
}

// A problem whose ids, over vocabulary V, repeat irregularly ((7 i^2 + 3 i + 1) mod V over the flat index i).
inline Problem with_pattern_ids(Problem p) {
  p.ids.clear();
  for (std::int64_t i = 0; i < p.B * p.T; ++i) p.ids.push_back((7 * i * i + 3 * i + 1) % p.V);
  return p;
}

struct Contract {
  static constexpr std::string_view id = "repeat_lookups";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true};
  static constexpr bool reads_token_ids = true;  // the model sets Problem::ids and V (reference/model.hpp)
  static constexpr std::array<std::string_view, 0> frozen{};
  static constexpr std::int64_t Problem::*model_width = &Problem::d;
  static std::vector<ConfigKey<Problem>> config_keys() {
    return {int_key("heads", &Problem::heads, {.fallback = 1, .min = 1}),
            int_key("ignore_id", &Problem::ignore_id, {.fallback = -1, .min = -1})};
  }
  static std::vector<InitLaw> init_laws() { return {}; }  // nn.Linear weights and biases: the generic laws
  // Two layers of 4d^2 + 4d: MHA's 33,280 / 132,096 / 526,336 / 2,101,248 at d = 64..512.
  static std::vector<ParamColumn> param_columns(std::int64_t d, std::int64_t N) {
    const auto layer = model::LayerMixer::of<Contract>({.B = 1, .T = N, .d = d});
    return {{"repeat_lookups", {layer, layer}, 2 * (4 * d * d + 4 * d), {33280, 132096, 526336, 2101248}}};
  }
  static std::vector<StateColumn> state_columns(std::int64_t d, std::int64_t T) {
    return {{"repeat_lookups (2dT)", model::LayerMixer::of<Contract>({.B = 1, .T = T, .d = d})}};
  }
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", with_pattern_ids({.B = 1, .T = T, .d = d, .V = std::max<std::int64_t>(2, T / 4)})}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {with_pattern_ids({.B = 1, .T = 1, .d = 4, .V = 2}),
                              with_pattern_ids({.B = 2, .T = 7, .d = 6, .heads = 2, .V = 4}),
                              with_pattern_ids({.B = 1, .T = 16, .d = 5, .V = 5, .ignore_id = 0}),
                              with_pattern_ids({.B = 1, .T = 13, .d = 6, .heads = 3, .V = 9})};
    if (full)
      g.insert(g.end(), {with_pattern_ids({.B = 1, .T = 97, .d = 8, .heads = 2, .V = 20}),
                         with_pattern_ids({.B = 1, .T = 113, .d = 9, .heads = 3, .V = 50, .ignore_id = 3})});
    return g;
  }
};

}  // namespace menagerie::mixers::repeat_lookups
