// composed_fp32: Zoology's H3 mixer (core/mixers/h3.hpp) in fp32 on the GPU, composed of cuBLAS GEMMs, the
// operators' kernels and element-wise kernels. M = B T rows, P = head_dim, H = D/P, C = P P H kv channels with
// channel (i P + j) H + h, row-major throughout.
// Forward:
//   q, k, v = u W^T + b                                       (GEMMs, bias; saved)
//   hs [D, T] = shift_ssm_kernel(Bs, Cs);  kt = fft_cufft(k, hs) + Dk ⊙ k                  (saved)
//   K [H, T] = s4d_kernel (into Kexp's first H rows);  Kexp[(iP+j)H+h] = K[h]               (saved)
//   kv[m, (iP+j)H+h] = kt[m, hP+i] v[m, hP+j];  Y = fft_cufft(kv, Kexp) + Dd[h] kv          (saved)
//   out[m, jH+h] = Σ_i q[m, hP+i] Y[m, (iP+j)H+h];  y = out Wo^T + bo                       (out saved)
// Backward (dy):
//   dout = dy Wo;  dWo = dy^T out;  dbo = column sums of dy
//   dY = dout[jH+h] q[hP+i];  dq[hP+i] = Σ_j dout[jH+h] Y;  dDd[h] = Σ dY ⊙ kv (column sums of [M P P, H])
//   dkv, dKexp = fft_cufft's backward;  dK[h] = Σ_(i,j) dKexp[(iP+j)H+h] (column sums of [P P, H T])
//   g = dkv + Dd dY;  dkt[hP+i] = Σ_j g v[hP+j];  dv[hP+j] = Σ_i g kt[hP+i]
//   dk, dhs = fft_cufft's backward of dkt;  dk += Dk ⊙ dkt;  dDk = column sums of dkt ⊙ k
//   dBs, dCs = shift_ssm_kernel's backward;  dlog_dt, dinv_A_real, dA_imag, dB, dC = s4d_kernel's backward
//   dW = d(q|k|v)^T u, db = column sums, du = dq Wq + dk Wk + dv Wv
// cuBLAS's FP32 SGEMM (no TF32), cuFFT, fixed-order GEMVs and the operators' fixed-order sums: bitwise deterministic.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/common/pointwise.hpp"
#include "optimized/h3/variants.hpp"
#include "optimized/long_conv/variants.hpp"
#include "optimized/s4d_kernel/variants.hpp"
#include "optimized/shift_ssm_kernel/variants.hpp"

namespace menagerie::opt::h3::composed_fp32 {
namespace {

using cuda::Op;
constexpr int kThreads = kPointwiseThreads;

ops::long_conv::Problem k_conv(const Problem& p) { return {.B = p.B, .T = p.T, .D = p.D, .L = p.T}; }
ops::long_conv::Problem kv_conv(const Problem& p) { return {.B = p.B, .T = p.T, .D = p.head_dim * p.D, .L = p.T}; }
ops::shift_ssm_kernel::Problem shift_problem(const Problem& p) { return {.D = p.D, .N = p.d_state, .T = p.T}; }
ops::s4d_kernel::Problem s4d_problem(const Problem& p) { return {.H = p.heads(), .N = p.d_state, .T = p.T}; }

std::size_t floats_of(std::size_t bytes) { return (bytes + sizeof(float) - 1) / sizeof(float); }

// The workspace: ones [M P P]; dout, dq, dk, dv, dkt, prod [M, D]; dY, dkv, prodC [M, C]; dKexp [C, T]; dK [H, T];
// dhs [D, T]; the long convs' workspace (the larger of the two); S4D's.
struct Layout {
  std::size_t ones, dout, dq, dk, dv, dkt, prod, dY, dkv, prodC, dKexp, dK, dhs, conv, s4d, total;
  explicit Layout(const Problem& p) {
    const auto M = static_cast<std::size_t>(p.B * p.T), D = static_cast<std::size_t>(p.D),
               T = static_cast<std::size_t>(p.T), P = static_cast<std::size_t>(p.head_dim),
               H = static_cast<std::size_t>(p.heads()), C = P * D;
    Carve c;
    ones = c.take(M * P * P);
    for (std::size_t* s : {&dout, &dq, &dk, &dv, &dkt, &prod}) *s = c.take(M * D);
    for (std::size_t* s : {&dY, &dkv, &prodC}) *s = c.take(M * C);
    dKexp = c.take(C * T);
    dK = c.take(H * T);
    dhs = c.take(D * T);
    conv = c.take(floats_of(std::max(opt::long_conv::fft_cufft::workspace_bytes(k_conv(p)),
                                     opt::long_conv::fft_cufft::workspace_bytes(kv_conv(p)))));
    s4d = c.take(floats_of(opt::s4d_kernel::vandermonde_fp32::workspace_bytes(s4d_problem(p))));
    total = c.total();
  }
};

// kt += Dk ⊙ k over [M, D].
__global__ void skip_kernel(const float* __restrict__ k, const float* __restrict__ Dk, float* __restrict__ kt,
                            std::int64_t D, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i < n) kt[i] = fmaf(Dk[i % D], k[i], kt[i]);
}

// Kexp [C, T]: rows H.. copied from row ch mod H (rows 0..H-1 hold K).
__global__ void expand_kernel(float* __restrict__ Kexp, std::int64_t H, std::int64_t T, std::int64_t n) {
  const std::int64_t i = element_index() + H * T;
  if (i >= n) return;
  Kexp[i] = Kexp[(i / T) % H * T + i % T];
}

// kv[m, (iP+j)H+h] = kt[m, hP+i] v[m, hP+j] over [M, C].
__global__ void outer_kernel(const float* __restrict__ kt, const float* __restrict__ v, float* __restrict__ kv,
                             std::int64_t P, std::int64_t H, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const std::int64_t D = P * H, C = P * D, m = i / C, ch = i % C, h = ch % H, ij = ch / H;
  kv[i] = kt[m * D + h * P + ij / P] * v[m * D + h * P + ij % P];
}

// Y += Dd[h] kv over [M, C].
__global__ void y_skip_kernel(const float* __restrict__ kv, const float* __restrict__ Dd, float* __restrict__ Y,
                              std::int64_t H, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i < n) Y[i] = fmaf(Dd[i % H], kv[i], Y[i]);
}

// out[m, jH+h] = Σ_i q[m, hP+i] Y[m, (iP+j)H+h] over [M, D].
__global__ void contract_kernel(const float* __restrict__ q, const float* __restrict__ Y, float* __restrict__ out,
                                std::int64_t P, std::int64_t H, std::int64_t n) {
  const std::int64_t e = element_index();
  if (e >= n) return;
  const std::int64_t D = P * H, m = e / D, c = e % D, j = c / H, h = c % H;
  float acc = 0.f;
  for (std::int64_t i = 0; i < P; ++i) acc = fmaf(q[m * D + h * P + i], Y[m * P * D + (i * P + j) * H + h], acc);
  out[e] = acc;
}

// dY = dout[m, jH+h] q[m, hP+i];  prodC = dY kv over [M, C].
__global__ void dY_kernel(const float* __restrict__ dout, const float* __restrict__ q, const float* __restrict__ kv,
                          float* __restrict__ dY, float* __restrict__ prodC, std::int64_t P, std::int64_t H,
                          std::int64_t n) {
  const std::int64_t e = element_index();
  if (e >= n) return;
  const std::int64_t D = P * H, C = P * D, m = e / C, ch = e % C, h = ch % H, ij = ch / H;
  const float g = dout[m * D + (ij % P) * H + h] * q[m * D + h * P + ij / P];
  dY[e] = g;
  prodC[e] = g * kv[e];
}

// Over [M, D], c = hP + r:  dq[c] = Σ_j dout[jH+h] Y[(rP+j)H+h];  with g = dkv + Dd dY:
// dkt[c] = Σ_j g[(rP+j)H+h] v[hP+j];  dv[c] = Σ_i g[(iP+r)H+h] kt[hP+i].
__global__ void gate_backward_kernel(const float* __restrict__ dout, const float* __restrict__ Y,
                                     const float* __restrict__ dkv, const float* __restrict__ dY,
                                     const float* __restrict__ Dd, const float* __restrict__ v,
                                     const float* __restrict__ kt, float* __restrict__ dq, float* __restrict__ dkt,
                                     float* __restrict__ dv, std::int64_t P, std::int64_t H, std::int64_t n) {
  const std::int64_t e = element_index();
  if (e >= n) return;
  const std::int64_t D = P * H, m = e / D, c = e % D, h = c / P, r = c % P, row = m * P * D;
  const float dd = Dd[h];
  float aq = 0.f, ak = 0.f, av = 0.f;
  for (std::int64_t x = 0; x < P; ++x) {
    const std::int64_t own = row + (r * P + x) * H + h, other = row + (x * P + r) * H + h;
    aq = fmaf(dout[m * D + x * H + h], Y[own], aq);
    ak = fmaf(fmaf(dd, dY[own], dkv[own]), v[m * D + h * P + x], ak);
    av = fmaf(fmaf(dd, dY[other], dkv[other]), kt[m * D + h * P + x], av);
  }
  dq[e] = aq;
  dkt[e] = ak;
  dv[e] = av;
}

// dk += Dk ⊙ dkt;  prod = dkt ⊙ k over [M, D].
__global__ void skip_backward_kernel(const float* __restrict__ dkt, const float* __restrict__ k,
                                     const float* __restrict__ Dk, float* __restrict__ dk, float* __restrict__ prod,
                                     std::int64_t D, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  dk[i] = fmaf(Dk[i % D], dkt[i], dk[i]);
  prod[i] = dkt[i] * k[i];
}

opt::s4d_kernel::vandermonde_fp32::Params s4d_params(const DeviceArgs& a) {
  return {a.as<float>("kernel.kernel.log_dt"), a.as<float>("kernel.kernel.inv_A_real"),
          a.as<float>("kernel.kernel.A_imag"), a.as<float>("kernel.kernel.B"), a.as<float>("kernel.kernel.C")};
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.B < 1 || p.T < 1 || p.D < 1 || p.head_dim < 1 || p.D % p.head_dim != 0 || p.d_state < 2 || p.d_state % 2)
    return cat("h3 composed_fp32: B, T, D, head_dim, d_state = ", p.B, ", ", p.T, ", ", p.D, ", ", p.head_dim, ", ",
               p.d_state, " unsupported (each >= 1, head_dim divides D, d_state even)");
  if (p.head_dim * p.head_dim * p.B * p.T * p.heads() > (std::int64_t{1} << 31) - 1)
    return cat("h3 composed_fp32: B T P D = ", p.head_dim * p.B * p.T * p.D,
               " exceeds cuBLAS's 32-bit sizes (2^31 - 1)");
  for (const std::string& why : {opt::shift_ssm_kernel::direct_fp32::unsupported(shift_problem(p)),
                                 opt::s4d_kernel::vandermonde_fp32::unsupported(s4d_problem(p)),
                                 opt::long_conv::fft_cufft::unsupported(k_conv(p)),
                                 opt::long_conv::fft_cufft::unsupported(kv_conv(p))})
    if (!why.empty()) return why;
  return {};
}

std::vector<BufferSpec> buffers(const Problem& p) {
  const auto f = sizeof(float);
  const auto md = static_cast<std::size_t>(p.B * p.T * p.D) * f, P = static_cast<std::size_t>(p.head_dim);
  return {{"q", md, true},         {"k", md, true},
          {"v", md, true},         {"kt", md, true},
          {"out", md, true},       {"hs", static_cast<std::size_t>(p.D * p.T) * f, true},
          {"Kexp", static_cast<std::size_t>(p.head_dim * p.D * p.T) * f, true},
          {"kv", P * md, true},    {"Y", P * md, true},
          {"workspace", Layout(p).total * f, false}};
}

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  const std::int64_t M = p.B * p.T, D = p.D, T = p.T, P = p.head_dim, H = p.heads(), C = P * D, n = M * D;
  const Layout l(p);
  float* ws = a.as<float>("workspace");
  const float* u = a.as<float>("u");
  float *q = a.as<float>("q"), *k = a.as<float>("k"), *v = a.as<float>("v"), *kt = a.as<float>("kt"),
        *hs = a.as<float>("hs"), *Kexp = a.as<float>("Kexp"), *kv = a.as<float>("kv"), *Y = a.as<float>("Y"),
        *out = a.as<float>("out");
  const std::pair<float*, const char*> projections[] = {{q, "q_proj"}, {k, "k_proj"}, {v, "v_proj"}};
  for (const auto& [x, name] : projections) {
    const std::string w = name;
    cuda::gemm_rm(s, Op::N, Op::T, M, D, D, 1.f, u, D, a.as<float>(w + ".weight"), D, 0.f, x);
    add_bias(s, x, a.as<float>(w + ".bias"), M, D);
  }
  opt::shift_ssm_kernel::direct_fp32::forward(shift_problem(p), a.as<float>("ssm_k_kernel.kernel.B"),
                                              a.as<float>("ssm_k_kernel.kernel.C"), hs, s);
  opt::long_conv::fft_cufft::forward(k_conv(p), k, hs, kt, ws + l.conv, s);
  skip_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(k, a.as<float>("ssm_k_D"), kt, D, n);
  MENAGERIE_LAUNCH_CHECK();
  opt::s4d_kernel::vandermonde_fp32::forward(s4d_problem(p), s4d_params(a), Kexp, s);
  if (C > H) {
    expand_kernel<<<pointwise_blocks((C - H) * T), kThreads, 0, s>>>(Kexp, H, T, C * T);
    MENAGERIE_LAUNCH_CHECK();
  }
  outer_kernel<<<pointwise_blocks(M * C), kThreads, 0, s>>>(kt, v, kv, P, H, M * C);
  MENAGERIE_LAUNCH_CHECK();
  opt::long_conv::fft_cufft::forward(kv_conv(p), kv, Kexp, Y, ws + l.conv, s);
  y_skip_kernel<<<pointwise_blocks(M * C), kThreads, 0, s>>>(kv, a.as<float>("D"), Y, H, M * C);
  contract_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(q, Y, out, P, H, n);
  MENAGERIE_LAUNCH_CHECK();
  float* y = a.as<float>("y");
  cuda::gemm_rm(s, Op::N, Op::T, M, D, D, 1.f, out, D, a.as<float>("output_linear.weight"), D, 0.f, y);
  add_bias(s, y, a.as<float>("output_linear.bias"), M, D);
}

void backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  const std::int64_t M = p.B * p.T, D = p.D, T = p.T, P = p.head_dim, H = p.heads(), C = P * D, n = M * D;
  const Layout l(p);
  float* ws = a.as<float>("workspace");
  float *ones = ws + l.ones, *dout = ws + l.dout, *dq = ws + l.dq, *dk = ws + l.dk, *dv = ws + l.dv,
        *dkt = ws + l.dkt, *prod = ws + l.prod, *dY = ws + l.dY, *dkv = ws + l.dkv, *prodC = ws + l.prodC,
        *dKexp = ws + l.dKexp, *dK = ws + l.dK, *dhs = ws + l.dhs;
  const float *u = a.as<float>("u"), *dy = a.as<float>("dy"), *q = a.as<float>("q"), *k = a.as<float>("k"),
              *v = a.as<float>("v"), *kt = a.as<float>("kt"), *kv = a.as<float>("kv"), *Y = a.as<float>("Y");
  fill(s, ones, M * P * P, 1.f);

  cuda::gemm_rm(s, Op::N, Op::N, M, D, D, 1.f, dy, D, a.as<float>("output_linear.weight"), D, 0.f, dout);
  cuda::gemm_rm(s, Op::T, Op::N, D, D, M, 1.f, dy, D, a.as<float>("out"), D, 0.f,
                a.as<float>("doutput_linear.weight"));
  cuda::column_sums(s, M, D, dy, ones, a.as<float>("doutput_linear.bias"));
  dY_kernel<<<pointwise_blocks(M * C), kThreads, 0, s>>>(dout, q, kv, dY, prodC, P, H, M * C);
  MENAGERIE_LAUNCH_CHECK();
  cuda::column_sums(s, M * P * P, H, prodC, ones, a.as<float>("dD"));
  opt::long_conv::fft_cufft::backward(kv_conv(p), kv, a.as<float>("Kexp"), dY, dkv, dKexp, ws + l.conv, s);
  cuda::column_sums(s, P * P, H * T, dKexp, ones, dK);
  gate_backward_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(dout, Y, dkv, dY, a.as<float>("D"), v, kt, dq, dkt,
                                                                dv, P, H, n);
  MENAGERIE_LAUNCH_CHECK();
  opt::long_conv::fft_cufft::backward(k_conv(p), k, a.as<float>("hs"), dkt, dk, dhs, ws + l.conv, s);
  skip_backward_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(dkt, k, a.as<float>("ssm_k_D"), dk, prod, D, n);
  MENAGERIE_LAUNCH_CHECK();
  cuda::column_sums(s, M, D, prod, ones, a.as<float>("dssm_k_D"));
  opt::shift_ssm_kernel::direct_fp32::backward(shift_problem(p), a.as<float>("ssm_k_kernel.kernel.B"),
                                               a.as<float>("ssm_k_kernel.kernel.C"), dhs,
                                               a.as<float>("dssm_k_kernel.kernel.B"),
                                               a.as<float>("dssm_k_kernel.kernel.C"), s);
  opt::s4d_kernel::vandermonde_fp32::backward(
      s4d_problem(p), s4d_params(a), dK,
      {a.as<float>("dkernel.kernel.log_dt"), a.as<float>("dkernel.kernel.inv_A_real"),
       a.as<float>("dkernel.kernel.A_imag"), a.as<float>("dkernel.kernel.B"), a.as<float>("dkernel.kernel.C")},
      ws + l.s4d, s);
  float* du = a.as<float>("du");
  float beta = 0.f;
  const std::pair<float*, const char*> projections[] = {{dq, "q_proj"}, {dk, "k_proj"}, {dv, "v_proj"}};
  for (const auto& [g, name] : projections) {
    const std::string w = name;
    cuda::gemm_rm(s, Op::T, Op::N, D, D, M, 1.f, g, D, u, D, 0.f, a.as<float>("d" + w + ".weight"));
    cuda::column_sums(s, M, D, g, ones, a.as<float>("d" + w + ".bias"));
    cuda::gemm_rm(s, Op::N, Op::N, M, D, D, 1.f, g, D, a.as<float>(w + ".weight"), D, beta, du);
    beta = 1.f;
  }
}

}  // namespace menagerie::opt::h3::composed_fp32
