// Contract: input-dependent sparse attention (Zoology, Arora et al. 2023, §5), as zoology codes its learned
// selection: zoology.mixers.selective.SigmoidLookups (mixer id sigmoid_lookups), dropout off.
//   u [B, T, d] -> y [B, T, d];  H = heads, D = d / H.
//   a = MHA(u): qkv = u Wqkv^T + b_qkv, split "(three h D)", causal softmax attention with scale 1/sqrt(D),
//       a = o Wo^T + b_o                                     (the mha mixer, core/mixers/mha.hpp)   [B, T, d]
//   g_t = sigmoid(w . u_t)   selecting.weight w [1, d], no bias                                     [B, T]
//   training mode (module.training):  y_t = u_t + g_t a_t        (the residual is inside the module)
//   inference mode (module.eval()):   y_t = u_t + m_t g_t a_t, m_t = 1 for the k positions of each sequence with
//       the largest g (k = n_lookups, or ceil(sqrt(T)) when n_lookups is None), 0 elsewhere: the other T - k
//       positions return u_t unchanged, so only k queries need an attention row (O(T sqrt T) at k = sqrt T).
// Causality: training mode is causal (g_t and a_t read u_{<=t}). Inference mode is NOT: m_t depends on the scores of
//   every position of the sequence, later ones included (zoology applies torch.topk over dim 1 of the whole
//   sequence, no mask), so a later token can switch an earlier output between u_t and u_t + g_t a_t. Given the set
//   of selected positions, each selected output still reads only u_{<=t}. Traits.causal describes training mode,
//   the only mode of the test grid and of the trainer; `inference` is not a config key.
// Auxiliary loss (training): selection_penalty ReLU(mean_{b,t} g - n/T), n = n_lookups or sqrt(T) (real, not
//   rounded), the mean over the whole batch. Declared by has_auxiliary_loss (reference/model.hpp): the model adds
//   it to the training loss of each sigmoid_lookups layer (reference/sigmoid_lookups.hpp computes it and its
//   gradient); selection_penalty is the config key, 0.001 by default as in zoology.
// Parameters are named as the module's state_dict. Params 4d^2 + 5d. state_size 2 d T: zoology defines none for
// this module; the selected queries attend over every earlier position, so the KV cache is MHA's.
#pragma once
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

namespace menagerie::mixers::sigmoid_lookups {

// ceil(sqrt(n)) in integers (zoology's math.ceil(math.sqrt(l)), exact for every n that fits).
inline std::int64_t ceil_sqrt(std::int64_t n) {
  std::int64_t r = static_cast<std::int64_t>(std::sqrt(static_cast<double>(n)));
  while (r * r > n) --r;
  while (r * r < n) ++r;
  return r;
}

struct Problem {
  std::int64_t B = 1, T = 1, d = 1;
  std::int64_t heads = 1;         // zoology num_heads
  std::int64_t n_lookups = 0;     // zoology n_lookups; 0 stands for None (sqrt(T) in the loss, ceil(sqrt T) top-k)
  double selection_penalty = 0.001;
  bool inference = false;         // zoology's eval() forward: top-k selection (not causal; not a config key)

  std::int64_t head_dim() const { return d / heads; }
  // The number of positions that receive attention in inference mode.
  std::int64_t top_k() const { return n_lookups > 0 ? n_lookups : ceil_sqrt(T); }
  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && d >= 1 && heads >= 1, "sigmoid_lookups: B, T, d, heads = ", B, ", ", T,
                        ", ", d, ", ", heads, " must all be >= 1");
    require<ShapeError>(d % heads == 0, "sigmoid_lookups: d = ", d, " is not divisible by heads = ", heads);
    require<InputError>(n_lookups >= 0, "sigmoid_lookups: n_lookups = ", n_lookups, " must be >= 0 (0: None)");
    require<InputError>(!inference || top_k() <= T, "sigmoid_lookups: n_lookups = ", n_lookups,
                        " exceeds the sequence length T = ", T, " (torch.topk's k must be <= T)");
    require<InputError>(std::isfinite(selection_penalty) && selection_penalty >= 0,
                        "sigmoid_lookups: selection_penalty = ", selection_penalty, " must be finite and >= 0");
  }
};

inline mha::Problem attention_problem(const Problem& p) { return {.B = p.B, .T = p.T, .d = p.d, .heads = p.heads}; }

// Test ranges: nn.Linear's default bound 1/sqrt(d) for every weight and bias.
inline std::vector<TensorSpec> tensors(const Problem& p) {
  const double w = 1.0 / std::sqrt(static_cast<double>(p.d));
  return {{"u", {p.B, p.T, p.d}, "B,T,D", Role::input},
          {"Wqkv.weight", {3 * p.d, p.d}, "3D,D", Role::param, -w, w},
          {"Wqkv.bias", {3 * p.d}, "3D", Role::param, -w, w},
          {"selecting.weight", {1, p.d}, "1,D", Role::param, -w, w},
          {"out_proj.weight", {p.d, p.d}, "D,D", Role::param, -w, w},
          {"out_proj.bias", {p.d}, "D", Role::param, -w, w},
          {"y", {p.B, p.T, p.d}, "B,T,D", Role::output}};
}

inline std::int64_t param_count(const Problem& p) { return 4 * p.d * p.d + 5 * p.d; }

inline std::optional<std::int64_t> state_size(const Problem& p) { return 2 * p.d * p.T; }

// FLOPs as zoology computes it (the full attention in both modes): MHA's, plus the score (2d), its sigmoid (~4) and
// the gated residual (2d) per row.
inline Cost cost(const Problem& p) {
  const Cost a = mha::cost(attention_problem(p));
  const double rows = static_cast<double>(p.B * p.T), d = static_cast<double>(p.d);
  return {a.flops + rows * (4.0 * d + 4.0), 2.0 * rows * d + static_cast<double>(param_count(p)), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "sigmoid_lookups";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true};  // training mode; inference mode is not causal (above)
  static constexpr bool has_auxiliary_loss = true;
  static constexpr std::array<std::string_view, 0> frozen{};
  static constexpr std::int64_t Problem::*model_width = &Problem::d;
  static std::vector<ConfigKey<Problem>> config_keys() {
    return {int_key("heads", &Problem::heads, {.fallback = 1, .min = 1}),
            int_key("n_lookups", &Problem::n_lookups, {.fallback = 0, .min = 0}),
            real_key("selection_penalty", &Problem::selection_penalty, {.fallback = 0.001, .min = 0})};
  }
  static std::vector<InitLaw> init_laws() { return {}; }  // nn.Linear weights and biases: the generic laws
  // Two layers of 4d^2 + 5d: 33,408 / 132,352 / 526,848 / 2,102,272 at d = 64..512 (the spec's table has no
  // column for it: counted by hand from the module's constructor, MHA's 4d^2 + 4d plus selecting's d).
  static std::vector<ParamColumn> param_columns(std::int64_t d, std::int64_t N) {
    const auto layer = model::LayerMixer::of<Contract>({.B = 1, .T = N, .d = d});
    return {{"sigmoid_lookups", {layer, layer}, 2 * (4 * d * d + 5 * d), {33408, 132352, 526848, 2102272}}};
  }
  static std::vector<StateColumn> state_columns(std::int64_t d, std::int64_t T) {
    return {{"sigmoid_lookups (2dT)", model::LayerMixer::of<Contract>({.B = 1, .T = T, .d = d})}};
  }
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .d = d}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .d = 4}, {.B = 2, .T = 7, .d = 6, .heads = 2},
                              {.B = 1, .T = 16, .d = 5, .n_lookups = 3}, {.B = 1, .T = 13, .d = 6, .heads = 3}};
    if (full) g.insert(g.end(), {{.B = 1, .T = 97, .d = 8, .heads = 2}, {.B = 1, .T = 113, .d = 9, .heads = 3}});
    return g;
  }
};

}  // namespace menagerie::mixers::sigmoid_lookups
