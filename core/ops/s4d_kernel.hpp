// Contract: S4D-Lin convolution-kernel generation with bilinear discretization (operator id s4d_kernel), as
// Zoology's H3 computes it (SSKernel mode "diag", measure "diag-lin", SSKernelDiag with disc = "bilinear",
// real_type = "exp"; names as its state_dict):
//   log_dt [H], inv_A_real [H, N/2], A_imag [H, N/2], B [H, N/2, 2], C [H, N/2, 2] (last axis = real, imaginary)
//   ->  K [H, T]   (the kernel length is the sequence length T it serves; Zoology's L)
//   Δ = exp(log_dt[h]);  A_n = −exp(inv_A_real[h,n]) + i A_imag[h,n];  x_n = Δ A_n;  q_n = 1 / (1 − x_n/2)
//   Ā_n = (1 + x_n/2) q_n;   C′_n = B_n C_n Δ q_n                               (B_n, C_n complex)
//   K[h,ℓ] = 2 Re sum_{n < N/2} C′_n Ā_n^ℓ                                       ℓ = 0..T−1
// (Zoology's C carries a leading channel axis of size 1: [1, H, N/2, 2]; its layout is the same.)
// Backward (dK given; complex derivatives of the holomorphic parts, Λ = Re sum_n C′_n S_n):
//   S_n = 2 sum_ℓ dK[ℓ] Ā_n^ℓ,  S′_n = 2 sum_ℓ ℓ dK[ℓ] Ā_n^(ℓ−1);   dĀ/dx = q², dC′/dx = B C Δ q²/2
//   g_x = S B C Δ q²/2 + C′ S′ q²;  g_B = S C Δ q;  g_C = S B Δ q
//   dB = (Re g_B, −Im g_B), dC likewise;  dinv_A_real = −Δ exp(a) Re g_x;  dA_imag = −Δ Im g_x;
//   dlog_dt = Δ sum_n Re(g_x A_n + S_n B_n C_n q_n).
// Not a sequence map: traits.causal is false.
#pragma once
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string_view>
#include <vector>

#include "core/bench_case.hpp"
#include "core/contract.hpp"

namespace menagerie::ops::s4d_kernel {

struct Problem {
  std::int64_t H = 1;  // independent SSMs (heads)
  std::int64_t N = 2;  // state size d_state (even): N/2 complex modes, their conjugates implied by 2 Re
  std::int64_t T = 1;  // kernel length

  std::int64_t modes() const { return N / 2; }
  void validate() const {
    require<ShapeError>(H >= 1 && T >= 1, "s4d_kernel: H, T = ", H, ", ", T, " must be >= 1");
    require<ShapeError>(N >= 2 && N % 2 == 0, "s4d_kernel: state size N = ", N, " must be even and >= 2");
  }
};

// Ranges: Δ in [0.01, 0.2], Re A in [−1.65, −0.37] (stable, |Ā| < 1), Im A in [−4, 4], B and C O(1).
inline std::vector<TensorSpec> tensors(const Problem& p) {
  const std::int64_t M = p.modes();
  return {{"log_dt", {p.H}, "H", Role::param, -4.6, -1.6},
          {"inv_A_real", {p.H, M}, "H,N/2", Role::param, -1.0, 0.5},
          {"A_imag", {p.H, M}, "H,N/2", Role::param, -4.0, 4.0},
          {"B", {p.H, M, 2}, "H,N/2,2", Role::param},
          {"C", {p.H, M, 2}, "H,N/2,2", Role::param},
          {"K", {p.H, p.T}, "H,T", Role::output}};
}

// 8 FLOPs per (h, n, ℓ) (complex power step and accumulation); the parameters read once, K written once.
inline Cost cost(const Problem& p) {
  return {8.0 * static_cast<double>(p.H * p.modes() * p.T),
          static_cast<double>(p.H + 6 * p.H * p.modes() + p.H * p.T), 2.5};
}

// S4D's initialisations of the modes (Gu, Gupta, Goel, Ré 2022, "On the Parameterization and Initialization of
// Diagonal State Space Models", arXiv 2206.11893, §4.2; N the state size, modes n = 0..N/2−1):
//   S4D-Lin: A_n = −1/2 + i π n;   S4D-Inv: A_n = −1/2 + i (N/π) (N/(2n+1) − 1)
// in this contract's parameters A_n = −exp(inv_A_real) + i A_imag: inv_A_real = ln(1/2) for both.
enum class Init { lin, inv };
inline double init_inv_A_real() { return std::log(0.5); }
inline double init_A_imag(Init init, std::int64_t N, std::int64_t n) {
  require<ShapeError>(N >= 2 && N % 2 == 0 && n >= 0 && n < N / 2, "s4d_kernel: mode ", n, " of state size ", N,
                      ": expected an even N >= 2 and 0 <= n < N/2");
  const double dN = static_cast<double>(N), dn = static_cast<double>(n);
  return init == Init::lin ? std::numbers::pi * dn : dN / std::numbers::pi * (dN / (2 * dn + 1) - 1);
}

struct Contract {
  static constexpr std::string_view id = "s4d_kernel";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = false};
  // Not benchmarked: timed inside h3.
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t, std::int64_t) { return {}; }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.H = 1, .N = 2, .T = 1}, {.H = 3, .N = 4, .T = 7}, {.H = 2, .N = 6, .T = 16},
                              {.H = 1, .N = 8, .T = 13}};
    if (full) g.insert(g.end(), {{.H = 4, .N = 16, .T = 97}, {.H = 3, .N = 64, .T = 113}});
    return g;
  }
  // GPU conformance (harness/kernels.hpp): T = 1, 7, 97, 1000, 1025, 4096, 65536 (runs of 32 and blocks of 4096
  // values cut), state sizes 2-128 (Zoology's H3 uses 64), head counts off any tile.
  static std::vector<Problem> gpu_grid(bool full) {
    std::vector<Problem> g = {{.H = 3, .N = 2, .T = 1},     {.H = 5, .N = 4, .T = 7},     {.H = 2, .N = 64, .T = 97},
                              {.H = 7, .N = 16, .T = 1000}, {.H = 1, .N = 128, .T = 1025}, {.H = 4, .N = 64, .T = 4096},
                              {.H = 2, .N = 8, .T = 4097},  {.H = 1, .N = 64, .T = 65536}};
    if (full) g.push_back({.H = 64, .N = 64, .T = 16384});
    return g;
  }
  // Benchmarks: H3's filter generation at d_model 1024 (one SSM per channel), N = 64, T = 1k-64k.
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() {
    std::vector<GpuBenchCase<Problem>> c;
    for (std::int64_t T : {1024, 4096, 16384, 65536}) c.push_back({{.H = 1024, .N = 64, .T = T}, {}, {"fwd", "bwd"}});
    return c;
  }
  static BenchFields bench_fields(const Problem& p) { return {{"H", p.H}, {"N", p.N}, {"T", p.T}}; }
};

}  // namespace menagerie::ops::s4d_kernel
