// Contract: Zoology's H3 mixer (mixer id h3; zoology/mixers/h3/h3.py with SSKernel "shift" for k and "diag"
// (S4D-Lin, bilinear) for kv; use_fast_fftconv off). Head dim P (Zoology Fig. 2: 2), H = D/P heads, state size N
// (Fig. 2: N = sequence length). u [B, T, D] -> y [B, T, D]:
//   q, k, v = u W^T + b                      {q,k,v}_proj.weight [D, D], {q,k,v}_proj.bias [D]
//   k~ = hs ∗ k + Dk ⊙ k                     hs [D, T] = shift_ssm_kernel(ssm_k_kernel.kernel.B [D, N],
//                                            ssm_k_kernel.kernel.C [1, D, N]) (core/ops/shift_ssm_kernel.hpp);
//                                            Dk = ssm_k_D [D]; ∗ = causal conv (core/ops/long_conv.hpp)
//   kv[i,j,h](t) = k~[hP+i](t) v[hP+j](t)    i, j < P
//   Y[i,j,h] = K_h ∗ kv[i,j,h] + Dd[h] kv[i,j,h]
//                                            K [H, T] = s4d_kernel(kernel.kernel.{log_dt [H], inv_A_real [H, N/2],
//                                            A_imag [H, N/2], B [H, N/2, 2], C [1, H, N/2, 2]}) (core/ops/s4d_kernel.hpp);
//                                            Dd = D [H]
//   out[j H + h](t) = sum_i q[hP+i](t) Y[i,j,h](t)        (output channel order j·H + h)
//   y = out Wo^T + bo                        output_linear.weight [D, D], output_linear.bias [D]
// Both kernels have length T: Zoology's L_kernel = min(T, l_max) is T whenever T <= l_max, and no parameter shape
// depends on l_max, so the problem has none.
// Recurrent form (Zoology's H3.step): per token, the shift state S [B, D, N] <- shift(S) + Bs k_t, k~ = Cs·S + Dk k_t;
// the diagonal state X[b,i,j,h,n] (complex) <- Ā_n X + B̄_n kv, Y = 2 Re sum_n C_n X_n + Dd kv with
// B̄ = B Δ/(1 − ΔA/2) (so C B̄ = C′ of the kernel); then q-contraction and output_linear as above.
// Parameters: 4D^2 + 5D + H + 2DN + H(3N + 1) = 4D^2 + 6D + 3.5 D N at P = 2. State size (Zoology): D N.
// Backward: the chain rule through each step, the operators' backwards for hs and K.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <optional>
#include <string_view>
#include <vector>

#include "core/bench_case.hpp"
#include "core/config_key.hpp"
#include "core/contract.hpp"
#include "core/init_law.hpp"
#include "core/ops/long_conv.hpp"
#include "core/ops/s4d_kernel.hpp"
#include "core/ops/shift_ssm_kernel.hpp"
#include "core/random.hpp"
#include "core/table_columns.hpp"

namespace menagerie::mixers::h3 {

struct Problem {
  std::int64_t B = 1, T = 1, D = 2;
  std::int64_t d_state = 2;   // N (even: N/2 complex S4D modes)
  std::int64_t head_dim = 2;  // P

  std::int64_t heads() const { return D / head_dim; }
  void validate() const {
    require<ShapeError>(B >= 1 && T >= 1 && D >= 1, "h3: B, T, D = ", B, ", ", T, ", ", D, " must all be >= 1");
    require<ShapeError>(head_dim >= 1 && D % head_dim == 0, "h3: head_dim = ", head_dim, " must divide D = ", D);
    require<ShapeError>(d_state >= 2 && d_state % 2 == 0, "h3: d_state = ", d_state, " must be even and >= 2");
  }
};

inline std::vector<TensorSpec> tensors(const Problem& p) {
  const std::int64_t D = p.D, N = p.d_state, H = p.heads(), M = N / 2;
  std::vector<TensorSpec> s = {{"u", {p.B, p.T, D}, "B,T,D", Role::input}};
  for (const char* x : {"q_proj", "k_proj", "v_proj"}) {
    s.push_back({std::string(x) + ".weight", {D, D}, "D,D", Role::param});
    s.push_back({std::string(x) + ".bias", {D}, "D", Role::param});
  }
  s.insert(s.end(), {{"ssm_k_kernel.kernel.B", {D, N}, "D,N", Role::param},
                     {"ssm_k_kernel.kernel.C", {1, D, N}, "1,D,N", Role::param},
                     {"ssm_k_D", {D}, "D", Role::param},
                     {"kernel.kernel.C", {1, H, M, 2}, "1,H,N/2,2", Role::param},
                     {"kernel.kernel.log_dt", {H}, "H", Role::param, -4.6, -1.6},
                     {"kernel.kernel.B", {H, M, 2}, "H,N/2,2", Role::param},
                     {"kernel.kernel.inv_A_real", {H, M}, "H,N/2", Role::param, -1.0, 0.5},
                     {"kernel.kernel.A_imag", {H, M}, "H,N/2", Role::param, -4.0, 4.0},
                     {"D", {H}, "H", Role::param},
                     {"output_linear.weight", {D, D}, "D,D", Role::param},
                     {"output_linear.bias", {D}, "D", Role::param},
                     {"y", {p.B, p.T, D}, "B,T,D", Role::output}});
  return s;
}

inline std::int64_t param_count(const Problem& p) {
  const std::int64_t D = p.D, N = p.d_state, H = p.heads();
  return 4 * D * D + 5 * D + H + 2 * D * N + H * (3 * N + 1);
}

inline std::optional<std::int64_t> state_size(const Problem& p) { return p.D * p.d_state; }

// GEMMs 8 B T D^2; the shift kernel and the S4D kernel as their operators count them; the two long convs (D and
// P D channels) as long_conv counts them; outer products, D terms and q-contraction ~ 6 P D per (b, t).
inline Cost cost(const Problem& p) {
  const double bt = static_cast<double>(p.B * p.T), d = static_cast<double>(p.D);
  const double flops = 8.0 * bt * d * d + ops::shift_ssm_kernel::cost({.D = p.D, .N = p.d_state, .T = p.T}).flops +
                       ops::s4d_kernel::cost({.H = p.heads(), .N = p.d_state, .T = p.T}).flops +
                       ops::long_conv::cost({.B = p.B, .T = p.T, .D = p.D, .L = p.T}).flops +
                       ops::long_conv::cost({.B = p.B, .T = p.T, .D = p.head_dim * p.D, .L = p.T}).flops +
                       6.0 * bt * static_cast<double>(p.head_dim) * d;
  return {flops, 2.0 * bt * d + static_cast<double>(param_count(p)), 2.5};
}

// Zoology's init of the kernels (the Linear layers follow the generic laws): the shift SSM's B = e_0 per channel
// (so its filter is C), C ~ U(±1/sqrt(N)), ssm_k_D ~ N(0, 1); S4D-Lin: log_dt ~ U[ln 1e-3, ln 1e-1], inv_A_real = ln 0.5,
// A_imag[h, n] = π n, B = 1 (+0i), C complex normal (each part N(0, 1/2)), D ~ N(0, 1). The four laws below are
// the ones core/init_law.hpp's list does not state; t arrives zero-filled.
// zoology's SSKernel (mode 'shift'): C = randn(H, 1, N) then kaiming_uniform_(C, a = sqrt(5)): fan_in = 1 * N, gain
// sqrt(2 / (1 + 5)), bound gain sqrt(3 / fan_in) = 1/sqrt(N); _init_weights leaves it alone (not a Linear).
inline void init_shift_c(Tensor<double>& t, const InitTarget& target) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(target.shape.back()));
  fill_uniform(t.view(), target.seed, target.stream, -bound, bound);
}
inline void init_shift_b(Tensor<double>& t, const InitTarget&) {
  for (std::int64_t c = 0; c < t.size(0); ++c) t(c, 0) = 1.0;
}
inline void init_s4d_lin_a_imag(Tensor<double>& t, const InitTarget&) {
  for (std::int64_t h = 0; h < t.size(0); ++h)
    for (std::int64_t n = 0; n < t.size(1); ++n) t(h, n) = std::numbers::pi * static_cast<double>(n);
}
inline void init_s4d_b(Tensor<double>& t, const InitTarget&) {
  for (std::int64_t i = 0; i < t.numel(); ++i) t.data()[i] = i % 2 == 0 ? 1.0 : 0.0;
}

struct Contract {
  static constexpr std::string_view id = "h3";
  using problem_type = Problem;
  static constexpr Traits traits{.causal = true, .has_recurrent_form = true};
  static constexpr std::array<std::string_view, 0> frozen = {};
  static constexpr std::int64_t Problem::*model_width = &Problem::D;
  static std::vector<ConfigKey<Problem>> config_keys() {
    return {int_key("d_state", &Problem::d_state, {.fallback = 64, .min = 2}),
            int_key("head_dim", &Problem::head_dim, {.fallback = 2, .min = 1})};
  }
  static std::vector<InitLaw> init_laws() {
    return {{"ssm_k_kernel.kernel.B", laws::Custom{"shift_b_e0", &init_shift_b}},
            {"ssm_k_kernel.kernel.C", laws::Custom{"shift_c_kaiming_uniform", &init_shift_c}},
            {"ssm_k_D", laws::Normal{1.0}},
            {"D", laws::Normal{1.0}},
            {"kernel.kernel.log_dt", laws::Uniform{std::log(1e-3), std::log(1e-1)}},
            {"kernel.kernel.inv_A_real", laws::Constant{std::log(0.5)}},
            {"kernel.kernel.A_imag", laws::Custom{"s4d_lin_a_imag", &init_s4d_lin_a_imag}},
            {"kernel.kernel.B", laws::Custom{"s4d_b_one", &init_s4d_b}},
            {"kernel.kernel.C", laws::Normal{std::sqrt(0.5)}}};
  }
  static std::vector<ParamColumn> param_columns(std::int64_t d, std::int64_t N) {
    const auto layer = model::LayerMixer::of<Contract>({.B = 1, .T = N, .D = d, .d_state = N, .head_dim = 2});
    return {{"h3 (d_state=N)", {layer, layer}, 2 * (4 * d * d + 6 * d + 7 * d * N / 2),
             {148224, 361984, 986112, 3020800}}};
  }
  static std::vector<StateColumn> state_columns(std::int64_t d, std::int64_t T) {
    return {{"h3 d_state=d/4 (d d_state)",
             model::LayerMixer::of<Contract>({.B = 1, .T = T, .D = d, .d_state = d / 4, .head_dim = 2})}};
  }
  static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d) {
    return {{"", {.B = 1, .T = T, .D = d, .d_state = 64, .head_dim = 2}}};
  }
  static std::vector<Problem> test_grid(bool full) {
    std::vector<Problem> g = {{.B = 1, .T = 1, .D = 2, .d_state = 2, .head_dim = 2},
                              {.B = 2, .T = 7, .D = 6, .d_state = 4, .head_dim = 2},
                              {.B = 1, .T = 16, .D = 4, .d_state = 6, .head_dim = 2},
                              {.B = 1, .T = 13, .D = 4, .d_state = 16, .head_dim = 2},
                              {.B = 1, .T = 7, .D = 3, .d_state = 2, .head_dim = 1}};
    if (full)
      g.insert(g.end(), {{.B = 2, .T = 97, .D = 4, .d_state = 8, .head_dim = 2},
                         {.B = 1, .T = 37, .D = 6, .d_state = 38, .head_dim = 2}});
    return g;
  }
  // GPU conformance (harness/kernels.hpp): T = 1, 7, 97, 200, 1025; head dims 1 and 2 (Zoology's); d_state 2-64;
  // widths off the 32-channel blocks.
  static std::vector<Problem> gpu_grid(bool full) {
    std::vector<Problem> g = {{.B = 3, .T = 1, .D = 4, .d_state = 2, .head_dim = 2},
                              {.B = 2, .T = 7, .D = 6, .d_state = 4, .head_dim = 2},
                              {.B = 1, .T = 7, .D = 3, .d_state = 2, .head_dim = 1},
                              {.B = 2, .T = 97, .D = 34, .d_state = 8, .head_dim = 2},
                              {.B = 1, .T = 200, .D = 12, .d_state = 16, .head_dim = 2},
                              {.B = 1, .T = 1025, .D = 16, .d_state = 64, .head_dim = 2}};
    if (full) g.push_back({.B = 4, .T = 512, .D = 128, .d_state = 64, .head_dim = 2});
    return g;
  }
  // Benchmarks (bench/kernels_bench.cpp): B = 8, D = 1024, T = 1k-16k, and Zoology's training shapes (B = 256,
  // T = 256, d_model 128 and 512) for the parallel variant; decoding (256 tokens from the empty state at batch 1, 16,
  // 256) for both: the step variant's time per token. Head dim 2, d_state 64.
  static std::vector<GpuBenchCase<Problem>> gpu_bench_cases() {
    std::vector<GpuBenchCase<Problem>> c;
    const std::vector<std::string_view> all = {"fwd", "bwd", "fwdbwd"};
    for (std::int64_t T : {1024, 4096, 16384})
      c.push_back({{.B = 8, .T = T, .D = 1024, .d_state = 64, .head_dim = 2}, {"composed_fp32"}, all});
    for (std::int64_t d : {128, 512})
      c.push_back({{.B = 256, .T = 256, .D = d, .d_state = 64, .head_dim = 2}, {"composed_fp32"}, all});
    for (std::int64_t B : {1, 16, 256})
      c.push_back({{.B = B, .T = 256, .D = 1024, .d_state = 64, .head_dim = 2}, {}, {"fwd"}});
    return c;
  }
  static BenchFields bench_fields(const Problem& p) {
    return {{"B", p.B}, {"T", p.T}, {"D", p.D}, {"N", p.d_state}, {"P", p.head_dim}};
  }
};

}  // namespace menagerie::mixers::h3
