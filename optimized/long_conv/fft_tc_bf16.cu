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
//
// Tensor cores: mma.sync.m16n8k16 with fp16 operands and fp32 accumulators; A = a 16x16 tile of F_N (re, im and -im
// planes, ldmatrix from shared memory), B = 16 points x 8 vectors of the data (re and im planes), four real products
// per complex tile. Twiddles are applied in fp32 (__sincosf of an angle reduced to [-pi, pi]) and the result rounded to
// fp16 in place in shared memory (one warp owns whole vectors, so a stage needs no barrier inside it). fp16, not bf16:
// each stage rounds its output once, and about 2L + 1 roundings at bf16's 2^-9 would give ~4e-3 relative error,
// above the harness bound (twice the yardstick's bf16 output rounding, ~3e-3); fp16's 2^-12 gives ~5e-4. fp16's range
// is kept by power-of-two scales (exact): each sequence pair is scaled to max |x| in [1/2, 1) before its FFT (every
// intermediate is then below sqrt(2) T <= 11586), each spectral product is scaled to max component in [1/2, 1) (a
// block-wide max; the inverse's intermediates stay below sqrt(2) n), and the output is rescaled in fp32 before its
// single bf16 rounding. The data planes are padded by 2 halves per 64 (p -> p + 2 (p >> 6)) against bank conflicts.
//
// Kernels, one CTA per sequence pair of one channel (nothing of size n touches HBM):
//   filter_spectrum   one CTA per channel: Hn = fft(pad h[c, :T]) scaled to max component < 1, fp16 complex, to the
//                     workspace [D, n] (digit-reversed order) with its scale hscale[c] (H = Hn hscale[c])
//   forward           load the pair (bf16, D-strided), scale, fft, times Hn, scale, inverse fft, write y[:T] in bf16
//   backward          per (channel, group of pairs): fft of dy and u of each pair; du = ifft(DZ conj(Hn)) written at
//                     once, Re ifft(DZ conj(UZ))[:T] summed in fp32 in shared memory over the group's pairs in order;
//                     the group's partial dh [G, D, T] (fp32) goes to the workspace
//   dh_reduce         dh[c, s] = sum over groups in index order (s < T), 0 for T <= s < L. No atomics: bitwise
//                     reproducible.
// Supported: 1 <= T <= 8192 (n = max(512, next power of two >= 2T) <= 16384: the backward keeps two padded sequences
// and the fp32 dh accumulator, 178 KB, in one CTA), any B <= 131070, any D, any L >= T. Workspace: D n 4 bytes of
// filter spectrum, D floats, and the backward's G D T floats of partial dh (G = ceil(B / 2) / pairs per group, about
// 512 / D). Each CTA reads one channel, so its loads and stores are D-strided (2 bytes per 32-byte sector; neighbouring
// channels' CTAs run together and share the sectors in L2).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/long_conv/variants.hpp"
#include "optimized/softmax_attention/mma_sm80.cuh"

namespace menagerie::opt::long_conv::fft_tc_bf16 {
namespace {

using attention_mma::ldmatrix_x4;

constexpr std::int64_t kMaxT = 8192, kMaxPairs = 65535, kTargetCtas = 512;
constexpr int kMinLg = 9, kMaxStages = 3;

struct Plan {
  int n = 0, lg = 0, stages = 0;
  int N[kMaxStages] = {}, lgN[kMaxStages] = {}, lgS[kMaxStages] = {};
  // tab[s]: offset (halves) of stage s's DFT table in shared memory; stages of equal size share one
  int tab[kMaxStages] = {};
  int tab_halves = 0;
};

int ceil_log2(std::int64_t x) {
  int lg = 0;
  while ((std::int64_t{1} << lg) < x) ++lg;
  return lg;
}

Plan make_plan(std::int64_t T) {
  Plan pl;
  pl.lg = std::max(kMinLg, ceil_log2(2 * T));
  pl.n = 1 << pl.lg;
  static constexpr int kFactors[6][kMaxStages] = {{5, 4, 0}, {5, 5, 0}, {6, 5, 0}, {4, 4, 4}, {5, 4, 4}, {5, 5, 4}};
  const int* f = kFactors[pl.lg - kMinLg];
  int rest = pl.lg;
  for (int s = 0; s < kMaxStages && f[s] > 0; ++s) {
    pl.lgN[s] = f[s];
    pl.N[s] = 1 << f[s];
    rest -= f[s];
    pl.lgS[s] = rest;
    pl.stages = s + 1;
    pl.tab[s] = -1;
    for (int q = 0; q < s; ++q)
      if (pl.N[q] == pl.N[s]) pl.tab[s] = pl.tab[q];
    if (pl.tab[s] < 0) {
      pl.tab[s] = pl.tab_halves;
      pl.tab_halves += 3 * pl.N[s] * (pl.N[s] + 8);
    }
  }
  return pl;
}

int padded(int n) { return n + n / 32; }
int threads_for(const Plan& pl) { return std::clamp(pl.n / 16, 64, 256); }

__device__ __forceinline__ int pad(int p) { return p + ((p >> 6) << 1); }

__device__ __forceinline__ void mma_f16_16816(float (&d)[4], const std::uint32_t (&a)[4], const std::uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

__device__ __forceinline__ std::uint32_t pack2(__half lo, __half hi) {
  return static_cast<std::uint32_t>(__half_as_ushort(lo)) | (static_cast<std::uint32_t>(__half_as_ushort(hi)) << 16);
}

// The largest v over the block (v >= 0); red holds one float per warp. All threads take part.
__device__ float block_max(float v, float* red) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = v;
  __syncthreads();
  float r = 0.f;
  for (int w = 0; w < static_cast<int>(blockDim.x >> 5); ++w) r = fmaxf(r, red[w]);
  __syncthreads();
  return r;
}

// 2^-e with m 2^-e in [1/2, 1); 1 when m is 0 or not finite.
__device__ __forceinline__ float inv_pow2_scale(float m) {
  if (!(m > 0.f) || !isfinite(m)) return 1.f;
  int e;
  frexpf(m, &e);
  return ldexpf(1.f, -e);
}

// DFT tables: for each distinct N, planes re, im, -im of F_N, each [N][N + 8] fp16.
__device__ void build_tables(__half* tabs, const Plan& pl) {
  for (int s = 0; s < pl.stages; ++s) {
    bool seen = false;
    for (int q = 0; q < s; ++q) seen = seen || pl.N[q] == pl.N[s];
    if (seen) continue;
    const int N = pl.N[s], P = N + 8, PL = N * P;
    __half* t = tabs + pl.tab[s];
    for (int i = threadIdx.x; i < N * N; i += blockDim.x) {
      const int k = i >> pl.lgN[s], j = i & (N - 1), r = (k * j) & (N - 1);
      float sn, cs;
      sincospif(-2.f * static_cast<float>(r) / static_cast<float>(N), &sn, &cs);
      t[k * P + j] = __float2half_rn(cs);
      t[PL + k * P + j] = __float2half_rn(sn);
      t[2 * PL + k * P + j] = __float2half_rn(-sn);
    }
  }
}

// One stage: the length-N DFT (conj(F_N) when inv) along the axis of stride 2^lgS of all n / N vectors, then epi(p, re,
// im) for each result (fp32) at its position p. Input rows k >= k_rows are zero (skipped); only output rows k <
// out_rows are computed. Warp w takes column blocks of 8 vectors w, w + warps, ...
template <int N, class Epi>
__device__ __forceinline__ void dft_stage(const __half* re, const __half* im, int n, int lgS, const __half* tab,
                                          bool inv, int k_rows, int out_rows, Epi&& epi) {
  constexpr int KT = N / 16, P = N + 8, PL = N * P, LGN = N == 16 ? 4 : N == 32 ? 5 : 6;
  const int lane = threadIdx.x & 31, g = lane >> 2, c = lane & 3;
  const int smask = (1 << lgS) - 1, blocks = n / (8 * N);
  const int kt_end = ((k_rows < N ? k_rows : N) + 15) >> 4, rt_end = ((out_rows < N ? out_rows : N) + 15) >> 4;
  const int arow = (lane & 7) + (((lane >> 3) & 1) << 3), acol = (lane >> 4) << 3;
  for (int jb = threadIdx.x >> 5; jb < blocks; jb += blockDim.x >> 5) {
    const int j = 8 * jb + g;
    const int base = (((j >> lgS) << (lgS + LGN)) | (j & smask));
    std::uint32_t xr[KT][2], xi[KT][2];
#pragma unroll
    for (int kt = 0; kt < KT; ++kt)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int k = 16 * kt + 8 * h + 2 * c;
        if (kt >= kt_end) {
          xr[kt][h] = xi[kt][h] = 0u;
        } else if (lgS == 0) {
          const int a = pad(base + k);
          xr[kt][h] = *reinterpret_cast<const std::uint32_t*>(re + a);
          xi[kt][h] = *reinterpret_cast<const std::uint32_t*>(im + a);
        } else {
          const int a0 = pad(base + (k << lgS)), a1 = pad(base + ((k + 1) << lgS));
          xr[kt][h] = pack2(re[a0], re[a1]);
          xi[kt][h] = pack2(im[a0], im[a1]);
        }
      }
    __syncwarp();
#pragma unroll 1
    for (int rt = 0; rt < rt_end; ++rt) {
      float ar[4] = {0.f, 0.f, 0.f, 0.f}, ai[4] = {0.f, 0.f, 0.f, 0.f};
#pragma unroll
      for (int kt = 0; kt < KT; ++kt) {
        if (kt >= kt_end) continue;
        std::uint32_t fr[4], fi[4], fn[4];
        const __half* t = tab + (16 * rt + arow) * P + 16 * kt + acol;
        ldmatrix_x4(fr, t);
        ldmatrix_x4(fi, t + PL);
        ldmatrix_x4(fn, t + 2 * PL);
        mma_f16_16816(ar, fr, xr[kt]);
        mma_f16_16816(ai, fr, xi[kt]);
        if (inv) {
          mma_f16_16816(ar, fi, xi[kt]);
          mma_f16_16816(ai, fn, xr[kt]);
        } else {
          mma_f16_16816(ar, fn, xi[kt]);
          mma_f16_16816(ai, fi, xr[kt]);
        }
      }
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int k = 16 * rt + g + ((e >> 1) << 3), jj = 8 * jb + 2 * c + (e & 1);
        const int p = (((jj >> lgS) << (lgS + LGN)) | (jj & smask)) + (k << lgS);
        epi(p, ar[e], ai[e]);
      }
    }
    __syncwarp();
  }
}

// Stores x tw (tw = exp(sign 2 pi i k lo / 2^lgM), k = (p >> lgS) mod 2^(lgM - lgS), lo = p mod 2^lgS) in fp16 at p;
// lgM = 0: no twiddle.
struct TwiddleStore {
  __half *re, *im;
  int lgS, lgM;
  float sign;
  __device__ __forceinline__ void operator()(int p, float xr, float xi) const {
    if (lgM > 0) {
      const int k = (p >> lgS) & ((1 << (lgM - lgS)) - 1), lo = p & ((1 << lgS) - 1);
      float f = ldexpf(static_cast<float>((k * lo) & ((1 << lgM) - 1)), -lgM);
      if (f > 0.5f) f -= 1.f;
      float sn, cs;
      __sincosf(sign * 6.283185307179586f * f, &sn, &cs);
      const float r = xr * cs - xi * sn;
      xi = fmaf(xr, sn, xi * cs);
      xr = r;
    }
    const int a = pad(p);
    re[a] = __float2half_rn(xr);
    im[a] = __float2half_rn(xi);
  }
};

template <class Epi>
__device__ __forceinline__ void run_stage(const Plan& pl, int s, const __half* re, const __half* im, const __half* tabs,
                                          bool inv, int k_rows, int out_rows, Epi&& epi) {
  const __half* t = tabs + pl.tab[s];
  switch (pl.N[s]) {
    case 16: dft_stage<16>(re, im, pl.n, pl.lgS[s], t, inv, k_rows, out_rows, epi); break;
    case 32: dft_stage<32>(re, im, pl.n, pl.lgS[s], t, inv, k_rows, out_rows, epi); break;
    default: dft_stage<64>(re, im, pl.n, pl.lgS[s], t, inv, k_rows, out_rows, epi); break;
  }
}

// In place, natural order -> digit-reversed spectrum; positions >= len hold zeros. Ends with a barrier.
__device__ void fft_forward(const Plan& pl, __half* re, __half* im, const __half* tabs, int len) {
  for (int s = 0; s < pl.stages; ++s) {
    const bool last = s + 1 == pl.stages;
    const TwiddleStore epi{re, im, pl.lgS[s], last ? 0 : pl.lgS[s] + pl.lgN[s], -1.f};
    const int k_rows = s == 0 ? (len + (1 << pl.lgS[0]) - 1) >> pl.lgS[0] : pl.N[s];
    run_stage(pl, s, re, im, tabs, false, k_rows, pl.N[s], epi);
    __syncthreads();
  }
}

// Unnormalised inverse (n times the inverse DFT) of a digit-reversed spectrum; the last stage hands each result at a
// natural position p < len to fin(p, re, im) in fp32 instead of storing it. No barrier after the last stage.
template <class Fin>
__device__ void fft_inverse(const Plan& pl, __half* re, __half* im, const __half* tabs, int len, Fin&& fin) {
  for (int s = pl.stages - 1; s >= 1; --s) {
    const TwiddleStore epi{re, im, pl.lgS[s - 1], pl.lgS[s - 1] + pl.lgN[s - 1], 1.f};
    run_stage(pl, s, re, im, tabs, true, pl.N[s], pl.N[s], epi);
    __syncthreads();
  }
  const int out_rows = (len + (1 << pl.lgS[0]) - 1) >> pl.lgS[0];
  run_stage(pl, 0, re, im, tabs, true, pl.N[0], out_rows, [&](int p, float xr, float xi) {
    if (p < len) fin(p, xr, xi);
  });
}

// Loads x0[t stride] as re and x1[t stride] as im (zeros when x1 is null) for t < T, zero-padded to n, scaled by a
// power of two to max |x| in [1/2, 1); returns that scale. Ends with a barrier.
__device__ float load_pair(const __nv_bfloat16* __restrict__ x0, const __nv_bfloat16* __restrict__ x1, int T,
                           std::int64_t stride, __half* re, __half* im, int n, float* red) {
  float m = 0.f;
#pragma unroll 4
  for (int t = threadIdx.x; t < n; t += blockDim.x) {
    unsigned short r0 = 0, r1 = 0;
    if (t < T) {
      const __nv_bfloat16 v0 = x0[t * stride];
      r0 = __bfloat16_as_ushort(v0);
      m = fmaxf(m, fabsf(__bfloat162float(v0)));
      if (x1 != nullptr) {
        const __nv_bfloat16 v1 = x1[t * stride];
        r1 = __bfloat16_as_ushort(v1);
        m = fmaxf(m, fabsf(__bfloat162float(v1)));
      }
    }
    re[pad(t)] = __ushort_as_half(r0);
    im[pad(t)] = __ushort_as_half(r1);
  }
  const float sc = inv_pow2_scale(block_max(m, red));
  for (int t = threadIdx.x; t < T; t += blockDim.x) {
    const int a = pad(t);
    re[a] = __float2half_rn(__bfloat162float(__ushort_as_bfloat16(__half_as_ushort(re[a]))) * sc);
    im[a] = __float2half_rn(__bfloat162float(__ushort_as_bfloat16(__half_as_ushort(im[a]))) * sc);
  }
  __syncthreads();
  return sc;
}

struct Smem {
  __half *re, *im, *re2, *im2, *tabs;
  float *acc, *red;
};

// Carves dynamic shared memory: data planes (two pairs when two), DFT tables, acc (acc_floats), red[32].
__device__ Smem carve(const Plan& pl, bool two, int acc_floats) {
  extern __shared__ __align__(16) unsigned char smem[];
  const int np = pl.n + pl.n / 32;
  Smem s{};
  __half* h = reinterpret_cast<__half*>(smem);
  s.re = h;
  s.im = h + np;
  h += 2 * np;
  if (two) {
    s.re2 = h;
    s.im2 = h + np;
    h += 2 * np;
  }
  s.tabs = h;
  float* f = reinterpret_cast<float*>(h + pl.tab_halves);
  s.acc = f;
  s.red = f + acc_floats;
  return s;
}

std::size_t smem_bytes(const Plan& pl, bool two, std::int64_t acc_floats) {
  const std::size_t planes = (two ? 4 : 2) * static_cast<std::size_t>(padded(pl.n));
  return (planes + pl.tab_halves) * sizeof(__half) + (acc_floats + 32) * sizeof(float);
}

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
  const std::int64_t want = std::clamp<std::int64_t>((kTargetCtas + p.D - 1) / p.D, 1, pairs);
  l.ppg = (pairs + want - 1) / want;
  l.groups = (pairs + l.ppg - 1) / l.ppg;
  l.spec = 0;
  l.scale = align256(static_cast<std::size_t>(p.D) * pl.n * sizeof(__half2));
  l.partial = l.scale + align256(static_cast<std::size_t>(p.D) * sizeof(float));
  l.total = l.partial + static_cast<std::size_t>(l.groups * p.D * p.T) * sizeof(float);
  return l;
}

void filter_spectrum(const Problem& p, const Plan& pl, const void* h, unsigned char* ws, const Layout& l,
                     cudaStream_t s) {
  const std::size_t bytes = smem_bytes(pl, false, 0);
  MENAGERIE_CUDA_CHECK(cudaFuncSetAttribute(filter_spectrum_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                            static_cast<int>(bytes)));
  filter_spectrum_kernel<<<static_cast<unsigned>(p.D), threads_for(pl), bytes, s>>>(
      static_cast<const __nv_bfloat16*>(h), reinterpret_cast<__half2*>(ws + l.spec),
      reinterpret_cast<float*>(ws + l.scale), pl, p.T, p.L);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.T > kMaxT)
    return cat("long_conv fft_tc_bf16: T = ", p.T, " unsupported (needs 1 <= T <= ", kMaxT,
               ": one CTA holds the sequence padded to n = 2T)");
  if ((p.B + 1) / 2 > kMaxPairs) return cat("long_conv fft_tc_bf16: B = ", p.B, " exceeds ", 2 * kMaxPairs);
  if (p.D > 0x7fffffff) return cat("long_conv fft_tc_bf16: D = ", p.D, " exceeds 2^31 - 1");
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
  const std::size_t bytes = smem_bytes(pl, false, 0);
  MENAGERIE_CUDA_CHECK(
      cudaFuncSetAttribute(forward_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)));
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
  const std::size_t bytes = smem_bytes(pl, true, p.T);
  MENAGERIE_CUDA_CHECK(
      cudaFuncSetAttribute(backward_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)));
  const dim3 grid(static_cast<unsigned>(p.D), static_cast<unsigned>(l.groups));
  backward_kernel<<<grid, threads_for(pl), bytes, stream>>>(
      static_cast<const __nv_bfloat16*>(u), static_cast<const __nv_bfloat16*>(dy),
      reinterpret_cast<const __half2*>(ws + l.spec), reinterpret_cast<const float*>(ws + l.scale),
      static_cast<__nv_bfloat16*>(du), reinterpret_cast<float*>(ws + l.partial), pl, p.B, p.T, p.D, l.ppg);
  MENAGERIE_LAUNCH_CHECK();
  const std::int64_t n = p.D * p.L;
  dh_reduce_kernel<<<static_cast<unsigned>(std::min<std::int64_t>((n + 255) / 256, 65536)), 256, 0, stream>>>(
      reinterpret_cast<const float*>(ws + l.partial), static_cast<__nv_bfloat16*>(dh), l.groups, p.T, p.D, p.L);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace menagerie::opt::long_conv::fft_tc_bf16
