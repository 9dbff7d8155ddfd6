// Contract: causal linear attention with a feature map (operator id linear_attention).
//   q, k [B, T, H, F], v [B, T, H, Dv]  ->  o [B, T, H, Dv]
//   Feature map phi: R^F -> R^F' (applied per (b, t, h) row):
//     identity:    phi(x) = x                                                          F' = F
//     taylor_exp:  phi(x) = [1, x / F^{1/4}, vec(x (x) x) / (sqrt(2) sqrt(F))]         F' = 1 + F + F^2
//                  (Based / zoology TaylorExp.forward: all F^2 products, not the symmetric half), so that
//                  phi(q) . phi(k) = 1 + q.k / sqrt(F) + (q.k)^2 / (2F).
//   A[b,h,t,s] = phi(q[b,t,h]) . phi(k[b,s,h])                            for s <= t
//   normalize:   o[b,t,h,:] = sum_{s<=t} A[t,s] v[b,s,h,:] / (sum_{s<=t} A[t,s] + eps)   (Based)
//   otherwise:   o[b,t,h,:] = sum_{s<=t} A[t,s] v[b,s,h,:]                                 (eps unused)
// Recurrent (step) form, the same map: S_t = S_{t-1} + phi(k_t) v_t^T  [F', Dv],  z_t = z_{t-1} + phi(k_t)  [F'],
//   o_t = phi(q_t)^T S_t / (phi(q_t) . z_t + eps)   (or phi(q_t)^T S_t without normalize).
// Backward (dO given; den_t = sum_s A[t,s] + eps, or 1 without normalize):
//   dA[t,s] = (dO_t . v_s - dO_t . o_t) / den_t   (normalize)   or   dO_t . v_s;
//   dv_s = sum_{t>=s} A[t,s] dO_t / den_t;  dphi(q_t) = sum_s dA[t,s] phi(k_s);  dphi(k_s) = sum_t dA[t,s] phi(q_t);
//   then through phi: dx_m = dphi1_m / F^{1/4} + sum_j (dphi2_{m,j} + dphi2_{j,m}) x_j / (sqrt(2) sqrt(F)).
#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bench_case.hpp"
#include "core/contract.hpp"

namespace menagerie::ops::linear_attention {

enum class FeatureMap { identity, taylor_exp };

inline std::string_view to_string(FeatureMap f) { return f == FeatureMap::identity ? "identity" : "taylor_exp"; }

struct Problem {
  std::int64_t B = 1, T = 1, H = 1, F = 1, Dv = 1;
  FeatureMap feature_map = FeatureMap::taylor_exp;
  bool normalize = true;
  double eps = 1e-12;  // added to the denominator (normalize only)

  // F': the length of phi(x).
  std::int64_t expanded_dim() const { return feature_map == FeatureMap::identity ? F : 1 + F + F * F; }
  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && H >= 1 && F >= 1 && Dv >= 1, "linear_attention: B, T, H, F, Dv = ", B,
                        ", ", T, ", ", H, ", ", F, ", ", Dv, " must all be >= 1");
    require<InputError>(feature_map == FeatureMap::identity || feature_map == FeatureMap::taylor_exp,
                        "linear_attention: feature_map = ", static_cast<int>(feature_map),
                        " is not one of identity, taylor_exp");
    require<InputError>(std::isfinite(eps) && eps >= 0, "linear_attention: eps = ", eps,
                        " must be finite and >= 0");
  }
};

// Test ranges: with identity + normalize, q and k are drawn positive so that every denominator is >= eps + 0.01 T
// (a sign-changing denominator makes the map ill-conditioned); taylor_exp's phi(q).phi(k) >= 1/2 always.
inline std::vector<TensorSpec> tensors(const Problem& p) {
  const bool positive = p.feature_map == FeatureMap::identity && p.normalize;
  const double lo = positive ? 0.1 : -1.0;
  return {{"q", {p.B, p.T, p.H, p.F}, "B,T,H,F", Role::input, lo, 1.0},
          {"k", {p.B, p.T, p.H, p.F}, "B,T,H,F", Role::input, lo, 1.0},
          {"v", {p.B, p.T, p.H, p.Dv}, "B,T,H,Dv", Role::input},
          {"o", {p.B, p.T, p.H, p.Dv}, "B,T,H,Dv", Role::output}};
}

// FLOPs of the recurrent (linear-in-T) evaluation, which the kernels implement: per token and head the state update
// phi(k) v^T and the read-out phi(q)^T S (2 F' Dv each), plus the normaliser's update and dot product (4 F').
// The feature map itself (F^2 products for taylor_exp) is counted once per q and k row.
inline Cost cost(const Problem& p) {
  const double Fp = static_cast<double>(p.expanded_dim()), Dv = static_cast<double>(p.Dv);
  const double rows = static_cast<double>(p.B * p.T * p.H);
  const double phi = p.feature_map == FeatureMap::taylor_exp ? 2.0 * Fp : 0.0;
  const double per_token = 4.0 * Fp * Dv + (p.normalize ? 4.0 * Fp + Dv : 0.0) + phi;
  return {rows * per_token, rows * static_cast<double>(2 * p.F + 2 * p.Dv), 2.5};
}

struct Contract {
  static constexpr std::string_view id = "linear_attention";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .has_recurrent_form = true, .linear_in_v = true};
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .H = 1, .F = 16, .Dv = d}}};
  }
  // At T = 1, o = v a / (a + eps) does not depend on q, k unless eps is O(1): that case uses eps = 0.25.
  static std::vector<Problem> test_grid(bool full) {
    using enum FeatureMap;
    std::vector<Problem> g = {
        {.B = 1, .T = 1, .H = 1, .F = 3, .Dv = 2, .feature_map = taylor_exp, .normalize = true, .eps = 0.25},
        {.B = 2, .T = 7, .H = 2, .F = 3, .Dv = 5, .feature_map = taylor_exp, .normalize = true, .eps = 1e-12},
        {.B = 1, .T = 16, .H = 1, .F = 4, .Dv = 3, .feature_map = identity, .normalize = true, .eps = 1e-6},
        {.B = 1, .T = 13, .H = 3, .F = 5, .Dv = 4, .feature_map = identity, .normalize = false, .eps = 0},
        {.B = 1, .T = 16, .H = 2, .F = 2, .Dv = 3, .feature_map = taylor_exp, .normalize = false, .eps = 1e-12}};
    if (full)
      g.insert(g.end(),
               {{.B = 1, .T = 97, .H = 2, .F = 4, .Dv = 16, .feature_map = taylor_exp, .normalize = true, .eps = 1e-12},
                {.B = 2, .T = 113, .H = 1, .F = 7, .Dv = 9, .feature_map = identity, .normalize = true, .eps = 1e-12}});
    return g;
  }
  // The GPU kernels' grid (harness/): Based's F = 8 and 16 around chunked_smem's chunk of 32 tokens (31, 32, 33) and
  // at T = 1 (where o depends on q, k only through an O(1) eps), long sequences, identity maps with and without
  // normalisation, odd F and Dv. Then the feature dims only quadratic takes (F <= 64, Dv <= 127, tiles of 64
  // tokens): Based Fig. 2's F = 24 at T = 1, around the tile (63, 64, 65), at 200 and 1000 (2048 in the full tier);
  // F = 5, 32 (unnormalised), 33, 48, 64 and identity F = 24, 40, with and without normalisation; every register
  // tiling of the kernel (F <= 16, 32, 64 by Dv + 1 <= 32, 80, 128).
  static std::vector<Problem> gpu_grid(bool full) {
    using enum FeatureMap;
    std::vector<Problem> g;
    for (std::int64_t F : {8, 16})
      for (std::int64_t T : {1, 7, 31, 32, 33, 97})
        g.push_back({.B = 2, .T = T, .H = 2, .F = F, .Dv = T == 97 ? 64 : 37, .eps = T == 1 ? 0.25 : 1e-12});
    g.insert(g.end(), {{.B = 1, .T = 1000, .H = 1, .F = 16, .Dv = 64},
                       {.B = 1, .T = 1025, .H = 2, .F = 8, .Dv = 64},
                       {.B = 2, .T = 97, .H = 2, .F = 16, .Dv = 16, .normalize = false, .eps = 0},
                       {.B = 2, .T = 97, .H = 3, .F = 5, .Dv = 24, .feature_map = identity, .eps = 1e-6},
                       {.B = 1, .T = 200, .H = 2, .F = 16, .Dv = 64, .feature_map = identity, .normalize = false}});
    g.insert(g.end(), {{.B = 2, .T = 1, .H = 2, .F = 24, .Dv = 37, .eps = 0.25},
                       {.B = 2, .T = 63, .H = 2, .F = 24, .Dv = 64},
                       {.B = 1, .T = 64, .H = 3, .F = 24, .Dv = 64},
                       {.B = 2, .T = 65, .H = 1, .F = 24, .Dv = 24},
                       {.B = 2, .T = 200, .H = 2, .F = 24, .Dv = 64},
                       {.B = 1, .T = 1000, .H = 1, .F = 24, .Dv = 64},
                       {.B = 2, .T = 129, .H = 2, .F = 5, .Dv = 90},
                       {.B = 1, .T = 97, .H = 2, .F = 32, .Dv = 64, .normalize = false, .eps = 0},
                       {.B = 2, .T = 97, .H = 1, .F = 33, .Dv = 9},
                       {.B = 1, .T = 191, .H = 1, .F = 48, .Dv = 50},
                       {.B = 1, .T = 70, .H = 1, .F = 64, .Dv = 127},
                       {.B = 1, .T = 150, .H = 2, .F = 40, .Dv = 100, .feature_map = identity, .eps = 1e-6},
                       {.B = 1, .T = 130, .H = 1, .F = 24, .Dv = 120, .feature_map = identity, .normalize = false}});
    if (full)
      g.insert(g.end(),
               {{.B = 1, .T = 4096, .H = 1, .F = 16, .Dv = 64}, {.B = 1, .T = 2048, .H = 1, .F = 24, .Dv = 64}});
    return g;
  }
  // Benchmarks (bench/kernels_bench.cpp and the PyTorch peer of Zoology's Based math): Based's shape, F = 16,
  // Dv = 64, B = 8, H = 16, T = 1k-16k, forward, backward and the two together (what an autograd step does). Then
  // the GPU trainer's steps, forward and backward together, by chunked_smem and by quadratic (which of them is faster
  // at short T): Based at d_model 512 (one head of Dv 512 = 8 column blocks of 64, so H = 8) at bench/train_steps'
  // (B, T) = (512, 64), (256, 256), (128, 512), F = 16; and Based Fig. 2's F = 24 at d_model 64 (B 256, T 256).
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() {
    std::vector<GpuBenchCase<Problem>> c;
    for (std::int64_t T : {1024, 4096, 16384})
      c.push_back({{.B = 8, .T = T, .H = 16, .F = 16, .Dv = 64}, {"chunked_smem"}, {"fwd", "bwd", "fwdbwd"}});
    for (const auto& [B, T] : {std::pair<std::int64_t, std::int64_t>{512, 64}, {256, 256}, {128, 512}})
      c.push_back({{.B = B, .T = T, .H = 8, .F = 16, .Dv = 64}, {"chunked_smem", "quadratic"}, {"fwdbwd"}});
    c.push_back({{.B = 256, .T = 256, .H = 1, .F = 24, .Dv = 64}, {"quadratic"}, {"fwdbwd"}});
    return c;
  }
  static BenchFields bench_fields(const Problem& p) {
    BenchFields f = {{"B", p.B}, {"T", p.T}, {"H", p.H}, {"F", p.F}, {"Dv", p.Dv}};
    if (p.feature_map != FeatureMap::taylor_exp) f.emplace_back("identity", 1);
    if (!p.normalize) f.emplace_back("unnormalized", 1);
    return f;
  }
};

}  // namespace menagerie::ops::linear_attention
