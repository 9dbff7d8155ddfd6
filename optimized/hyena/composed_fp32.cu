// composed_fp32: Zoology's Hyena mixer (core/mixers/hyena.hpp) in fp32 on the GPU, composed of cuBLAS GEMMs, the conv
// family's kernels and element-wise kernels. M = B T rows, F = filter_order, row-major throughout.
// Forward:
//   filter:  a0 = z[:T] W0^T + b0, s0 = sin(ω a0);  a1 = s0 W2^T + b2, s1;  a2 = s1 W4^T + b4, s2   ([T, F]; saved)
//            h [D, T] = W6 s2^T (GEMM), then h[c, t] *= exp(−tt[t] |δ_c|)                              (saved)
//   P [M, 3D] = u Win^T + bin (GEMM, bias);  Q = short_conv(P) (direct_fp32 over 3D channels)        (both saved)
//   v1 = Q[:, 2D:] ⊙ Q[:, :D];  w = fft_cufft(v1, h);  w += Dh ⊙ v1;  g = w ⊙ Q[:, D:2D]             (saved)
//   y = g Wout^T + bout
// Backward (dy):
//   dg = dy Wout;  dWout = dy^T g;  dbout = column sums of dy
//   dw = dg ⊙ x2,  dQ[:, D:2D] = dg ⊙ w
//   dv1, dh = fft_cufft's backward of dw;  dv1 += Dh ⊙ dw;  dDh = column sums of dw ⊙ v1
//   dQ[:, :D] = dv1 ⊙ v,  dQ[:, 2D:] = dv1 ⊙ x1
//   dP, dshort_filter = short_conv's backward;  dWin = dP^T u, dbin = column sums of dP, du = dP Win
//   modulation: dhr = dh exp(−tt |δ|);  dtt[t] = −Σ_c |δ_c| dh h;  dδ_c = −sign(δ_c) Σ_t tt[t] dh h
//   the Sin MLP, last layer first: dW6 = dhr s2, ds2 = dhr^T W6;  da_k = ω cos(ω a_k) ds_k;
//   dW_k = da_k^T s_(k−1), db_k = column sums, ds_(k−1) = da_k W_k;  dω = column sums of Σ_k a_k cos(ω a_k) ds_k;
//   dz[:T] = da0 W0, dz[T:] = 0;  dtt[T:] = 0
// Every GEMM is cuBLAS's FP32 SGEMM (no TF32), every reduction a fixed-order GEMV or the conv kernels' own
// fixed-order sums: bitwise deterministic.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/common/pointwise.hpp"
#include "optimized/hyena/variants.hpp"
#include "optimized/long_conv/variants.hpp"
#include "optimized/short_conv/variants.hpp"

namespace menagerie::opt::hyena::composed_fp32 {
namespace {

using cuda::Op;
constexpr int kThreads = kPointwiseThreads;
const std::string kF = "filter_fn.implicit_filter.";

ops::short_conv::Problem short_problem(const Problem& p) {
  return {.B = p.B, .T = p.T, .D = 3 * p.D, .K = p.short_filter_order};
}
ops::long_conv::Problem long_problem(const Problem& p) { return {.B = p.B, .T = p.T, .D = p.D, .L = p.T}; }

std::size_t floats_of(std::size_t bytes) { return (bytes + sizeof(float) - 1) / sizeof(float); }

// The workspace: ones [max(M, D, T)]; dg, dw, dv1, prod [M, D]; dQ, dP [M, 3D]; the short conv's partial sums; the
// long conv's workspace; dh, A1, A2 [D, T]; ds, da, q [T, F].
struct Layout {
  std::size_t ones, dg, dw, dv1, prod, dQ, dP, partial, conv, dh, A1, A2, ds, da, q, total;
  explicit Layout(const Problem& p) {
    const auto M = static_cast<std::size_t>(p.B * p.T), D = static_cast<std::size_t>(p.D),
               T = static_cast<std::size_t>(p.T), F = static_cast<std::size_t>(p.filter_order);
    Carve c;
    ones = c.take(std::max({M, D, T}));
    dg = c.take(M * D);
    dw = c.take(M * D);
    dv1 = c.take(M * D);
    prod = c.take(M * D);
    dQ = c.take(3 * M * D);
    dP = c.take(3 * M * D);
    partial = c.take(static_cast<std::size_t>(opt::short_conv::chunks(short_problem(p)) *
                                              (p.short_filter_order + 1) * 3 * p.D));
    conv = c.take(floats_of(opt::long_conv::fft_cufft::workspace_bytes(long_problem(p))));
    dh = c.take(D * T);
    A1 = c.take(D * T);
    A2 = c.take(D * T);
    ds = c.take(T * F);
    da = c.take(T * F);
    q = c.take(T * F);
    total = c.total();
  }
};

// The filter's sines, cosines and exponentials are evaluated in double on the fp32 argument and rounded once, as
// the fp32 reference's libm does (CUDA's sinf, cosf and expf are within 2 units in the last place, not 0.5): these
// T F and D T values feed every gradient of the filter, and the H100 run of the fp32 functions measured dz at 1.22
// of its tolerance (B = 2, T = 7, D = 5, F = 3).
__device__ __forceinline__ float sin_rn(float x) { return static_cast<float>(sin(static_cast<double>(x))); }
__device__ __forceinline__ float cos_rn(float x) { return static_cast<float>(cos(static_cast<double>(x))); }
__device__ __forceinline__ float exp_rn(float x) { return static_cast<float>(exp(static_cast<double>(x))); }

// s = sin(ω a), a and s [T, F], ω [F].
__global__ void sin_kernel(const float* __restrict__ a, const float* __restrict__ w, float* __restrict__ s,
                           std::int64_t F, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i < n) s[i] = sin_rn(__fmul_rn(w[i % F], a[i]));
}

// da = ω cos(ω a) ds;  q (+)= a cos(ω a) ds  (the dω terms, summed over the three layers).
__global__ void sin_backward_kernel(const float* __restrict__ a, const float* __restrict__ w,
                                    const float* __restrict__ ds, float* __restrict__ da, float* __restrict__ q,
                                    std::int64_t F, std::int64_t n, bool first) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const float wi = w[i % F], ai = a[i], c = cos_rn(__fmul_rn(wi, ai)) * ds[i];
  da[i] = wi * c;
  q[i] = first ? ai * c : q[i] + ai * c;
}

// h[c, t] *= exp(−tt[t] |δ_c|), h [D, T].
__global__ void modulate_kernel(float* __restrict__ h, const float* __restrict__ tt, const float* __restrict__ delta,
                                std::int64_t T, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  h[i] *= exp_rn(-tt[i % T] * fabsf(delta[i / T]));
}

// dh <- dh exp(−tt |δ|) (dhr, in place);  A1 = −|δ_c| dh h;  A2 = −sign(δ_c) tt[t] dh h.
__global__ void modulate_backward_kernel(float* __restrict__ dh, const float* __restrict__ h,
                                         const float* __restrict__ tt, const float* __restrict__ delta,
                                         float* __restrict__ A1, float* __restrict__ A2, std::int64_t T,
                                         std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const float d = delta[i / T], t = tt[i % T], g = dh[i], gh = g * h[i];
  dh[i] = g * exp_rn(-t * fabsf(d));
  A1[i] = -fabsf(d) * gh;
  A2[i] = d > 0.f ? -t * gh : d < 0.f ? t * gh : 0.f;
}

// v1 = v ⊙ x1 from Q [M, 3D].
__global__ void inner_gate_kernel(const float* __restrict__ Q, float* __restrict__ v1, std::int64_t D,
                                  std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const std::int64_t m = i / D, c = i % D;
  v1[i] = Q[m * 3 * D + 2 * D + c] * Q[m * 3 * D + c];
}

// w += Dh ⊙ v1;  g = w ⊙ x2.
__global__ void outer_gate_kernel(const float* __restrict__ Q, const float* __restrict__ v1,
                                  const float* __restrict__ Dh, float* __restrict__ w, float* __restrict__ g,
                                  std::int64_t D, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const std::int64_t m = i / D, c = i % D;
  const float wi = fmaf(Dh[c], v1[i], w[i]);
  w[i] = wi;
  g[i] = wi * Q[m * 3 * D + D + c];
}

// dw = dg ⊙ x2;  dQ[:, D:2D] = dg ⊙ w.
__global__ void outer_gate_backward_kernel(const float* __restrict__ dg, const float* __restrict__ Q,
                                           const float* __restrict__ w, float* __restrict__ dw,
                                           float* __restrict__ dQ, std::int64_t D, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const std::int64_t m = i / D, c = i % D;
  dw[i] = dg[i] * Q[m * 3 * D + D + c];
  dQ[m * 3 * D + D + c] = dg[i] * w[i];
}

// dv1 += Dh ⊙ dw;  prod = dw ⊙ v1;  dQ[:, :D] = dv1 ⊙ v;  dQ[:, 2D:] = dv1 ⊙ x1.
__global__ void inner_gate_backward_kernel(const float* __restrict__ dw, const float* __restrict__ Q,
                                           const float* __restrict__ v1, const float* __restrict__ Dh,
                                           float* __restrict__ dv1, float* __restrict__ prod, float* __restrict__ dQ,
                                           std::int64_t D, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const std::int64_t m = i / D, c = i % D, row = m * 3 * D;
  const float g = fmaf(Dh[c], dw[i], dv1[i]);
  prod[i] = dw[i] * v1[i];
  dQ[row + c] = g * Q[row + 2 * D + c];
  dQ[row + 2 * D + c] = g * Q[row + c];
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.B < 1 || p.T < 1 || p.D < 1 || p.filter_order < 1 || p.l_max < p.T)
    return cat("hyena composed_fp32: B, T, D, filter_order, l_max = ", p.B, ", ", p.T, ", ", p.D, ", ",
               p.filter_order, ", ", p.l_max, " unsupported (each >= 1, l_max >= T)");
  if (3 * p.B * p.T * p.D > (std::int64_t{1} << 31) - 1)
    return cat("hyena composed_fp32: 3 B T D = ", 3 * p.B * p.T * p.D, " exceeds cuBLAS's 32-bit sizes (2^31 - 1)");
  if (const std::string why = opt::short_conv::unsupported(short_problem(p)); !why.empty()) return why;
  return opt::long_conv::fft_cufft::unsupported(long_problem(p));
}

std::vector<BufferSpec> buffers(const Problem& p) {
  const auto f = sizeof(float);
  const auto md = static_cast<std::size_t>(p.B * p.T * p.D) * f, tf = static_cast<std::size_t>(p.T * p.filter_order) * f;
  return {{"P", 3 * md, true},
          {"Q", 3 * md, true},
          {"v1", md, true},
          {"w", md, true},
          {"g", md, true},
          {"h", static_cast<std::size_t>(p.D * p.T) * f, true},
          {"a", 3 * tf, true},
          {"s", 3 * tf, true},
          {"workspace", Layout(p).total * f, false}};
}

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  const std::int64_t M = p.B * p.T, D = p.D, T = p.T, F = p.filter_order, n = M * D, tf = T * F;
  const float* w = a.as<float>(kF + "1.freq");
  float *A = a.as<float>("a"), *S = a.as<float>("s"), *h = a.as<float>("h");
  const float* in = a.as<float>("filter_fn.pos_emb.z");
  std::int64_t in_width = 3;
  for (int k = 0; k < 3; ++k) {
    const std::string layer = kF + std::to_string(2 * k);
    cuda::gemm_rm(s, Op::N, Op::T, T, F, in_width, 1.f, in, in_width, a.as<float>(layer + ".weight"), in_width, 0.f,
                  A + k * tf);
    add_bias(s, A + k * tf, a.as<float>(layer + ".bias"), T, F);
    sin_kernel<<<pointwise_blocks(tf), kThreads, 0, s>>>(A + k * tf, w, S + k * tf, F, tf);
    MENAGERIE_LAUNCH_CHECK();
    in = S + k * tf;
    in_width = F;
  }
  cuda::gemm_rm(s, Op::N, Op::T, D, T, F, 1.f, a.as<float>(kF + "6.weight"), F, S + 2 * tf, F, 0.f, h);
  modulate_kernel<<<pointwise_blocks(D * T), kThreads, 0, s>>>(h, a.as<float>("filter_fn.pos_emb.t"),
                                                                a.as<float>("filter_fn.modulation.deltas"), T, D * T);
  MENAGERIE_LAUNCH_CHECK();

  const float* u = a.as<float>("u");
  float *P = a.as<float>("P"), *Q = a.as<float>("Q"), *v1 = a.as<float>("v1"), *wv = a.as<float>("w"),
        *g = a.as<float>("g");
  cuda::gemm_rm(s, Op::N, Op::T, M, 3 * D, D, 1.f, u, D, a.as<float>("in_proj.weight"), D, 0.f, P);
  add_bias(s, P, a.as<float>("in_proj.bias"), M, 3 * D);
  opt::short_conv::forward(short_problem(p), DType::f32,
                           {P, a.get("short_filter.weight"), a.get("short_filter.bias"), Q}, s);
  inner_gate_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(Q, v1, D, n);
  MENAGERIE_LAUNCH_CHECK();
  opt::long_conv::fft_cufft::forward(long_problem(p), v1, h, wv, a.as<float>("workspace") + Layout(p).conv, s);
  outer_gate_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(Q, v1, a.as<float>("filter_fn.bias"), wv, g, D, n);
  MENAGERIE_LAUNCH_CHECK();
  float* y = a.as<float>("y");
  cuda::gemm_rm(s, Op::N, Op::T, M, D, D, 1.f, g, D, a.as<float>("out_proj.weight"), D, 0.f, y);
  add_bias(s, y, a.as<float>("out_proj.bias"), M, D);
}

void backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  const std::int64_t M = p.B * p.T, D = p.D, T = p.T, F = p.filter_order, n = M * D, tf = T * F;
  const Layout l(p);
  float* ws = a.as<float>("workspace");
  float *ones = ws + l.ones, *dg = ws + l.dg, *dw = ws + l.dw, *dv1 = ws + l.dv1, *prod = ws + l.prod,
        *dQ = ws + l.dQ, *dP = ws + l.dP, *dh = ws + l.dh;
  const float *u = a.as<float>("u"), *dy = a.as<float>("dy"), *P = a.as<float>("P"), *Q = a.as<float>("Q"),
              *v1 = a.as<float>("v1"), *h = a.as<float>("h");
  fill(s, ones, std::max({M, D, T}), 1.f);

  cuda::gemm_rm(s, Op::N, Op::N, M, D, D, 1.f, dy, D, a.as<float>("out_proj.weight"), D, 0.f, dg);
  cuda::gemm_rm(s, Op::T, Op::N, D, D, M, 1.f, dy, D, a.as<float>("g"), D, 0.f, a.as<float>("dout_proj.weight"));
  cuda::column_sums(s, M, D, dy, ones, a.as<float>("dout_proj.bias"));
  outer_gate_backward_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(dg, Q, a.as<float>("w"), dw, dQ, D, n);
  MENAGERIE_LAUNCH_CHECK();
  opt::long_conv::fft_cufft::backward(long_problem(p), v1, h, dw, dv1, dh, ws + l.conv, s);
  inner_gate_backward_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(dw, Q, v1, a.as<float>("filter_fn.bias"), dv1,
                                                                       prod, dQ, D, n);
  MENAGERIE_LAUNCH_CHECK();
  cuda::column_sums(s, M, D, prod, ones, a.as<float>("dfilter_fn.bias"));
  opt::short_conv::backward(short_problem(p), DType::f32,
                            {P, a.get("short_filter.weight"), dQ, dP, a.get("dshort_filter.weight"),
                             a.get("dshort_filter.bias"), ws + l.partial},
                            s);
  const float* Win = a.as<float>("in_proj.weight");
  cuda::gemm_rm(s, Op::T, Op::N, 3 * D, D, M, 1.f, dP, 3 * D, u, D, 0.f, a.as<float>("din_proj.weight"));
  cuda::column_sums(s, M, 3 * D, dP, ones, a.as<float>("din_proj.bias"));
  cuda::gemm_rm(s, Op::N, Op::N, M, D, 3 * D, 1.f, dP, 3 * D, Win, D, 0.f, a.as<float>("du"));

  // The filter: modulation, then the Sin MLP from its last layer down.
  const float *tt = a.as<float>("filter_fn.pos_emb.t"), *delta = a.as<float>("filter_fn.modulation.deltas");
  modulate_backward_kernel<<<pointwise_blocks(D * T), kThreads, 0, s>>>(dh, h, tt, delta, ws + l.A1, ws + l.A2, T,
                                                                         D * T);
  MENAGERIE_LAUNCH_CHECK();
  float* dtt = a.as<float>("dfilter_fn.pos_emb.t");
  cuda::column_sums(s, D, T, ws + l.A1, ones, dtt);
  cuda::row_sums(s, D, T, ws + l.A2, ones, a.as<float>("dfilter_fn.modulation.deltas"));
  const float *A = a.as<float>("a"), *S = a.as<float>("s"), *w = a.as<float>(kF + "1.freq"),
              *z = a.as<float>("filter_fn.pos_emb.z");
  float *ds = ws + l.ds, *da = ws + l.da, *q = ws + l.q;
  cuda::gemm_rm(s, Op::N, Op::N, D, F, T, 1.f, dh, T, S + 2 * tf, F, 0.f, a.as<float>("d" + kF + "6.weight"));
  cuda::gemm_rm(s, Op::T, Op::N, T, F, D, 1.f, dh, T, a.as<float>(kF + "6.weight"), F, 0.f, ds);
  for (int k = 2; k >= 0; --k) {
    sin_backward_kernel<<<pointwise_blocks(tf), kThreads, 0, s>>>(A + k * tf, w, ds, da, q, F, tf, k == 2);
    MENAGERIE_LAUNCH_CHECK();
    const std::string layer = kF + std::to_string(2 * k);
    const std::int64_t in_width = k == 0 ? 3 : F;
    const float* in = k == 0 ? z : S + (k - 1) * tf;
    cuda::gemm_rm(s, Op::T, Op::N, F, in_width, T, 1.f, da, F, in, in_width, 0.f,
                  a.as<float>("d" + layer + ".weight"));
    cuda::column_sums(s, T, F, da, ones, a.as<float>("d" + layer + ".bias"));
    float* dnext = k == 0 ? a.as<float>("dfilter_fn.pos_emb.z") : ds;
    cuda::gemm_rm(s, Op::N, Op::N, T, in_width, F, 1.f, da, F, a.as<float>(layer + ".weight"), in_width, 0.f, dnext);
  }
  cuda::column_sums(s, T, F, q, ones, a.as<float>("d" + kF + "1.freq"));
  if (p.l_max > T) {
    const auto rest = static_cast<std::size_t>(p.l_max - T);
    MENAGERIE_CUDA_CHECK(cudaMemsetAsync(a.as<float>("dfilter_fn.pos_emb.z") + T * 3, 0, rest * 3 * sizeof(float), s));
    MENAGERIE_CUDA_CHECK(cudaMemsetAsync(dtt + T, 0, rest * sizeof(float), s));
  }
}

}  // namespace menagerie::opt::hyena::composed_fp32
