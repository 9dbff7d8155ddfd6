// Contract: causal softmax attention, multi-head, optional sliding window (operator id softmax_attention).
//   q, k [B, T, H, D], v [B, T, H, Dv]  ->  o [B, T, H, Dv]
//   S[b,h,t,s] = scale * sum_d q[b,t,h,d] k[b,s,h,d]          for s in W(t) = [max(0, t - w), t]  (w < 0: [0, t])
//   P[b,h,t,:] = softmax over s in W(t) of S[b,h,t,s]          (masked scores are excluded exactly, i.e. -inf;
//                                                               Zoology's additive -10000 underflows to 0 in fp32)
//   o[b,t,h,:] = sum_{s in W(t)} P[b,h,t,s] v[b,s,h,:]
// scale defaults to 1/sqrt(D). Backward (dO given): dV = P^T dO; dP = dO V^T; dS = P (dP - rowsum(dO o));
// dQ = scale dS K; dK = scale dS^T Q.
#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/bench_case.hpp"
#include "core/contract.hpp"

namespace menagerie::ops::softmax_attention {

struct Problem {
  std::int64_t B = 1, T = 1, H = 1, D = 1, Dv = 1;
  std::int64_t window = -1;  // w: t attends to s in [t - w, t]; negative = full causal
  double scale = 0;          // 0 = 1/sqrt(D)

  double softmax_scale() const { return scale != 0 ? scale : 1.0 / std::sqrt(static_cast<double>(D)); }
  // Number of keys visible from query t.
  std::int64_t visible(std::int64_t t) const { return window < 0 ? t + 1 : std::min(t, window) + 1; }
  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && H >= 1 && D >= 1 && Dv >= 1, "softmax_attention: B, T, H, D, Dv = ", B,
                        ", ", T, ", ", H, ", ", D, ", ", Dv, " must all be >= 1");
    require<ShapeError>(std::isfinite(scale) && scale >= 0, "softmax_attention: scale = ", scale,
                        " must be finite and >= 0 (0 means 1/sqrt(D))");
  }
};

inline std::vector<TensorSpec> tensors(const Problem& p) {
  return {{"q", {p.B, p.T, p.H, p.D}, "B,T,H,D", Role::input},
          {"k", {p.B, p.T, p.H, p.D}, "B,T,H,D", Role::input},
          {"v", {p.B, p.T, p.H, p.Dv}, "B,T,H,Dv", Role::input},
          {"o", {p.B, p.T, p.H, p.Dv}, "B,T,H,Dv", Role::output}};
}

// FLOPs: 2 per multiply-add over the visible (t, s) pairs, for S = QK^T (D) and O = PV (Dv).
inline Cost cost(const Problem& p) {
  double pairs = 0;
  for (std::int64_t t = 0; t < p.T; ++t) pairs += static_cast<double>(p.visible(t));
  const double bh = static_cast<double>(p.B * p.H);
  return {2.0 * bh * pairs * static_cast<double>(p.D + p.Dv),
          static_cast<double>(p.B * p.T * p.H) * static_cast<double>(2 * p.D + 2 * p.Dv), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "softmax_attention";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .has_recurrent_form = false, .linear_in_v = true};
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .H = 1, .D = d, .Dv = d, .window = -1, .scale = 0}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .H = 1, .D = 4, .Dv = 4, .window = -1, .scale = 0},
                              {.B = 2, .T = 7, .H = 2, .D = 5, .Dv = 3, .window = -1, .scale = 0},
                              {.B = 1, .T = 16, .H = 1, .D = 8, .Dv = 8, .window = 3, .scale = 0},
                              {.B = 1, .T = 13, .H = 3, .D = 3, .Dv = 6, .window = 0, .scale = 0}};
    if (full)
      g.insert(g.end(), {{.B = 1, .T = 97, .H = 2, .D = 16, .Dv = 16, .window = -1, .scale = 0},
                         {.B = 2, .T = 113, .H = 1, .D = 7, .Dv = 9, .window = 31, .scale = 0.3}});
    return g;
  }
  // The GPU kernels' grid (harness/, every variant on the problems it supports): T = 1, 7, 97, 1000, 1025, 4096;
  // head dims 64 and 128, odd ones (59, 100) and Zoology's one wide head (256, 512, T <= 1024); windows that cut
  // tiles (0, 100, 777) and Dv != D.
  static std::vector<Problem> gpu_grid(bool full) {
    std::vector<Problem> g;
    for (std::int64_t D : {64, 128})
      g.insert(g.end(), {{.B = 2, .T = 1, .H = 2, .D = D, .Dv = D},
                         {.B = 2, .T = 7, .H = 3, .D = D, .Dv = D},
                         {.B = 2, .T = 97, .H = 2, .D = D, .Dv = D},
                         {.B = 1, .T = 97, .H = 2, .D = D, .Dv = D, .window = 0},
                         {.B = 1, .T = 1000, .H = 2, .D = D, .Dv = D},
                         {.B = 1, .T = 1025, .H = 1, .D = D, .Dv = D, .window = 100},
                         {.B = 1, .T = 1025, .H = 2, .D = D, .Dv = D}});
    g.insert(g.end(), {{.B = 1, .T = 4096, .H = 1, .D = 64, .Dv = 64},
                       {.B = 1, .T = 4096, .H = 1, .D = 128, .Dv = 128, .window = 777},
                       {.B = 2, .T = 97, .H = 2, .D = 59, .Dv = 59},
                       {.B = 1, .T = 1000, .H = 1, .D = 100, .Dv = 100, .window = 200},
                       {.B = 2, .T = 113, .H = 1, .D = 100, .Dv = 59},
                       {.B = 2, .T = 97, .H = 1, .D = 256, .Dv = 256},
                       {.B = 1, .T = 1000, .H = 1, .D = 512, .Dv = 512},
                       {.B = 2, .T = 300, .H = 1, .D = 100, .Dv = 59, .window = 64},
                       {.B = 1, .T = 1024, .H = 2, .D = 128, .Dv = 128, .scale = 0.3}});
    if (full)
      g.insert(g.end(), {{.B = 2, .T = 4096, .H = 2, .D = 128, .Dv = 128},
                         {.B = 1, .T = 2049, .H = 3, .D = 64, .Dv = 64, .window = 1000}});
    return g;
  }
  // Benchmarks (bench/kernels_bench.cpp and the PyTorch SDPA peer): B = 8, H = 16 at T = 1k-16k for the flash
  // kernels; a sliding window of 1024 at T = 16k; Zoology's one wide head (H = 1, D = 128 and 512, T = 1024).
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() {
    std::vector<GpuBenchCase<Problem>> c;
    for (std::int64_t D : {64, 128})
      for (std::int64_t T : {1024, 4096, 16384}) {
        const Problem p{.B = 8, .T = T, .H = 16, .D = D, .Dv = D};
        c.push_back({p, {"flash_wgmma_bf16"}, {"fwd"}});  // its backward is flash_tiled_bf16's
        c.push_back({p, {"flash_tiled_bf16"}});
        c.push_back({p, {"flash_tiled_fp32"}, T <= 4096 ? std::vector<std::string_view>{"fwd", "bwd"}
                                                          : std::vector<std::string_view>{"fwd"}});
      }
    c.push_back({{.B = 8, .T = 16384, .H = 16, .D = 64, .Dv = 64, .window = 1024},
                 {"flash_wgmma_bf16", "flash_tiled_bf16"}, {"fwd"}});
    for (std::int64_t D : {128, 512}) c.push_back({{.B = 8, .T = 1024, .H = 1, .D = D, .Dv = D}, {"gemm_cublas_bf16", "gemm_cublas_fp32"}});
    c.push_back({{.B = 8, .T = 1024, .H = 1, .D = 128, .Dv = 128}, {"flash_tiled_bf16", "flash_tiled_fp32"}});
    c.push_back({{.B = 8, .T = 1024, .H = 1, .D = 128, .Dv = 128}, {"flash_wgmma_bf16"}, {"fwd"}});
    return c;
  }
  static BenchFields bench_fields(const Problem& p) {
    BenchFields f = {{"B", p.B}, {"T", p.T}, {"H", p.H}, {"D", p.D}};
    if (p.Dv != p.D) f.emplace_back("Dv", p.Dv);
    if (p.window >= 0) f.emplace_back("window", p.window);
    return f;
  }
};

}  // namespace menagerie::ops::softmax_attention
