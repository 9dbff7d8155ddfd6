// composed_fp32: Zoology's BaseConv mixer (core/mixers/base_conv.hpp) in fp32 on the GPU, composed of cuBLAS GEMMs,
// the conv family's kernels and two fused pointwise kernels. M = B T rows of width D; row-major throughout.
// Forward:
//   implicit filter only:  hidden [T, 16] = z[:T] W1^T + b1   (GEMM, then the bias; saved, pre-ReLU)
//                          filter [D, T] = W2 relu(hidden)^T + b2   (GEMM on a ReLU copy in the workspace, then the bias;
//                          saved)
//   gate [M, D] = u W^T                                             (GEMM, no bias yet)
//   conv [M, D] = short_conv::direct (weight, bias), or long_conv::fft_cufft with h = conv.filter [D, l_max] or the
//                 implicit filter [D, T]
//   pointwise:  g = gate + b;  c = conv (+ u for the long convs: fft_conv's inner residual);  y = c g + u;
//               gate <- g, conv <- c (both saved for the backward)
// Backward (dy):
//   pointwise:  dg = dy c,  dc = dy g                                 (workspace)
//   dW = dg^T u (GEMM);  db = column sums of dg (GEMV with ones)
//   du = conv'(dc) by the conv kernel's backward (with dweight, dbias or dh), then du += dy (+ dc for the long convs),
//   then du += dg W (GEMM, beta = 1)
//   implicit filter:  db2 = row sums of dh;  r = relu(hidden);  dW2 = dh r;  dr = dh^T W2;  da = dr [hidden > 0];
//                     db1 = column sums of da;  dW1 = da^T z[:T];  dz[:T] = da W1, dz[T:] = 0
// Every GEMM is cuBLAS's FP32 SGEMM (default math: no TF32), every reduction a fixed-order GEMV or the conv kernels'
// own fixed-order partial sums, so the variant is bitwise deterministic.
#include <cstdint>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "optimized/base_conv/variants.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/common/pointwise.hpp"
#include "optimized/long_conv/variants.hpp"
#include "optimized/short_conv/variants.hpp"

namespace menagerie::opt::base_conv::composed_fp32 {
namespace {

using mixers::base_conv::Conv;
using cuda::Op;
constexpr std::int64_t H = mixers::base_conv::mlp_hidden, E = mixers::base_conv::emb_dim;
constexpr int kThreads = kPointwiseThreads;

ops::short_conv::Problem short_problem(const Problem& p) { return {.B = p.B, .T = p.T, .D = p.D, .K = p.kernel_size}; }
ops::long_conv::Problem long_problem(const Problem& p) {
  return {.B = p.B, .T = p.T, .D = p.D, .L = p.conv == Conv::long_explicit ? p.l_max : p.T};
}

// The workspace, in floats, each section 64-float aligned: ones [max(M, T)], dg [M D], dc [M D], the conv's scratch
// (short: its partials [chunks, K+1, D]; long: fft_cufft's workspace), and for the implicit filter r [T, 16] and
// dh [D, T].
struct Layout {
  std::size_t ones = 0, dg = 0, dc = 0, conv = 0, r = 0, dh = 0, total = 0;
  explicit Layout(const Problem& p) {
    const auto M = static_cast<std::size_t>(p.B * p.T), D = static_cast<std::size_t>(p.D),
               T = static_cast<std::size_t>(p.T);
    Carve c;
    ones = c.take(M > T ? M : T);
    dg = c.take(M * D);
    dc = c.take(M * D);
    const std::size_t conv_floats =
        p.conv == Conv::short_conv
            ? static_cast<std::size_t>(opt::short_conv::chunks(short_problem(p)) * (p.kernel_size + 1) * p.D)
            : (opt::long_conv::fft_cufft::workspace_bytes(long_problem(p)) + sizeof(float) - 1) / sizeof(float);
    conv = c.take(conv_floats);
    if (p.conv == Conv::long_implicit) {
      r = c.take(T * H);
      dh = c.take(D * T);
    }
    total = c.total();
  }
};

// r = relu(a), or with `masked` dr <- dr [a > 0] (in place on r).
__global__ void relu_kernel(const float* __restrict__ a, float* __restrict__ r, std::int64_t n, bool masked) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  r[i] = a[i] > 0.f ? (masked ? r[i] : a[i]) : 0.f;
}

__global__ void gate_forward_kernel(const float* __restrict__ u, const float* __restrict__ bias,
                                    float* __restrict__ gate, float* __restrict__ conv, float* __restrict__ y,
                                    std::int64_t n, std::int64_t D, bool inner_residual) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const float ui = u[i], g = gate[i] + bias[i % D], c = inner_residual ? conv[i] + ui : conv[i];
  gate[i] = g;
  conv[i] = c;
  y[i] = fmaf(c, g, ui);
}

__global__ void gate_backward_kernel(const float* __restrict__ dy, const float* __restrict__ gate,
                                     const float* __restrict__ conv, float* __restrict__ dg, float* __restrict__ dc,
                                     std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const float g = dy[i];
  dg[i] = g * conv[i];
  dc[i] = g * gate[i];
}

// du += dy (+ dc for the long convs' inner residual).
__global__ void residual_backward_kernel(const float* __restrict__ dy, const float* __restrict__ dc,
                                         float* __restrict__ du, std::int64_t n, bool inner_residual) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  du[i] += inner_residual ? dy[i] + dc[i] : dy[i];
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.B < 1 || p.T < 1 || p.D < 1)
    return cat("base_conv composed_fp32: B, T, D = ", p.B, ", ", p.T, ", ", p.D, " unsupported (each must be >= 1)");
  if (p.B * p.T * p.D > (std::int64_t{1} << 31) - 1)
    return cat("base_conv composed_fp32: B T D = ", p.B * p.T * p.D, " exceeds cuBLAS's 32-bit sizes (2^31 - 1)");
  if (p.conv == Conv::short_conv) return opt::short_conv::unsupported(short_problem(p));
  if (p.l_max < p.T) return cat("base_conv composed_fp32: l_max = ", p.l_max, " must be >= T = ", p.T);
  return opt::long_conv::fft_cufft::unsupported(long_problem(p));
}

std::vector<BufferSpec> buffers(const Problem& p) {
  const auto f = sizeof(float);
  const auto btd = static_cast<std::size_t>(p.B * p.T * p.D) * f;
  std::vector<BufferSpec> b = {{"gate", btd, true}, {"conv", btd, true}};
  if (p.conv == Conv::long_implicit) {
    b.push_back({"filter", static_cast<std::size_t>(p.D * p.T) * f, true});
    b.push_back({"hidden", static_cast<std::size_t>(p.T * H) * f, true});
  }
  b.push_back({"workspace", Layout(p).total * f, false});
  return b;
}

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  const std::int64_t M = p.B * p.T, D = p.D, T = p.T, n = M * D;
  const float* u = a.as<float>("u");
  float *gate = a.as<float>("gate"), *conv = a.as<float>("conv"), *ws = a.as<float>("workspace");
  const Layout l(p);
  if (p.conv == Conv::long_implicit) {
    float *hidden = a.as<float>("hidden"), *filter = a.as<float>("filter"), *r = ws + l.r;
    cuda::gemm_rm(s, Op::N, Op::T, T, H, E, 1.f, a.as<float>("conv.pos_emb.z"), E, a.as<float>("conv.mlp.0.weight"),
                  E, 0.f, hidden);
    add_bias(s, hidden, a.as<float>("conv.mlp.0.bias"), T, H);
    relu_kernel<<<pointwise_blocks(T * H), kThreads, 0, s>>>(hidden, r, T * H, false);
    cuda::gemm_rm(s, Op::N, Op::T, D, T, H, 1.f, a.as<float>("conv.mlp.2.weight"), H, r, H, 0.f, filter);
    add_bias(s, filter, a.as<float>("conv.mlp.2.bias"), D, T, true);
    MENAGERIE_LAUNCH_CHECK();
  }
  cuda::gemm_rm(s, Op::N, Op::T, M, D, D, 1.f, u, D, a.as<float>("projection.weight"), D, 0.f, gate);
  switch (p.conv) {
    case Conv::short_conv:
      opt::short_conv::forward(short_problem(p), DType::f32,
                               {u, a.get("conv.conv.weight"), a.get("conv.conv.bias"), conv}, s);
      break;
    case Conv::long_explicit:
      opt::long_conv::fft_cufft::forward(long_problem(p), u, a.as<float>("conv.filter"), conv, ws + l.conv, s);
      break;
    case Conv::long_implicit:
      opt::long_conv::fft_cufft::forward(long_problem(p), u, a.as<float>("filter"), conv, ws + l.conv, s);
      break;
  }
  gate_forward_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(u, a.as<float>("projection.bias"), gate, conv,
                                                               a.as<float>("y"), n, D, p.conv != Conv::short_conv);
  MENAGERIE_LAUNCH_CHECK();
}

void backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  const std::int64_t M = p.B * p.T, D = p.D, T = p.T, n = M * D;
  const bool long_conv = p.conv != Conv::short_conv;
  const float *u = a.as<float>("u"), *dy = a.as<float>("dy"), *W = a.as<float>("projection.weight");
  float *du = a.as<float>("du"), *ws = a.as<float>("workspace");
  const Layout l(p);
  float *ones = ws + l.ones, *dg = ws + l.dg, *dc = ws + l.dc;
  fill(s, ones, M > T ? M : T, 1.f);
  gate_backward_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(dy, a.as<float>("gate"), a.as<float>("conv"), dg,
                                                                dc, n);
  MENAGERIE_LAUNCH_CHECK();
  cuda::gemm_rm(s, Op::T, Op::N, D, D, M, 1.f, dg, D, u, D, 0.f, a.as<float>("dprojection.weight"));
  cuda::column_sums(s, M, D, dg, ones, a.as<float>("dprojection.bias"));
  switch (p.conv) {
    case Conv::short_conv:
      opt::short_conv::backward(short_problem(p), DType::f32,
                                {u, a.get("conv.conv.weight"), dc, du, a.get("dconv.conv.weight"),
                                 a.get("dconv.conv.bias"), ws + l.conv},
                                s);
      break;
    case Conv::long_explicit:
      opt::long_conv::fft_cufft::backward(long_problem(p), u, a.as<float>("conv.filter"), dc, du,
                                          a.as<float>("dconv.filter"), ws + l.conv, s);
      break;
    case Conv::long_implicit:
      opt::long_conv::fft_cufft::backward(long_problem(p), u, a.as<float>("filter"), dc, du, ws + l.dh, ws + l.conv,
                                          s);
      break;
  }
  residual_backward_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(dy, dc, du, n, long_conv);
  MENAGERIE_LAUNCH_CHECK();
  cuda::gemm_rm(s, Op::N, Op::N, M, D, D, 1.f, dg, D, W, D, 1.f, du);
  if (p.conv != Conv::long_implicit) return;
  const float *hidden = a.as<float>("hidden"), *dh = ws + l.dh, *z = a.as<float>("conv.pos_emb.z");
  float* r = ws + l.r;
  cuda::row_sums(s, D, T, dh, ones, a.as<float>("dconv.mlp.2.bias"));
  relu_kernel<<<pointwise_blocks(T * H), kThreads, 0, s>>>(hidden, r, T * H, false);
  MENAGERIE_LAUNCH_CHECK();
  cuda::gemm_rm(s, Op::N, Op::N, D, H, T, 1.f, dh, T, r, H, 0.f, a.as<float>("dconv.mlp.2.weight"));
  cuda::gemm_rm(s, Op::T, Op::N, T, H, D, 1.f, dh, T, a.as<float>("conv.mlp.2.weight"), H, 0.f, r);  // r <- dr
  relu_kernel<<<pointwise_blocks(T * H), kThreads, 0, s>>>(hidden, r, T * H, true);  // r <- da
  MENAGERIE_LAUNCH_CHECK();
  cuda::column_sums(s, T, H, r, ones, a.as<float>("dconv.mlp.0.bias"));
  cuda::gemm_rm(s, Op::T, Op::N, H, E, T, 1.f, r, H, z, E, 0.f, a.as<float>("dconv.mlp.0.weight"));
  float* dz = a.as<float>("dconv.pos_emb.z");
  cuda::gemm_rm(s, Op::N, Op::N, T, E, H, 1.f, r, H, a.as<float>("conv.mlp.0.weight"), E, 0.f, dz);
  if (p.l_max > T)
    MENAGERIE_CUDA_CHECK(
        cudaMemsetAsync(dz + T * E, 0, static_cast<std::size_t>((p.l_max - T) * E) * sizeof(float), s));
}

}  // namespace menagerie::opt::base_conv::composed_fp32
