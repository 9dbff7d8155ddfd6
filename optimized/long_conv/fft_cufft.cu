// fft_cufft: the causal long convolution (core/ops/long_conv.hpp) in fp32 through cuFFT, the algorithm of zoology's
// fft_conv (torch.fft.rfft of 2T, product, irfft), with the steps around the transforms fused into one kernel each:
//   forward   R = pad_n(u^T)  [B*D, n] (transpose of [B,T,D] through a shared-memory tile, zeros for t >= T)
//             Hr = pad_n(h[:, :T]) [D, n];  U = rfft(R), H = rfft(Hr)     (cuFFT R2C, n = 2T, F = T + 1 bins)
//             U[bd, f] *= H[d, f] / n;  R = irfft(U);  y[b,t,d] = R[b*D+d, t] for t < T (transpose back)
//   backward  DY = rfft(pad_n(dy^T)), U = rfft(pad_n(u^T)), H = rfft(pad_n(h)); per (d, f):
//             DU_b = DY_b conj(H) / n,  DH = sum_b DY_b conj(U_b) / n, the sum over S batch slices (b = j, j + S, ...
//             in order) and then over the slices in order (optimized/common/column_sums.cuh): deterministic;
//             du = irfft(DU)[:T] transposed back, dh[d, s] = irfft(DH)[s] for s < T and 0 for T <= s < L.
// Zero padding to n = 2T makes the circular convolution (and correlation) equal the causal one on [0, T): a tap
// or lag reaching past T lands in the zero half. Plans (R2C and C2R, batch B*D and D) are kept in a process-wide
// cache keyed by size and stream; the first call of a size creates them (cuFFT allocates its work area then).
// Workspace (floats, each part 256-byte aligned): R [B*D*n], U [B*D*F] complex, DY [B*D*F] complex (backward),
// Hr [D*n], H [D*F] complex, P [S*D*F] complex (backward's slice sums). Limits: cuFFT's 32-bit sizes, B*D*n < 2^31.
#include <cufft.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/column_sums.cuh"
#include "optimized/common/cufft_plan_cache.hpp"
#include "optimized/long_conv/variants.hpp"

namespace menagerie::opt::long_conv::fft_cufft {
namespace {

constexpr int kTile = 32, kRows = 8;

// Batch slices of the backward's filter-spectrum sum: enough threads for an H100 (about 64k) over the D F bins, at
// most B (and the grid's 65535).
std::int64_t slices(const Problem& p) {
  const std::int64_t bins = p.D * (p.T + 1);
  return std::clamp<std::int64_t>((65536 + bins - 1) / bins, 1, std::min<std::int64_t>(p.B, 65535));
}

struct Layout {
  std::int64_t n, F, S;
  std::size_t R, U, DY, Hr, H, P, total;  // byte offsets
  explicit Layout(const Problem& p) : n(2 * p.T), F(p.T + 1), S(slices(p)) {
    const auto align = [](std::size_t x) { return (x + 255) / 256 * 256; };
    const auto bd = static_cast<std::size_t>(p.B * p.D), d = static_cast<std::size_t>(p.D);
    R = 0;
    U = R + align(bd * static_cast<std::size_t>(n) * sizeof(float));
    DY = U + align(bd * static_cast<std::size_t>(F) * sizeof(cufftComplex));
    Hr = DY + align(bd * static_cast<std::size_t>(F) * sizeof(cufftComplex));
    H = Hr + align(d * static_cast<std::size_t>(n) * sizeof(float));
    P = H + align(d * static_cast<std::size_t>(F) * sizeof(cufftComplex));
    total = P + align(static_cast<std::size_t>(S) * d * static_cast<std::size_t>(F) * sizeof(cufftComplex));
  }
};

cuda::CufftPlanCache& plans() {
  static auto* cache = new cuda::CufftPlanCache;  // never destroyed: no cuFFT call after the runtime shuts down
  return *cache;
}

// out[b*D + d, t] = t < T ? x[b, t, d] : 0 for t < n.  grid (ceil(D/32), ceil(n/32), B), block (32, 8).
__global__ void pad_transpose(const float* __restrict__ x, float* __restrict__ out, std::int64_t T, std::int64_t D,
                              std::int64_t n) {
  __shared__ float tile[kTile][kTile + 1];
  const std::int64_t d0 = static_cast<std::int64_t>(blockIdx.x) * kTile, t0 = static_cast<std::int64_t>(blockIdx.y) * kTile;
  const std::int64_t b = blockIdx.z;
  for (int r = threadIdx.y; r < kTile; r += kRows) {
    const std::int64_t t = t0 + r, d = d0 + threadIdx.x;
    tile[r][threadIdx.x] = (t < T && d < D) ? x[(b * T + t) * D + d] : 0.f;
  }
  __syncthreads();
  for (int r = threadIdx.y; r < kTile; r += kRows) {
    const std::int64_t d = d0 + r, t = t0 + threadIdx.x;
    if (d < D && t < n) out[(b * D + d) * n + t] = tile[threadIdx.x][r];
  }
}

// y[b, t, d] = in[b*D + d, t] for t < T.  grid (ceil(D/32), ceil(T/32), B), block (32, 8).
__global__ void unpad_transpose(const float* __restrict__ in, float* __restrict__ y, std::int64_t T, std::int64_t D,
                                std::int64_t n) {
  __shared__ float tile[kTile][kTile + 1];
  const std::int64_t d0 = static_cast<std::int64_t>(blockIdx.x) * kTile, t0 = static_cast<std::int64_t>(blockIdx.y) * kTile;
  const std::int64_t b = blockIdx.z;
  for (int r = threadIdx.y; r < kTile; r += kRows) {
    const std::int64_t d = d0 + r, t = t0 + threadIdx.x;
    if (d < D && t < T) tile[r][threadIdx.x] = in[(b * D + d) * n + t];
  }
  __syncthreads();
  for (int r = threadIdx.y; r < kTile; r += kRows) {
    const std::int64_t t = t0 + r, d = d0 + threadIdx.x;
    if (d < D && t < T) y[(b * T + t) * D + d] = tile[threadIdx.x][r];
  }
}

// out[d, s] = s < T ? h[d, s] : 0 for s < n (h rows of L taps).
__global__ void pad_filter(const float* __restrict__ h, float* __restrict__ out, std::int64_t D, std::int64_t L,
                           std::int64_t T, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= D * n) return;
  const std::int64_t d = i / n, s = i % n;
  out[i] = s < T ? h[d * L + s] : 0.f;
}

// dh[d, s] = s < T ? in[d, s] : 0 for s < L.
__global__ void unpad_filter(const float* __restrict__ in, float* __restrict__ dh, std::int64_t D, std::int64_t L,
                             std::int64_t T, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= D * L) return;
  const std::int64_t d = i / L, s = i % L;
  dh[i] = s < T ? in[d * n + s] : 0.f;
}

__device__ __forceinline__ cufftComplex cmul(cufftComplex a, cufftComplex b, float scale) {
  return {(a.x * b.x - a.y * b.y) * scale, (a.x * b.y + a.y * b.x) * scale};
}
__device__ __forceinline__ cufftComplex cmul_conj(cufftComplex a, cufftComplex b, float scale) {  // a conj(b)
  return {(a.x * b.x + a.y * b.y) * scale, (a.y * b.x - a.x * b.y) * scale};
}

// U[bd, f] = U[bd, f] H[bd % D, f] / n over B*D*F bins.
__global__ void spectral_product(cufftComplex* __restrict__ U, const cufftComplex* __restrict__ H, std::int64_t D,
                                 std::int64_t F, std::int64_t total, float scale) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const std::int64_t f = i % F, d = (i / F) % D;
  U[i] = cmul(U[i], H[d * F + f], scale);
}

// Per bin i = d F + f and batch slice j (grid.y): DY_b <- DY_b conj(H) / n for b = j, j + S, ..., and
// P[j, i] = the sum over those b, in increasing b, of DY_b conj(U_b) (unscaled).
__global__ void gradient_spectra(cufftComplex* __restrict__ DY, const cufftComplex* __restrict__ U,
                                 const cufftComplex* __restrict__ H, cufftComplex* __restrict__ P, std::int64_t B,
                                 std::int64_t D, std::int64_t F, std::int64_t S, float scale) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x, j = blockIdx.y;
  if (i >= D * F) return;
  const cufftComplex h = H[i];
  cufftComplex acc{0.f, 0.f};
  for (std::int64_t b = j; b < B; b += S) {
    const std::int64_t k = b * D * F + i;
    const cufftComplex g = DY[k], u = U[k];
    acc.x += g.x * u.x + g.y * u.y;
    acc.y += g.y * u.x - g.x * u.y;
    DY[k] = cmul_conj(g, h, scale);
  }
  P[j * D * F + i] = acc;
}

// H <- (the sum over the slices j of P[j, ·]) / n, as floats (re, im interleaved): column_sums.cuh's fixed order.
struct ScaledStore {
  float* out;
  float scale;
  __device__ void operator()(std::int64_t c, float v) const { out[c] = v * scale; }
};

unsigned blocks(std::int64_t n, int threads) { return static_cast<unsigned>((n + threads - 1) / threads); }

void to_padded(const float* x, float* out, const Problem& p, std::int64_t n, cudaStream_t s) {
  const dim3 grid(blocks(p.D, kTile), blocks(n, kTile), static_cast<unsigned>(p.B));
  pad_transpose<<<grid, dim3(kTile, kRows), 0, s>>>(x, out, p.T, p.D, n);
  MENAGERIE_LAUNCH_CHECK();
}

void from_padded(const float* in, float* y, const Problem& p, std::int64_t n, cudaStream_t s) {
  const dim3 grid(blocks(p.D, kTile), blocks(p.T, kTile), static_cast<unsigned>(p.B));
  unpad_transpose<<<grid, dim3(kTile, kRows), 0, s>>>(in, y, p.T, p.D, n);
  MENAGERIE_LAUNCH_CHECK();
}

// R2C of `rows` padded rows into `out`.
void rfft(const float* in, cufftComplex* out, std::int64_t rows, std::int64_t n, cudaStream_t s) {
  const cufftHandle plan = plans().get(CUFFT_R2C, static_cast<int>(n), static_cast<int>(rows), s);
  MENAGERIE_CUFFT_CHECK(cufftExecR2C(plan, const_cast<float*>(in), out));
}

void irfft(cufftComplex* in, float* out, std::int64_t rows, std::int64_t n, cudaStream_t s) {
  const cufftHandle plan = plans().get(CUFFT_C2R, static_cast<int>(n), static_cast<int>(rows), s);
  MENAGERIE_CUFFT_CHECK(cufftExecC2R(plan, in, out));
}

// H = rfft(pad_n(h[:, :T])) into the workspace.
void filter_spectrum(const Problem& p, const float* h, const Layout& l, char* ws, cudaStream_t s) {
  auto* hr = reinterpret_cast<float*>(ws + l.Hr);
  pad_filter<<<blocks(p.D * l.n, 256), 256, 0, s>>>(h, hr, p.D, p.L, p.T, l.n);
  MENAGERIE_LAUNCH_CHECK();
  rfft(hr, reinterpret_cast<cufftComplex*>(ws + l.H), p.D, l.n, s);
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.B * p.D * 2 * p.T >= (std::int64_t{1} << 31))
    return cat("long_conv fft_cufft: B * D * 2T = ", p.B * p.D * 2 * p.T, " exceeds cuFFT's 32-bit size (< 2^31)");
  if (p.B > 65535) return cat("long_conv fft_cufft: B = ", p.B, " exceeds 65535");
  return {};
}

std::size_t workspace_bytes(const Problem& p) { return Layout(p).total; }

void forward(const Problem& p, const float* u, const float* h, float* y, void* workspace, cudaStream_t s) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  const Layout l(p);
  auto* ws = static_cast<char*>(workspace);
  auto* R = reinterpret_cast<float*>(ws + l.R);
  auto* U = reinterpret_cast<cufftComplex*>(ws + l.U);
  filter_spectrum(p, h, l, ws, s);
  to_padded(u, R, p, l.n, s);
  rfft(R, U, p.B * p.D, l.n, s);
  const std::int64_t bins = p.B * p.D * l.F;
  spectral_product<<<blocks(bins, 256), 256, 0, s>>>(U, reinterpret_cast<const cufftComplex*>(ws + l.H), p.D, l.F,
                                                     bins, 1.f / static_cast<float>(l.n));
  MENAGERIE_LAUNCH_CHECK();
  irfft(U, R, p.B * p.D, l.n, s);
  from_padded(R, y, p, l.n, s);
}

void backward(const Problem& p, const float* u, const float* h, const float* dy, float* du, float* dh,
              void* workspace, cudaStream_t s) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  const Layout l(p);
  auto* ws = static_cast<char*>(workspace);
  auto* R = reinterpret_cast<float*>(ws + l.R);
  auto* U = reinterpret_cast<cufftComplex*>(ws + l.U);
  auto* DY = reinterpret_cast<cufftComplex*>(ws + l.DY);
  auto* H = reinterpret_cast<cufftComplex*>(ws + l.H);
  auto* Hr = reinterpret_cast<float*>(ws + l.Hr);
  filter_spectrum(p, h, l, ws, s);
  to_padded(dy, R, p, l.n, s);
  rfft(R, DY, p.B * p.D, l.n, s);
  to_padded(u, R, p, l.n, s);
  rfft(R, U, p.B * p.D, l.n, s);
  auto* P = reinterpret_cast<cufftComplex*>(ws + l.P);
  const float scale = 1.f / static_cast<float>(l.n);
  const dim3 grid(blocks(p.D * l.F, 256), static_cast<unsigned>(l.S));
  gradient_spectra<<<grid, 256, 0, s>>>(DY, U, H, P, p.B, p.D, l.F, l.S, scale);
  MENAGERIE_LAUNCH_CHECK();
  fixed_column_sums(reinterpret_cast<const float*>(P), l.S, 2 * p.D * l.F,
                    ScaledStore{reinterpret_cast<float*>(H), scale}, s);
  irfft(DY, R, p.B * p.D, l.n, s);
  from_padded(R, du, p, l.n, s);
  irfft(H, Hr, p.D, l.n, s);
  unpad_filter<<<blocks(p.D * p.L, 256), 256, 0, s>>>(Hr, dh, p.D, p.L, p.T, l.n);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace menagerie::opt::long_conv::fft_cufft
