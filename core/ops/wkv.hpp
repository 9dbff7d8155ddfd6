// Contract: the RWKV-4 WKV recurrence (operator id wkv), per channel d, as zoology's RWKVTimeMixer calls it.
//   k, v [B, T, D], time_decay [D], time_first [D]  ->  y [B, T, D]
//   w_d = exp(time_decay[d]) > 0,  b_d = time_first[d] (the "bonus" of the current token)
//   y[b,t,d] = ( sum_{s<t} e^{-(t-1-s) w_d + k[b,s,d]} v[b,s,d] + e^{b_d + k[b,t,d]} v[b,t,d] )
//            / ( sum_{s<t} e^{-(t-1-s) w_d + k[b,s,d]}            + e^{b_d + k[b,t,d]}            )
// Two forms, equal in exact arithmetic:
//   plain (reference_forward): the direct sums above; overflows once k (or b + k) leaves the exp range of T.
//   stable (reference_step / reference_forward_recurrent): the official CUDA kernel's recurrence. State per (b, d):
//   p, q = numerator and denominator sums over s < t, both scaled by e^{-o}, and the running max exponent o
//   (p = q = 0, o = -inf before the first token). For token t with bk = b + k_t:
//     m = max(o, bk);          y_t = (e^{o-m} p + e^{bk-m} v_t) / (e^{o-m} q + e^{bk-m})
//     m' = max(o - w, k_t);    p <- e^{o-w-m'} p + e^{k_t-m'} v_t;  q <- e^{o-w-m'} q + e^{k_t-m'};  o <- m'
// Zoology passes w = -exp(time_decay) to the kernel and rounds y to bf16 (RWKV_FLOAT_MODE=bf16); this contract and
// its reference compute y exactly in the scalar type, without that rounding.
// Backward (dy given; P[t,s] = the normalized weight of token s in y_t, a softmax over s <= t of the exponents):
//   dv_s = sum_{t>=s} dy_t P[t,s];  dk_s = sum_{t>=s} dy_t P[t,s] (v_s - y_t);
//   dtime_first = sum_{b,t} dy_t P[t,t] (v_t - y_t);
//   dtime_decay = -w sum_{b,t} sum_{s<t} (t-1-s) dy_t P[t,s] (v_s - y_t).
// In the contract time_decay and time_first are inputs (they are the mixer's parameters, rwkv.hpp).
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/bench_case.hpp"
#include "core/contract.hpp"

namespace menagerie::ops::wkv {

struct Problem {
  std::int64_t B = 1, T = 1, D = 1;  // D = channels (the model width of the mixer)

  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && D >= 1, "wkv: B, T, D = ", B, ", ", T, ", ", D, " must all be >= 1");
  }
};

inline std::vector<TensorSpec> tensors(const Problem& p) {
  return {{"k", {p.B, p.T, p.D}, "B,T,D", Role::input},
          {"v", {p.B, p.T, p.D}, "B,T,D", Role::input},
          {"time_decay", {p.D}, "D", Role::input, -2, 1},  // w in [0.14, 2.7]
          {"time_first", {p.D}, "D", Role::input},
          {"y", {p.B, p.T, p.D}, "B,T,D", Role::output}};
}

// FLOPs: 23 per (b, t, d) for the stable step (17 add/mul/div, 2 max, 4 exp); k, v, y move once, params once.
inline Cost cost(const Problem& p) {
  const double n = static_cast<double>(p.B * p.T * p.D);
  return {23.0 * n, 3.0 * n + 2.0 * static_cast<double>(p.D), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "wkv";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .has_recurrent_form = true, .linear_in_v = true};
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .D = d}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .D = 3}, {.B = 2, .T = 7, .D = 5}, {.B = 1, .T = 16, .D = 4},
                              {.B = 2, .T = 13, .D = 1}};
    if (full) g.insert(g.end(), {{.B = 1, .T = 97, .D = 4}, {.B = 2, .T = 113, .D = 3}});
    return g;
  }
  // GPU conformance (harness/kernels.hpp): T = 1, 7, 97, 1000, 1025, 4096, 16384 (65536 in the full grid); chunk edges of the 16-token
  // checkpoints (15, 16, 17, 33); channel counts that are not multiples of the 64-channel block (1, 3, 5, 65, 130);
  // B > 1. The reference is O(T^2) per channel, so the long sequences keep few channels.
  static std::vector<Problem> gpu_grid(bool full) {
    std::vector<Problem> g = {{.B = 3, .T = 1, .D = 5},     {.B = 2, .T = 7, .D = 3},     {.B = 2, .T = 15, .D = 65},
                              {.B = 2, .T = 16, .D = 64},   {.B = 3, .T = 17, .D = 1},    {.B = 2, .T = 33, .D = 130},
                              {.B = 2, .T = 97, .D = 129},  {.B = 1, .T = 1000, .D = 130}, {.B = 2, .T = 1025, .D = 65},
                              {.B = 2, .T = 4096, .D = 5},  {.B = 1, .T = 16384, .D = 1}};
    if (full) g.insert(g.end(), {{.B = 64, .T = 128, .D = 256}, {.B = 1, .T = 65536, .D = 1}});
    return g;
  }
  // The error against the double reference as T grows (menagerie bench recurrent).
  static std::vector<Problem> gpu_error_sweep() {
    std::vector<Problem> g;
    for (std::int64_t T : {256, 1024, 4096, 16384, 65536}) g.push_back({.B = 1, .T = T, .D = 1});
    return g;
  }
  // Benchmarks (bench/kernels_bench.cpp): RWKV's shapes (B = 8, D = 1024, T = 1k-16k) and Zoology's training shapes
  // (B = 256, T = 64-512, d_model 64-512).
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() {
    std::vector<GpuBenchCase<Problem>> c;
    const std::vector<std::string_view> all = {"fwd", "bwd", "fwdbwd"};
    for (std::int64_t T : {1024, 2048, 4096, 8192, 16384}) c.push_back({{.B = 8, .T = T, .D = 1024}, {}, all});
    for (std::int64_t d : {64, 128, 256, 512})
      for (std::int64_t T : {64, 256, 512}) c.push_back({{.B = 256, .T = T, .D = d}, {}, all});
    return c;
  }
  static BenchFields bench_fields(const Problem& p) { return {{"B", p.B}, {"T", p.T}, {"D", p.D}}; }
};

}  // namespace menagerie::ops::wkv
