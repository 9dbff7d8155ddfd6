// composed_fp32: the Mamba mixer (core/mixers/mamba.hpp) in fp32 on the GPU, composed of cuBLAS GEMMs, the conv and
// scan operators' kernels and element-wise kernels. M = B T rows, E = d_inner, R = dt_rank, N = d_state, W = R + 2N;
// row-major throughout.
// Forward:
//   x = u Win[:E]^T,  z = u Win[E:]^T                                  (GEMMs; saved)
//   xc = short_conv(x; conv1d) (direct_fp32, K = d_conv taps);  xs = SiLU(xc)                    (saved)
//   dbc [M, W] = xs Wx^T                                                (GEMM; saved)
//   delta = softplus(dbc[:, :R] Wdt^T + bdt)      (GEMM with the row stride W, then bias and softplus; saved)
//   Bm, Cm = dbc[:, R:R+N], dbc[:, R+N:] (contiguous copies);  A = −exp(A_log)                  (saved)
//   ys = selective_scan(xs, delta, A, Bm, Cm, D) (scan_fp32, its checkpoints saved);  g = ys ⊙ SiLU(z);  y = g Wout^T
// Backward (dy), with SiLU'(a) = σ(a)(1 + a(1 − σ(a))) and softplus'(a) = σ(a) = 1 − exp(−delta):
//   g recomputed;  dWout = dy^T g;  dg = dy Wout;  dys = dg ⊙ SiLU(z);  dz = dg ⊙ ys ⊙ SiLU'(z)
//   dxs, ddelta, dA, dBm, dCm, dD = the scan's backward of dys;  dA_log = dA ⊙ A
//   ddt = ddelta ⊙ (1 − exp(−delta));  dWdt = ddt^T dbc[:, :R];  dbdt = column sums;  d(dt) = ddt Wdt
//   ddbc = [d(dt) | dBm | dCm];  dWx = ddbc^T xs;  dxs += ddbc Wx
//   dxc = dxs ⊙ SiLU'(xc);  dx, dconv1d = short_conv's backward
//   dWin = [dx^T u ; dz^T u];  du = dx Win[:E] + dz Win[E:]
// cuBLAS's FP32 SGEMM (no TF32), fixed-order GEMVs and the operators' fixed-order sums: bitwise deterministic.
#include <cstdint>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/common/pointwise.hpp"
#include "optimized/mamba/variants.hpp"
#include "optimized/selective_scan/variants.hpp"
#include "optimized/short_conv/variants.hpp"

namespace menagerie::opt::mamba::composed_fp32 {
namespace {

using cuda::Op;
namespace scan = opt::selective_scan::scan;
constexpr int kThreads = kPointwiseThreads;

ops::short_conv::Problem conv_problem(const Problem& p) {
  return {.B = p.B, .T = p.T, .D = p.d_inner(), .K = p.d_conv};
}

std::size_t floats_of(std::size_t bytes) { return (bytes + sizeof(float) - 1) / sizeof(float); }

// The workspace: ones [M]; g (dg), dys, dz, dxs, ddelta, dx [M, E]; dA [E, N]; dBm, dCm [M, N]; ddt [M, R];
// ddbc [M, W]; the conv's partial sums; the scan's workspace.
struct Layout {
  std::size_t ones, g, dys, dz, dxs, ddelta, dx, dA, dBm, dCm, ddt, ddbc, partial, scan, total;
  explicit Layout(const Problem& p) {
    const auto M = static_cast<std::size_t>(p.B * p.T), E = static_cast<std::size_t>(p.d_inner()),
               N = static_cast<std::size_t>(p.d_state), R = static_cast<std::size_t>(p.rank());
    Carve c;
    ones = c.take(M);
    for (std::size_t* s : {&g, &dys, &dz, &dxs, &ddelta, &dx}) *s = c.take(M * E);
    dA = c.take(E * N);
    dBm = c.take(M * N);
    dCm = c.take(M * N);
    ddt = c.take(M * R);
    ddbc = c.take(M * (R + 2 * N));
    partial = c.take(static_cast<std::size_t>(opt::short_conv::chunks(conv_problem(p)) * (p.d_conv + 1) * p.d_inner()));
    scan = c.take(floats_of(scan::workspace_bytes(mixers::mamba::scan_problem(p))));
    total = c.total();
  }
};

__device__ __forceinline__ float sigmoid(float a) { return 1.f / (1.f + expf(-a)); }
__device__ __forceinline__ float silu(float a) { return a * sigmoid(a); }
__device__ __forceinline__ float d_silu(float a) {
  const float s = sigmoid(a);
  return s * (1.f + a * (1.f - s));
}

// xs = SiLU(xc).
__global__ void silu_kernel(const float* __restrict__ xc, float* __restrict__ xs, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i < n) xs[i] = silu(xc[i]);
}

// delta = softplus(delta + bdt), in place over [M, E]; the stable form max(a, 0) + log1p(exp(−|a|)).
__global__ void softplus_kernel(float* __restrict__ delta, const float* __restrict__ bdt, std::int64_t E,
                                std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const float a = delta[i] + bdt[i % E];
  delta[i] = fmaxf(a, 0.f) + log1pf(expf(-fabsf(a)));
}

// Bm, Cm [M, N] from dbc [M, W] (columns R.. and R+N..).
__global__ void split_kernel(const float* __restrict__ dbc, float* __restrict__ Bm, float* __restrict__ Cm,
                             std::int64_t R, std::int64_t N, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const std::int64_t m = i / N, j = i % N, row = m * (R + 2 * N) + R;
  Bm[i] = dbc[row + j];
  Cm[i] = dbc[row + N + j];
}

// A = −exp(A_log), or with `grad` dA_log = dA ⊙ A (into out).
__global__ void a_kernel(const float* __restrict__ A_log, const float* __restrict__ dA, float* __restrict__ out,
                         std::int64_t n, bool grad) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const float A = -expf(A_log[i]);
  out[i] = grad ? dA[i] * A : A;
}

// g = ys ⊙ SiLU(z).
__global__ void gate_kernel(const float* __restrict__ ys, const float* __restrict__ z, float* __restrict__ g,
                            std::int64_t n) {
  const std::int64_t i = element_index();
  if (i < n) g[i] = ys[i] * silu(z[i]);
}

// dys = dg ⊙ SiLU(z);  dz = dg ⊙ ys ⊙ SiLU'(z).
__global__ void gate_backward_kernel(const float* __restrict__ dg, const float* __restrict__ ys,
                                     const float* __restrict__ z, float* __restrict__ dys, float* __restrict__ dz,
                                     std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const float zi = z[i], g = dg[i];
  dys[i] = g * silu(zi);
  dz[i] = g * ys[i] * d_silu(zi);
}

// ddelta <- ddelta (1 − exp(−delta)) (softplus' by its output), in place.
__global__ void softplus_backward_kernel(const float* __restrict__ delta, float* __restrict__ ddelta, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i < n) ddelta[i] *= -expm1f(-delta[i]);
}

// ddbc [M, W] = [ddt | dBm | dCm].
__global__ void merge_kernel(const float* __restrict__ ddt, const float* __restrict__ dBm,
                             const float* __restrict__ dCm, float* __restrict__ ddbc, std::int64_t R, std::int64_t N,
                             std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const std::int64_t W = R + 2 * N, m = i / W, j = i % W;
  ddbc[i] = j < R ? ddt[m * R + j] : j < R + N ? dBm[m * N + j - R] : dCm[m * N + j - R - N];
}

// dxc = dxs ⊙ SiLU'(xc), into dxs.
__global__ void silu_backward_kernel(const float* __restrict__ xc, float* __restrict__ dxs, std::int64_t n) {
  const std::int64_t i = element_index();
  if (i < n) dxs[i] *= d_silu(xc[i]);
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.B < 1 || p.T < 1 || p.d < 1 || p.d_state < 1 || p.d_conv < 1 || p.expand < 1 || p.dt_rank < 0)
    return cat("mamba composed_fp32: B, T, d, d_state, d_conv, expand, dt_rank = ", p.B, ", ", p.T, ", ", p.d, ", ",
               p.d_state, ", ", p.d_conv, ", ", p.expand, ", ", p.dt_rank, " unsupported");
  if (p.B * p.T * (p.d_inner() + p.rank() + 2 * p.d_state) > (std::int64_t{1} << 31) - 1)
    return cat("mamba composed_fp32: B T (E + R + 2N) = ", p.B * p.T * (p.d_inner() + p.rank() + 2 * p.d_state),
               " exceeds cuBLAS's 32-bit sizes (2^31 - 1)");
  if (const std::string why = opt::short_conv::unsupported(conv_problem(p)); !why.empty()) return why;
  return scan::unsupported(mixers::mamba::scan_problem(p));
}

std::vector<BufferSpec> buffers(const Problem& p) {
  const auto f = sizeof(float);
  const auto M = static_cast<std::size_t>(p.B * p.T), E = static_cast<std::size_t>(p.d_inner()),
             N = static_cast<std::size_t>(p.d_state), W = static_cast<std::size_t>(p.rank()) + 2 * N;
  std::vector<BufferSpec> b;
  for (const char* name : {"x", "z", "xc", "xs", "delta", "ys"}) b.push_back({name, M * E * f, true});
  b.insert(b.end(), {{"dbc", M * W * f, true},
                     {"Bm", M * N * f, true},
                     {"Cm", M * N * f, true},
                     {"A", E * N * f, true},
                     {"scan_state", scan::state_bytes(mixers::mamba::scan_problem(p)), true},
                     {"workspace", Layout(p).total * f, false}});
  return b;
}

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  const std::int64_t M = p.B * p.T, d = p.d, E = p.d_inner(), R = p.rank(), N = p.d_state, W = R + 2 * N, n = M * E;
  const float *u = a.as<float>("u"), *Win = a.as<float>("in_proj.weight");
  float *x = a.as<float>("x"), *z = a.as<float>("z"), *xc = a.as<float>("xc"), *xs = a.as<float>("xs"),
        *dbc = a.as<float>("dbc"), *delta = a.as<float>("delta"), *Bm = a.as<float>("Bm"), *Cm = a.as<float>("Cm"),
        *A = a.as<float>("A"), *ys = a.as<float>("ys");
  cuda::gemm_rm(s, Op::N, Op::T, M, E, d, 1.f, u, d, Win, d, 0.f, x);
  cuda::gemm_rm(s, Op::N, Op::T, M, E, d, 1.f, u, d, Win + E * d, d, 0.f, z);
  opt::short_conv::forward(conv_problem(p), DType::f32, {x, a.get("conv1d.weight"), a.get("conv1d.bias"), xc}, s);
  silu_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(xc, xs, n);
  MENAGERIE_LAUNCH_CHECK();
  cuda::gemm_rm(s, Op::N, Op::T, M, W, E, 1.f, xs, E, a.as<float>("x_proj.weight"), E, 0.f, dbc);
  cuda::gemm_rm(s, Op::N, Op::T, M, E, R, 1.f, dbc, W, a.as<float>("dt_proj.weight"), R, 0.f, delta);
  softplus_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(delta, a.as<float>("dt_proj.bias"), E, n);
  split_kernel<<<pointwise_blocks(M * N), kThreads, 0, s>>>(dbc, Bm, Cm, R, N, M * N);
  a_kernel<<<pointwise_blocks(E * N), kThreads, 0, s>>>(a.as<float>("A_log"), nullptr, A, E * N, false);
  MENAGERIE_LAUNCH_CHECK();
  scan::forward<float>(mixers::mamba::scan_problem(p), {xs, delta, A, Bm, Cm, a.as<float>("D")}, ys,
                       a.as<float>("scan_state"), s);
  float* g = a.as<float>("workspace") + Layout(p).g;
  gate_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(ys, z, g, n);
  MENAGERIE_LAUNCH_CHECK();
  cuda::gemm_rm(s, Op::N, Op::T, M, d, E, 1.f, g, E, a.as<float>("out_proj.weight"), E, 0.f, a.as<float>("y"));
}

void backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  const std::int64_t M = p.B * p.T, d = p.d, E = p.d_inner(), R = p.rank(), N = p.d_state, W = R + 2 * N, n = M * E;
  const Layout l(p);
  float* ws = a.as<float>("workspace");
  float *ones = ws + l.ones, *g = ws + l.g, *dys = ws + l.dys, *dz = ws + l.dz, *dxs = ws + l.dxs,
        *ddelta = ws + l.ddelta, *dx = ws + l.dx, *dA = ws + l.dA, *dBm = ws + l.dBm, *dCm = ws + l.dCm,
        *ddt = ws + l.ddt, *ddbc = ws + l.ddbc;
  const float *u = a.as<float>("u"), *dy = a.as<float>("dy"), *Win = a.as<float>("in_proj.weight"),
              *z = a.as<float>("z"), *xs = a.as<float>("xs"), *ys = a.as<float>("ys"), *dbc = a.as<float>("dbc"),
              *delta = a.as<float>("delta");
  fill(s, ones, M, 1.f);
  gate_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(ys, z, g, n);
  MENAGERIE_LAUNCH_CHECK();
  const float* Wout = a.as<float>("out_proj.weight");
  cuda::gemm_rm(s, Op::T, Op::N, d, E, M, 1.f, dy, d, g, E, 0.f, a.as<float>("dout_proj.weight"));
  cuda::gemm_rm(s, Op::N, Op::N, M, E, d, 1.f, dy, d, Wout, E, 0.f, g);  // g <- dg
  gate_backward_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(g, ys, z, dys, dz, n);
  MENAGERIE_LAUNCH_CHECK();
  scan::backward<float>(mixers::mamba::scan_problem(p),
                        {xs, delta, a.as<float>("A"), a.as<float>("Bm"), a.as<float>("Cm"), a.as<float>("D")},
                        a.as<float>("scan_state"), dys, {dxs, ddelta, dA, dBm, dCm, a.as<float>("dD")},
                        ws + l.scan, s);
  a_kernel<<<pointwise_blocks(E * N), kThreads, 0, s>>>(a.as<float>("A_log"), dA, a.as<float>("dA_log"), E * N,
                                                        true);
  softplus_backward_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(delta, ddelta, n);
  MENAGERIE_LAUNCH_CHECK();
  const float* Wdt = a.as<float>("dt_proj.weight");
  cuda::gemm_rm(s, Op::T, Op::N, E, R, M, 1.f, ddelta, E, dbc, W, 0.f, a.as<float>("ddt_proj.weight"));
  cuda::column_sums(s, M, E, ddelta, ones, a.as<float>("ddt_proj.bias"));
  cuda::gemm_rm(s, Op::N, Op::N, M, R, E, 1.f, ddelta, E, Wdt, R, 0.f, ddt);
  merge_kernel<<<pointwise_blocks(M * W), kThreads, 0, s>>>(ddt, dBm, dCm, ddbc, R, N, M * W);
  MENAGERIE_LAUNCH_CHECK();
  cuda::gemm_rm(s, Op::T, Op::N, W, E, M, 1.f, ddbc, W, xs, E, 0.f, a.as<float>("dx_proj.weight"));
  cuda::gemm_rm(s, Op::N, Op::N, M, E, W, 1.f, ddbc, W, a.as<float>("x_proj.weight"), E, 1.f, dxs);
  silu_backward_kernel<<<pointwise_blocks(n), kThreads, 0, s>>>(a.as<float>("xc"), dxs, n);
  MENAGERIE_LAUNCH_CHECK();
  opt::short_conv::backward(conv_problem(p), DType::f32,
                            {a.get("x"), a.get("conv1d.weight"), dxs, dx, a.get("dconv1d.weight"),
                             a.get("dconv1d.bias"), ws + l.partial},
                            s);
  float* dWin = a.as<float>("din_proj.weight");
  cuda::gemm_rm(s, Op::T, Op::N, E, d, M, 1.f, dx, E, u, d, 0.f, dWin);
  cuda::gemm_rm(s, Op::T, Op::N, E, d, M, 1.f, dz, E, u, d, 0.f, dWin + E * d);
  float* du = a.as<float>("du");
  cuda::gemm_rm(s, Op::N, Op::N, M, d, E, 1.f, dx, E, Win, d, 0.f, du);
  cuda::gemm_rm(s, Op::N, Op::N, M, d, E, 1.f, dz, E, Win + E * d, d, 1.f, du);
}

}  // namespace menagerie::opt::mamba::composed_fp32
