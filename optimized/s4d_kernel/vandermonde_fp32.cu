// vandermonde_fp32: S4D-Lin's convolution kernel (core/ops/s4d_kernel.hpp has the math and the backward) on the GPU.
// Per mode (h, n), in double from the fp32 parameters: Δ = exp(log_dt), A = −exp(a) + i θ, x = ΔA, q = 1/(1 − x/2),
//   Ā = (1 + x/2) q, C′ = B C Δ q, and log Ā = ln|Ā| + i arg Ā.
// Forward, K[h,ℓ] = 2 Re sum_n C′_n Ā_n^ℓ: a CTA per (h, 4096 values of ℓ) puts its h's modes in shared memory; each
//   thread owns a run of R = 32 consecutive ℓ, starts every mode at C′ Ā^ℓ0 = C′ exp(ℓ0 log Ā) (double: the phase
//   ℓ0 arg Ā reaches 1e5 rad at T = 64k, which fp32 would get wrong by 1e-2) and steps it by Ā in fp32 over the run
//   (32 rounding steps at most, against the ℓ steps of the float reference's recurrence).
// Backward, S = 2 sum_ℓ dK[ℓ] Ā^ℓ and S″ = 2 sum_ℓ ℓ dK[ℓ] Ā^ℓ (then S′ = S″ / Ā): a CTA per (h, n); each thread
//   sums runs of R consecutive ℓ (start power in double, fp32 steps, fp32 run sums accumulated in double), then a
//   fixed-order shared-memory tree; thread 0 applies the chain rule in double and writes dB, dC, dinv_A_real,
//   dA_imag and its mode's term of dlog_dt to the workspace [H, N/2]; a last kernel sums those terms over n in index
//   order. No atomics: bitwise reproducible.
#include <cuComplex.h>

#include <cstdint>
#include <string>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/s4d_kernel/variants.hpp"

namespace menagerie::opt::s4d_kernel::vandermonde_fp32 {
namespace {

constexpr int kRun = 32, kThreads = 128, kMaxModes = 64;
constexpr std::int64_t kPerBlock = static_cast<std::int64_t>(kRun) * kThreads;

struct Mode {
  double dt, ea;
  cuDoubleComplex A, Bc, Cc, q, Abar, Cprime;
  double log_abs, arg;  // log Ā
};

__device__ Mode make_mode(const Params& in, std::int64_t h, std::int64_t n, std::int64_t M) {
  const std::int64_t i = h * M + n;
  Mode m;
  m.dt = exp(static_cast<double>(in.log_dt[h]));
  m.ea = exp(static_cast<double>(in.inv_A_real[i]));
  m.A = make_cuDoubleComplex(-m.ea, in.A_imag[i]);
  m.Bc = make_cuDoubleComplex(in.B[2 * i], in.B[2 * i + 1]);
  m.Cc = make_cuDoubleComplex(in.C[2 * i], in.C[2 * i + 1]);
  const cuDoubleComplex half_x = make_cuDoubleComplex(m.A.x * m.dt / 2, m.A.y * m.dt / 2);
  m.q = cuCdiv(make_cuDoubleComplex(1, 0), make_cuDoubleComplex(1 - half_x.x, -half_x.y));
  m.Abar = cuCmul(make_cuDoubleComplex(1 + half_x.x, half_x.y), m.q);
  const cuDoubleComplex bcq = cuCmul(cuCmul(m.Bc, m.Cc), m.q);
  m.Cprime = make_cuDoubleComplex(bcq.x * m.dt, bcq.y * m.dt);
  m.log_abs = log(cuCabs(m.Abar));
  m.arg = atan2(m.Abar.y, m.Abar.x);
  return m;
}

// z exp(l log Ā) in double.
__device__ cuDoubleComplex power_times(const Mode& m, std::int64_t l, cuDoubleComplex z) {
  double s, c;
  sincos(static_cast<double>(l) * m.arg, &s, &c);
  const double r = exp(static_cast<double>(l) * m.log_abs);
  return cuCmul(z, make_cuDoubleComplex(r * c, r * s));
}

// grid (ceil(T / kPerBlock), H), block kThreads.
__global__ void __launch_bounds__(kThreads) forward_kernel(Params in, float* __restrict__ K, std::int64_t M,
                                                           std::int64_t T) {
  __shared__ Mode modes[kMaxModes];
  const std::int64_t h = blockIdx.y;
  for (std::int64_t n = threadIdx.x; n < M; n += kThreads) modes[n] = make_mode(in, h, n, M);
  __syncthreads();
  const std::int64_t l0 = static_cast<std::int64_t>(blockIdx.x) * kPerBlock + static_cast<std::int64_t>(threadIdx.x) * kRun;
  if (l0 >= T) return;
  float acc[kRun];
#pragma unroll
  for (int r = 0; r < kRun; ++r) acc[r] = 0.f;
  for (std::int64_t n = 0; n < M; ++n) {
    const cuDoubleComplex start = power_times(modes[n], l0, modes[n].Cprime);
    float tr = static_cast<float>(start.x), ti = static_cast<float>(start.y);
    const float ar = static_cast<float>(modes[n].Abar.x), ai = static_cast<float>(modes[n].Abar.y);
#pragma unroll
    for (int r = 0; r < kRun; ++r) {
      acc[r] += 2.f * tr;
      const float nr = tr * ar - ti * ai;
      ti = fmaf(tr, ai, ti * ar);
      tr = nr;
    }
  }
  float* out = K + h * T + l0;
#pragma unroll
  for (int r = 0; r < kRun; ++r)
    if (l0 + r < T) out[r] = acc[r];
}

// grid (M, H), block kThreads.  term [H, M]: mode n's share of dlog_dt.
__global__ void __launch_bounds__(kThreads) backward_kernel(Params in, const float* __restrict__ dK, Grads out,
                                                            double* __restrict__ term, std::int64_t M,
                                                            std::int64_t T) {
  __shared__ double red[4][kThreads];
  const std::int64_t h = blockIdx.y, n = blockIdx.x;
  const Mode m = make_mode(in, h, n, M);
  const float ar = static_cast<float>(m.Abar.x), ai = static_cast<float>(m.Abar.y);
  double s_re = 0, s_im = 0, s2_re = 0, s2_im = 0;  // S and S″ (without the factor 2)
  const float* g = dK + h * T;
  for (std::int64_t l0 = static_cast<std::int64_t>(threadIdx.x) * kRun; l0 < T; l0 += kPerBlock) {
    const cuDoubleComplex start = power_times(m, l0, make_cuDoubleComplex(1, 0));
    float pr = static_cast<float>(start.x), pi = static_cast<float>(start.y);
    float a_re = 0, a_im = 0, b_re = 0, b_im = 0;
    for (int r = 0; r < kRun && l0 + r < T; ++r) {
      const float gl = g[l0 + r], lg = static_cast<float>(l0 + r) * gl;
      a_re = fmaf(gl, pr, a_re), a_im = fmaf(gl, pi, a_im);
      b_re = fmaf(lg, pr, b_re), b_im = fmaf(lg, pi, b_im);
      const float nr = pr * ar - pi * ai;
      pi = fmaf(pr, ai, pi * ar);
      pr = nr;
    }
    s_re += a_re, s_im += a_im, s2_re += b_re, s2_im += b_im;
  }
  red[0][threadIdx.x] = s_re, red[1][threadIdx.x] = s_im, red[2][threadIdx.x] = s2_re, red[3][threadIdx.x] = s2_im;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w /= 2) {
    if (threadIdx.x < w)
      for (int k = 0; k < 4; ++k) red[k][threadIdx.x] += red[k][threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x != 0) return;
  const cuDoubleComplex S = make_cuDoubleComplex(2 * red[0][0], 2 * red[1][0]);
  const cuDoubleComplex S1 = cuCdiv(make_cuDoubleComplex(2 * red[2][0], 2 * red[3][0]), m.Abar);
  const cuDoubleComplex q2 = cuCmul(m.q, m.q), bc = cuCmul(m.Bc, m.Cc);
  const cuDoubleComplex gx1 = cuCmul(cuCmul(S, bc), q2), gx2 = cuCmul(cuCmul(m.Cprime, S1), q2);
  const cuDoubleComplex gx = make_cuDoubleComplex(gx1.x * m.dt / 2 + gx2.x, gx1.y * m.dt / 2 + gx2.y);
  const cuDoubleComplex gB = cuCmul(cuCmul(S, m.Cc), m.q), gC = cuCmul(cuCmul(S, m.Bc), m.q);
  const std::int64_t i = h * M + n;
  out.B[2 * i] = static_cast<float>(gB.x * m.dt);
  out.B[2 * i + 1] = static_cast<float>(-gB.y * m.dt);
  out.C[2 * i] = static_cast<float>(gC.x * m.dt);
  out.C[2 * i + 1] = static_cast<float>(-gC.y * m.dt);
  out.inv_A_real[i] = static_cast<float>(-m.dt * m.ea * gx.x);
  out.A_imag[i] = static_cast<float>(-m.dt * gx.y);
  term[i] = m.dt * (cuCmul(gx, m.A).x + cuCmul(cuCmul(S, bc), m.q).x);
}

// dlog_dt[h] = sum_n term[h, n], n ascending.
__global__ void log_dt_kernel(const double* __restrict__ term, float* __restrict__ dlog_dt, std::int64_t H,
                              std::int64_t M) {
  const std::int64_t h = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (h >= H) return;
  double acc = 0;
  for (std::int64_t n = 0; n < M; ++n) acc += term[h * M + n];
  dlog_dt[h] = static_cast<float>(acc);
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.modes() > kMaxModes)
    return cat("s4d_kernel vandermonde_fp32: N = ", p.N, " unsupported (needs N <= ", 2 * kMaxModes, ")");
  if (p.H > 65535) return cat("s4d_kernel vandermonde_fp32: H = ", p.H, " exceeds 65535");
  return {};
}

std::size_t workspace_bytes(const Problem& p) { return static_cast<std::size_t>(p.H * p.modes()) * sizeof(double); }

void forward(const Problem& p, const Params& in, float* K, cudaStream_t s) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  const dim3 grid(static_cast<unsigned>((p.T + kPerBlock - 1) / kPerBlock), static_cast<unsigned>(p.H));
  forward_kernel<<<grid, kThreads, 0, s>>>(in, K, p.modes(), p.T);
  MENAGERIE_LAUNCH_CHECK();
}

void backward(const Problem& p, const Params& in, const float* dK, const Grads& out, void* workspace, cudaStream_t s) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  auto* term = static_cast<double*>(workspace);
  backward_kernel<<<dim3(static_cast<unsigned>(p.modes()), static_cast<unsigned>(p.H)), kThreads, 0, s>>>(
      in, dK, out, term, p.modes(), p.T);
  MENAGERIE_LAUNCH_CHECK();
  log_dt_kernel<<<static_cast<unsigned>((p.H + 127) / 128), 128, 0, s>>>(term, out.log_dt, p.H, p.modes());
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace menagerie::opt::s4d_kernel::vandermonde_fp32
