// fft_tc_bf16: the causal long convolution (core/ops/long_conv.hpp) with bf16 storage, FlashFFTConv's way: FFTs of
// size n = 2^m >= 2T written as small DFT matrix products on tensor cores, with everything of size n kept on chip.
//
// Math. Zero padding to n >= 2T makes the circular convolution causal:
//   y = ifft(fft(pad_n u) * fft(pad_n h[:, :T]))[:T],  du = ifft(DY * conj(H))[:T],
//   dh[:, s] = sum_b ifft(DY_b * conj(U_b))[s] for s < T, 0 for T <= s < L.
// Real inputs in pairs: sequences b, b+1 of one channel share its filter, so x = u_b + i u_{b+1} is transformed once
// and ifft(fft(x) * H) = y_b + i y_{b+1} (H real in time). For dh the pair's spectra give
// Re ifft(DZ * conj(UZ)) = corr(dy_b, u_b) + corr(dy_{b+1}, u_{b+1}) (the cross terms are i times a real sequence).
//
// FFT (four-step, recursive). n = N_0 N_1 ... N_{L-1}, N_s in {16, 32, 64}; position p = sum_s k_s S_s with strides
// S_0 = n / N_0, S_s = S_{s-1} / N_s, S_{L-1} = 1. Stage s is a length-N_s DFT along axis s of every vector (a matrix
// product F_N X, F_N[k][j] = exp(-2 pi i kj / N)) followed, for s < L-1, by the twiddle tw_s(p) = exp(-2 pi i k lo /
// (N_s S_s)) with k = (p / S_s) mod N_s, lo = p mod S_s. The result holds X[k_0 + N_0 k_1 + N_0 N_1 k_2] at position
// k_0 S_0 + k_1 S_1 + k_2 (digit reversed); the filter's spectrum is stored in the same order, so the product is
// pointwise. The inverse is the adjoint (n^-1 A^H A = I): stages in reverse order with conj(F_N), each (s >= 1)
// followed by conj(tw_{s-1}); it returns natural order. Plans: n = 512: 32x16, 1024: 32x32, 2048: 64x32, 4096:
// 16x16x16, 8192: 32x16x16, 16384: 32x32x16. The first forward stage skips the k-tiles of the zero padding and the last
// inverse stage computes only the rows that reach t < T.
// Beyond one CTA (8192 < T <= 65536, N_tot = 32768, 65536, 131072): a thread-block cluster of cl = N_tot / 16384 =
// 2, 4, 8 CTAs per sequence pair, CTA r holding positions [r 16384, (r + 1) 16384). One more radix, cl, in front: a
// length-cl DFT across the CTAs (rows of stride 16384) through distributed shared memory in fp32, with the twiddle
// exp(-2 pi i k p / N_tot), then each CTA's local 32x32x16 FFT; X[k + cl q] lands in CTA k at q's digit-reversed
// position (fft_tc_plan.hpp has the index maps; fft_tc_bf16_cluster.cu the kernels).
//
// Tensor cores: mma.sync.m16n8k16 with fp16 operands and fp32 accumulators; A = a 16x16 tile of F_N (re, im and -im
// planes, ldmatrix from shared memory), B = 16 points x 8 vectors of the data (re and im planes), four real products
// per complex tile. Twiddles are applied in fp32 (__sincosf of an angle reduced to [-pi, pi]) and the result rounded to
// fp16 in place in shared memory (one warp owns whole vectors, so a stage needs no barrier inside it). fp16, not bf16:
// each stage rounds its output once, and about 2L + 1 roundings at bf16's 2^-9 would give ~4e-3 relative error,
// above the harness bound (twice the yardstick's bf16 output rounding, ~3e-3); fp16's 2^-12 gives ~5e-4. fp16's range
// is kept by power-of-two scales (exact): each sequence pair is scaled to max |x| in [1/2, 1) before its FFT (every
// intermediate is then below sqrt(2) T <= 11586; beyond T = 16384 the inputs take an extra 2^-(ceil log2 T - 14), which
// keeps it below sqrt(2) 2^14 = 23170: fft_tc_plan.hpp), each spectral product is scaled to max component in [1/2, 1)
// (a block- or cluster-wide max; the inverse's fp16 intermediates stay below sqrt(2) 16384), and the output is
// rescaled in fp32 before its single bf16 rounding. The data planes are padded by 2 halves per 64 (p -> p + 2 (p >> 6)) against bank conflicts.
//
// Kernels, one CTA (a cluster beyond T = 8192) per sequence pair of one channel (nothing of size n touches HBM):
//   filter_spectrum   one CTA per channel: Hn = fft(pad h[c, :T]) scaled to max component < 1, fp16 complex, to the
//                     workspace [D, n] (digit-reversed order) with its scale hscale[c] (H = Hn hscale[c])
//   forward           load the pair (bf16, D-strided), scale, fft, times Hn, scale, inverse fft, write y[:T] in bf16
//   backward          per (channel, group of pairs): fft of dy and u of each pair; du = ifft(DZ conj(Hn)) written at
//                     once, Re ifft(DZ conj(UZ))[:T] summed in fp32 in shared memory over the group's pairs in order;
//                     the group's partial dh [G, D, T] (fp32) goes to the workspace
//   dh_reduce         dh[c, s] = sum over groups in index order (s < T), 0 for T <= s < L. No atomics: bitwise
//                     reproducible.
// Supported: 1 <= T <= 65536 (n = max(512, next power of two >= 2T); one CTA up to n = 16384, where the backward keeps
// two padded sequences and the fp32 dh accumulator, 178 KB, in one CTA; clusters of 2-8 such CTAs beyond, 206 KB
// each in the backward), any B <= 131070, any D (D cl < 2^31), any L >= T. Workspace: D n 4 bytes of
// filter spectrum, D floats, and the backward's G D T floats of partial dh (G = ceil(B / 2) / pairs per group, about
// 512 / (D cl)). Each CTA reads one channel, so its loads and stores are D-strided (2 bytes per 32-byte sector;
// neighbouring channels' CTAs run together and share the sectors in L2). For T <= 8192 with D % 8 == 0 and 16-byte
// aligned tensors, forward and backward instead run fft_tc_bf16_tiled.cu's kernels: clusters of 8 CTAs on 8
// neighbouring channels that load and store whole 16-byte rows through distributed shared memory, bitwise the same
// results; the kernels here remain for every other shape.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/dynamic_smem.hpp"
#include "optimized/long_conv/fft_tc_bf16.cuh"
#include "optimized/long_conv/variants.hpp"

namespace menagerie::opt::long_conv::fft_tc_bf16 {
namespace {

constexpr std::int64_t kMaxPairs = 65535, kTargetCtas = 512;

// grid D: hspec[c, :] (digit-reversed, fp16 complex, max component < 1), hscale[c] (H = hspec hscale[c]).
__global__ void __launch_bounds__(256)
    filter_spectrum_kernel(const __nv_bfloat16* __restrict__ h, __half2* __restrict__ hspec, float* __restrict__ hscale,
                           Plan pl, std::int64_t T, std::int64_t L) {
  const Smem sm = carve(pl, false, 0);
  const std::int64_t c = blockIdx.x;
  build_tables(sm.tabs, pl);
  const float sh = load_pair(h + c * L, nullptr, static_cast<int>(T), 1, sm.re, sm.im, pl.n, sm.red);
  fft_forward(pl, sm.re, sm.im, sm.tabs, static_cast<int>(T));
  float m = 0.f;
  for (int p = threadIdx.x; p < pl.n; p += blockDim.x)
    m = fmaxf(m, fmaxf(fabsf(__half2float(sm.re[pad(p)])), fabsf(__half2float(sm.im[pad(p)]))));
  const float sn = inv_pow2_scale(block_max(m, sm.red));
  __half2* out = hspec + c * pl.n;
  for (int p = threadIdx.x; p < pl.n; p += blockDim.x)
    out[p] = __floats2half2_rn(__half2float(sm.re[pad(p)]) * sn, __half2float(sm.im[pad(p)]) * sn);
  if (threadIdx.x == 0) hscale[c] = 1.f / (sh * sn);
}

// grid (D, ceil(B / 2)).
__global__ void __launch_bounds__(256)
    forward_kernel(const __nv_bfloat16* __restrict__ u, const __half2* __restrict__ hspec,
                   const float* __restrict__ hscale, __nv_bfloat16* __restrict__ y, Plan pl, std::int64_t B,
                   std::int64_t T, std::int64_t D) {
  const Smem sm = carve(pl, false, 0);
  const std::int64_t c = blockIdx.x, b0 = 2 * static_cast<std::int64_t>(blockIdx.y);
  const bool has1 = b0 + 1 < B;
  build_tables(sm.tabs, pl);
  const __nv_bfloat16* u0 = u + b0 * T * D + c;
  const float su = load_pair(u0, has1 ? u0 + T * D : nullptr, static_cast<int>(T), D, sm.re, sm.im, pl.n, sm.red);
  fft_forward(pl, sm.re, sm.im, sm.tabs, static_cast<int>(T));
  const __half2* hc = hspec + c * pl.n;
  float m = 0.f;
  for (int p = threadIdx.x; p < pl.n; p += blockDim.x) {
    const float zr = __half2float(sm.re[pad(p)]), zi = __half2float(sm.im[pad(p)]);
    const float2 hv = __half22float2(hc[p]);
    m = fmaxf(m, fmaxf(fabsf(zr * hv.x - zi * hv.y), fabsf(zr * hv.y + zi * hv.x)));
  }
  const float beta = inv_pow2_scale(block_max(m, sm.red));
  for (int p = threadIdx.x; p < pl.n; p += blockDim.x) {
    const int a = pad(p);
    const float zr = __half2float(sm.re[a]), zi = __half2float(sm.im[a]);
    const float2 hv = __half22float2(hc[p]);
    sm.re[a] = __float2half_rn((zr * hv.x - zi * hv.y) * beta);
    sm.im[a] = __float2half_rn((zr * hv.y + zi * hv.x) * beta);
  }
  __syncthreads();
  const float osc = hscale[c] / (static_cast<float>(pl.n) * beta * su);
  __nv_bfloat16* y0 = y + b0 * T * D + c;
  __nv_bfloat16* y1 = y0 + T * D;
  fft_inverse(pl, sm.re, sm.im, sm.tabs, static_cast<int>(T), [&](int p, float xr, float xi) {
    y0[static_cast<std::int64_t>(p) * D] = __float2bfloat16_rn(xr * osc);
    if (has1) y1[static_cast<std::int64_t>(p) * D] = __float2bfloat16_rn(xi * osc);
  });
}

// grid (D, groups); group g takes pairs [g ppg, min((g + 1) ppg, pairs)); partial [groups, D, T] fp32.
__global__ void __launch_bounds__(256)
    backward_kernel(const __nv_bfloat16* __restrict__ u, const __nv_bfloat16* __restrict__ dy,
                    const __half2* __restrict__ hspec, const float* __restrict__ hscale, __nv_bfloat16* __restrict__ du,
                    float* __restrict__ partial, Plan pl, std::int64_t B, std::int64_t T, std::int64_t D,
                    std::int64_t ppg) {
  const Smem sm = carve(pl, true, static_cast<int>(T));
  const std::int64_t c = blockIdx.x, grp = blockIdx.y, pairs = (B + 1) / 2;
  const int len = static_cast<int>(T);
  build_tables(sm.tabs, pl);
  for (int t = threadIdx.x; t < len; t += blockDim.x) sm.acc[t] = 0.f;
  const __half2* hc = hspec + c * pl.n;
  const float hs = hscale[c], inv_n = 1.f / static_cast<float>(pl.n);
  const std::int64_t q_end = std::min(pairs, (grp + 1) * ppg);
  for (std::int64_t q = grp * ppg; q < q_end; ++q) {
    const std::int64_t b0 = 2 * q;
    const bool has1 = b0 + 1 < B;
    const __nv_bfloat16 *g0 = dy + b0 * T * D + c, *u0 = u + b0 * T * D + c;
    const float sd = load_pair(g0, has1 ? g0 + T * D : nullptr, len, D, sm.re, sm.im, pl.n, sm.red);
    const float su = load_pair(u0, has1 ? u0 + T * D : nullptr, len, D, sm.re2, sm.im2, pl.n, sm.red);
    fft_forward(pl, sm.re, sm.im, sm.tabs, len);
    fft_forward(pl, sm.re2, sm.im2, sm.tabs, len);
    float m1 = 0.f, m2 = 0.f;
    for (int p = threadIdx.x; p < pl.n; p += blockDim.x) {
      const int a = pad(p);
      const float dr = __half2float(sm.re[a]), di = __half2float(sm.im[a]);
      const float ur = __half2float(sm.re2[a]), ui = __half2float(sm.im2[a]);
      const float2 hv = __half22float2(hc[p]);
      m1 = fmaxf(m1, fmaxf(fabsf(dr * hv.x + di * hv.y), fabsf(di * hv.x - dr * hv.y)));
      m2 = fmaxf(m2, fmaxf(fabsf(dr * ur + di * ui), fabsf(di * ur - dr * ui)));
    }
    const float b1 = inv_pow2_scale(block_max(m1, sm.red)), b2 = inv_pow2_scale(block_max(m2, sm.red));
    for (int p = threadIdx.x; p < pl.n; p += blockDim.x) {
      const int a = pad(p);
      const float dr = __half2float(sm.re[a]), di = __half2float(sm.im[a]);
      const float ur = __half2float(sm.re2[a]), ui = __half2float(sm.im2[a]);
      const float2 hv = __half22float2(hc[p]);
      sm.re[a] = __float2half_rn((dr * hv.x + di * hv.y) * b1);
      sm.im[a] = __float2half_rn((di * hv.x - dr * hv.y) * b1);
      sm.re2[a] = __float2half_rn((dr * ur + di * ui) * b2);
      sm.im2[a] = __float2half_rn((di * ur - dr * ui) * b2);
    }
    __syncthreads();
    const float osc_u = hs * inv_n / (b1 * sd), osc_h = inv_n / (b2 * sd * su);
    __nv_bfloat16* d0 = du + b0 * T * D + c;
    __nv_bfloat16* d1 = d0 + T * D;
    fft_inverse(pl, sm.re, sm.im, sm.tabs, len, [&](int p, float xr, float xi) {
      d0[static_cast<std::int64_t>(p) * D] = __float2bfloat16_rn(xr * osc_u);
      if (has1) d1[static_cast<std::int64_t>(p) * D] = __float2bfloat16_rn(xi * osc_u);
    });
    __syncthreads();
    float* acc = sm.acc;
    fft_inverse(pl, sm.re2, sm.im2, sm.tabs, len, [&](int p, float xr, float) { acc[p] += xr * osc_h; });
    __syncthreads();
  }
  float* out = partial + (grp * D + c) * T;
  for (int t = threadIdx.x; t < len; t += blockDim.x) out[t] = sm.acc[t];
}

// dh[c, s] = sum_g partial[g, c, s] (g in order) for s < T, 0 for T <= s < L.
__global__ void dh_reduce_kernel(const float* __restrict__ partial, __nv_bfloat16* __restrict__ dh, std::int64_t G,
                                 std::int64_t T, std::int64_t D, std::int64_t L) {
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < D * L;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t c = i / L, s = i % L;
    float acc = 0.f;
    if (s < T)
      for (std::int64_t g = 0; g < G; ++g) acc += partial[(g * D + c) * T + s];
    dh[i] = __float2bfloat16_rn(acc);
  }
}

struct Layout {
  std::size_t spec, scale, partial, total;
  std::int64_t groups, ppg;
};

constexpr std::size_t align256(std::size_t x) { return (x + 255) / 256 * 256; }

Layout layout(const Problem& p) {
  const Plan pl = make_plan(p.T);
  Layout l{};
  const std::int64_t pairs = (p.B + 1) / 2;
  const std::int64_t ctas = p.D * pl.cl;
  const std::int64_t want = std::clamp<std::int64_t>((kTargetCtas + ctas - 1) / ctas, 1, pairs);
  l.ppg = (pairs + want - 1) / want;
  l.groups = (pairs + l.ppg - 1) / l.ppg;
  l.spec = 0;
  l.scale = align256(static_cast<std::size_t>(p.D * pl.n_total()) * sizeof(__half2));
  l.partial = l.scale + align256(static_cast<std::size_t>(p.D) * sizeof(float));
  l.total = l.partial + static_cast<std::size_t>(l.groups * p.D * p.T) * sizeof(float);
  return l;
}

void filter_spectrum(const Problem& p, const Plan& pl, const void* h, unsigned char* ws, const Layout& l,
                     cudaStream_t s) {
  if (pl.cl > 1) {
    cluster_filter_spectrum(p, pl, h, reinterpret_cast<__half2*>(ws + l.spec), reinterpret_cast<float*>(ws + l.scale),
                            s);
    return;
  }
  const std::size_t bytes = smem_bytes(pl, false, 0);
  cuda::allow_dynamic_smem(filter_spectrum_kernel, bytes);
  filter_spectrum_kernel<<<static_cast<unsigned>(p.D), threads_for(pl), bytes, s>>>(
      static_cast<const __nv_bfloat16*>(h), reinterpret_cast<__half2*>(ws + l.spec),
      reinterpret_cast<float*>(ws + l.scale), pl, p.T, p.L);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.T > kMaxT)
    return cat("long_conv fft_tc_bf16: T = ", p.T, " unsupported (needs 1 <= T <= ", kMaxT,
               ": a cluster of at most 8 CTAs holds the sequence padded to n = 2T)");
  if ((p.B + 1) / 2 > kMaxPairs) return cat("long_conv fft_tc_bf16: B = ", p.B, " exceeds ", 2 * kMaxPairs);
  const std::int64_t cl = make_plan(p.T).cl;
  if (p.D * cl > 0x7fffffff)
    return cl == 1 ? cat("long_conv fft_tc_bf16: D = ", p.D, " exceeds 2^31 - 1")
                   : cat("long_conv fft_tc_bf16: D = ", p.D, " times ", cl, " CTAs per sequence exceeds 2^31 - 1");
  return {};
}

std::size_t workspace_bytes(const Problem& p) { return unsupported(p).empty() ? layout(p).total : 0; }

void forward(const Problem& p, const void* u, const void* h, void* y, void* workspace, cudaStream_t stream) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  const Plan pl = make_plan(p.T);
  const Layout l = layout(p);
  auto* ws = static_cast<unsigned char*>(workspace);
  filter_spectrum(p, pl, h, ws, l, stream);
  if (pl.cl > 1) {
    cluster_forward(p, pl, u, reinterpret_cast<const __half2*>(ws + l.spec),
                    reinterpret_cast<const float*>(ws + l.scale), y, stream);
    return;
  }
  if (tiled_forward(p, pl, u, reinterpret_cast<const __half2*>(ws + l.spec),
                    reinterpret_cast<const float*>(ws + l.scale), y, stream))
    return;
  const std::size_t bytes = smem_bytes(pl, false, 0);
  cuda::allow_dynamic_smem(forward_kernel, bytes);
  const dim3 grid(static_cast<unsigned>(p.D), static_cast<unsigned>((p.B + 1) / 2));
  forward_kernel<<<grid, threads_for(pl), bytes, stream>>>(
      static_cast<const __nv_bfloat16*>(u), reinterpret_cast<const __half2*>(ws + l.spec),
      reinterpret_cast<const float*>(ws + l.scale), static_cast<__nv_bfloat16*>(y), pl, p.B, p.T, p.D);
  MENAGERIE_LAUNCH_CHECK();
}

void backward(const Problem& p, const void* u, const void* h, const void* dy, void* du, void* dh, void* workspace,
              cudaStream_t stream) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  const Plan pl = make_plan(p.T);
  const Layout l = layout(p);
  auto* ws = static_cast<unsigned char*>(workspace);
  filter_spectrum(p, pl, h, ws, l, stream);
  if (pl.cl > 1) {
    cluster_backward(p, pl, l.groups, l.ppg, u, dy, reinterpret_cast<const __half2*>(ws + l.spec),
                     reinterpret_cast<const float*>(ws + l.scale), du, reinterpret_cast<float*>(ws + l.partial),
                     stream);
  } else if (!tiled_backward(p, pl, l.groups, l.ppg, u, dy, reinterpret_cast<const __half2*>(ws + l.spec),
                             reinterpret_cast<const float*>(ws + l.scale), du, reinterpret_cast<float*>(ws + l.partial),
                             stream)) {
    const std::size_t bytes = smem_bytes(pl, true, p.T);
    cuda::allow_dynamic_smem(backward_kernel, bytes);
    const dim3 grid(static_cast<unsigned>(p.D), static_cast<unsigned>(l.groups));
    backward_kernel<<<grid, threads_for(pl), bytes, stream>>>(
        static_cast<const __nv_bfloat16*>(u), static_cast<const __nv_bfloat16*>(dy),
        reinterpret_cast<const __half2*>(ws + l.spec), reinterpret_cast<const float*>(ws + l.scale),
        static_cast<__nv_bfloat16*>(du), reinterpret_cast<float*>(ws + l.partial), pl, p.B, p.T, p.D, l.ppg);
    MENAGERIE_LAUNCH_CHECK();
  }
  const std::int64_t n = p.D * p.L;
  dh_reduce_kernel<<<static_cast<unsigned>(std::min<std::int64_t>((n + 255) / 256, 65536)), 256, 0, stream>>>(
      reinterpret_cast<const float*>(ws + l.partial), static_cast<__nv_bfloat16*>(dh), l.groups, p.T, p.D, p.L);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace menagerie::opt::long_conv::fft_tc_bf16
