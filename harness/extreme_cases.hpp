// The extreme-input cases of the recurrent operators (issue 15), in one place for verify/recurrent_gpu_test.cpp (each
// case must pass the tolerance rule) and kernels_bench --error-out (the error against the decay range, a table of
// reports/throughput-recurrent.md). A case multiplies named inputs after the contract's O(1) draw
// (harness::check_accuracy's `scale`), at one problem per operator:
//   selective_scan, B = 2, T = 4096, D = 3, N = 16: delta is drawn in [0.05, 1] and A in [-1.5, -0.1], so delta A
//     spans -1.5..-0.005 and the decay a = exp(delta A) sits in 0.22..0.995. delta scaled by 1e-4 .. 1e2 in decades
//     moves delta A to -1.5e-4..-5e-7 (a within 1.5e-4 of 1: the state sums all 4096 tokens) up to -150..-0.5
//     (a from e^-150, below fp32's smallest normal, to 0.6); delta x 1e-3 with A x 0.1 (decays nearest 1 with
//     delta still O(1e-3)); A x 30 and delta x 1e2 with A x 30 (exp(delta A) underflows to 0); x of magnitude 1e3,
//     alone and with B x 1e-3, C x 1e3 (state and output magnitudes apart);
//   wkv, B = 2, T = 4096, D = 3: time_decay is drawn in [-2, 1], so w = exp(time_decay) spans e^-2..e^1; time_decay
//     x 3 and x 10 stretch w to e^-6..e^3 and e^-20..e^10 (no decay over 4096 tokens, and a decay that forgets in
//     one token); time_first (drawn in [-1, 1]) x 1e2 and x -1e2 (the bonus of the current token e^{+-100}: y_t is
//     v_t, or ignores v_t, to fp32 precision; at x 1e3 the double oracle, the direct sum, overflows e^{u + k}); k x
//     1e2 (e^k overflows fp32 without the running maximum), alone and with time_first x 1e2; v x 1e3.
#pragma once
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "core/ops/selective_scan.hpp"
#include "core/ops/wkv.hpp"

namespace menagerie::harness {

using InputScale = std::map<std::string, double>;  // input name -> factor

// "A x0.1, delta x0.001": a case's label in the test's lines and the report's rows.
inline std::string scale_label(const InputScale& s) {
  std::string out;
  for (const auto& [name, f] : s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", f);
    out += (out.empty() ? "" : ", ") + name + " x" + buf;
  }
  return out;
}

// ExtremeCases<Problem>::problem() and ::cases(), for an operator that has them; empty otherwise.
template <class P>
struct ExtremeCases {};

template <>
struct ExtremeCases<ops::selective_scan::Problem> {
  static ops::selective_scan::Problem problem() { return {.B = 2, .T = 4096, .D = 3, .N = 16}; }
  static std::vector<InputScale> cases() {
    std::vector<InputScale> c;
    for (double f : {1e-4, 1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2}) c.push_back({{"delta", f}});
    c.push_back({{"delta", 1e-3}, {"A", 0.1}});
    c.push_back({{"A", 30}});
    c.push_back({{"delta", 1e2}, {"A", 30}});
    c.push_back({{"x", 1e3}});
    c.push_back({{"x", 1e3}, {"B", 1e-3}, {"C", 1e3}});
    return c;
  }
};

template <>
struct ExtremeCases<ops::wkv::Problem> {
  static ops::wkv::Problem problem() { return {.B = 2, .T = 4096, .D = 3}; }
  static std::vector<InputScale> cases() {
    return {{{"time_decay", 3}},  {{"time_decay", 10}},      {{"time_first", 1e2}},
            {{"time_first", -1e2}}, {{"k", 1e2}},            {{"k", 1e2}, {"time_first", 1e2}},
            {{"v", 1e3}}};
  }
};

template <class P>
constexpr bool has_extreme_cases = requires { ExtremeCases<P>::cases(); };

}  // namespace menagerie::harness
