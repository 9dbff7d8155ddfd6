// fft_tc_bf16's device building blocks, shared by the single-CTA kernels (fft_tc_bf16.cu, n <= 16384) and the
// cluster kernels (fft_tc_bf16_cluster.cu, 8192 < T <= 65536); the math and the plans are in fft_tc_bf16.cu's and
// fft_tc_plan.hpp's headers. Here: the DFT stage on tensor cores (F_N tiles by ldmatrix, data as mma B fragments,
// fp32 accumulation), the twiddle-and-store epilogue, the local forward and inverse FFT, the fp16 pair load with its
// power-of-two scale, block maxima and the shared-memory carve-up.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>

#include "optimized/long_conv/fft_tc_plan.hpp"
#include "optimized/long_conv/variants.hpp"
#include "optimized/softmax_attention/mma_sm80.cuh"

namespace menagerie::opt::long_conv::fft_tc_bf16 {

using attention_mma::ldmatrix_x4;

inline int padded(int n) { return n + n / 32; }
inline int threads_for(const Plan& pl) { return std::clamp(pl.n / 16, 64, 256); }

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
__device__ inline float block_max(float v, float* red) {
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

// DFT tables: for each distinct N, planes re, im, -im of F_N, each [N][N + 8] fp16. F_N[k][j] = F_N[1][(k j) mod N],
// so only row 1's N entries take a sincospif (of the same argument -2 r / N as entry (k, j) with r = kj mod N: the
// same fp16 values); the other N (N - 1) entries copy them after a barrier. All threads take part; ends with a
// barrier.
__device__ inline void build_tables(__half* tabs, const Plan& pl) {
  for (int s = 0; s < pl.stages; ++s) {
    if (!pl.first_of_size(s)) continue;
    const int N = pl.N[s], P = N + 8, PL = N * P;
    __half* t = tabs + pl.tab[s];
    for (int j = threadIdx.x; j < N; j += blockDim.x) {
      float sn, cs;
      sincospif(-2.f * static_cast<float>(j) / static_cast<float>(N), &sn, &cs);
      t[P + j] = __float2half_rn(cs);
      t[PL + P + j] = __float2half_rn(sn);
      t[2 * PL + P + j] = __float2half_rn(-sn);
    }
  }
  __syncthreads();
  for (int s = 0; s < pl.stages; ++s) {
    if (!pl.first_of_size(s)) continue;
    const int N = pl.N[s], P = N + 8, PL = N * P;
    __half* t = tabs + pl.tab[s];
    for (int i = threadIdx.x; i < N * N; i += blockDim.x) {
      const int k = i >> pl.lgN[s], j = i & (N - 1), r = (k * j) & (N - 1);
      if (k == 1) continue;
      t[k * P + j] = t[P + r];
      t[PL + k * P + j] = t[PL + P + r];
      t[2 * PL + k * P + j] = t[2 * PL + P + r];
    }
  }
  __syncthreads();
}

// One stage: the length-N DFT (conj(F_N) when inv) along the axis of stride 2^lgS of all n / N vectors, then epi(p, re,
// im) for each result (fp32) at its position p. Input rows k >= k_rows are zero (skipped); only output rows k <
// out_rows are computed. Warp w takes column blocks of 8 vectors w, w + warps, ...
template <int N, class Epi>
__device__ __forceinline__ void dft_stage(const __half* re, const __half* im, int n, int lgS, const __half* tab,
                                          bool inv, int k_rows, int out_rows, Epi&& epi) {
  constexpr int KT = N / 16, P = N + 8, PL = N * P, LGN = N == 16 ? 4 : N == 32 ? 5 : 6;
  const int lane = threadIdx.x & 31, g = lane >> 2, c = lane & 3;
  const int blocks = n / (8 * N);
  const int kt_end = ((k_rows < N ? k_rows : N) + 15) >> 4, rt_end = ((out_rows < N ? out_rows : N) + 15) >> 4;
  const int arow = (lane & 7) + (((lane >> 3) & 1) << 3), acol = (lane >> 4) << 3;
  for (int jb = threadIdx.x >> 5; jb < blocks; jb += blockDim.x >> 5) {
    const int j = 8 * jb + g;
    const int base = stage_base(j, lgS, LGN);
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
        const int p = stage_base(jj, lgS, LGN) + (k << lgS);
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
      float f = ldexpf(static_cast<float>(twiddle_index(p, lgS, lgM)), -lgM);
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
__device__ inline void fft_forward(const Plan& pl, __half* re, __half* im, const __half* tabs, int len) {
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
__device__ inline void fft_inverse(const Plan& pl, __half* re, __half* im, const __half* tabs, int len, Fin&& fin) {
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

// Stores the bf16 bits of x0[t stride] in re and of x1[t stride] in im (zeros when x1 is null) for t < T, zeros for
// T <= t < n; returns max |x| over this thread's loads (before any barrier).
__device__ inline float load_raw(const __nv_bfloat16* __restrict__ x0, const __nv_bfloat16* __restrict__ x1, int T,
                                 std::int64_t stride, __half* re, __half* im, int n) {
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
  return m;
}

// Turns load_raw's bf16 bits at t < T into fp16 values times sc (exact power of two). Ends with a barrier.
__device__ inline void scale_raw(__half* re, __half* im, int T, float sc) {
  for (int t = threadIdx.x; t < T; t += blockDim.x) {
    const int a = pad(t);
    re[a] = __float2half_rn(__bfloat162float(__ushort_as_bfloat16(__half_as_ushort(re[a]))) * sc);
    im[a] = __float2half_rn(__bfloat162float(__ushort_as_bfloat16(__half_as_ushort(im[a]))) * sc);
  }
  __syncthreads();
}

// load_raw, then scaled by a power of two to max |x| in [1/2, 1) over the block; returns that scale. Ends with a
// barrier.
__device__ inline float load_pair(const __nv_bfloat16* __restrict__ x0, const __nv_bfloat16* __restrict__ x1, int T,
                                  std::int64_t stride, __half* re, __half* im, int n, float* red) {
  const float sc = inv_pow2_scale(block_max(load_raw(x0, x1, T, stride, re, im, n), red));
  scale_raw(re, im, T, sc);
  return sc;
}

struct Smem {
  __half *re, *im, *re2, *im2, *tabs;
  float *acc, *red, *slot;
};

// Carves dynamic shared memory: data planes (two pairs when two), DFT tables, acc (acc_floats), red[32] (block_max's
// per-warp values), slot[2] (the cluster kernels' exchange of block maxima).
__device__ inline Smem carve(const Plan& pl, bool two, int acc_floats) {
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
  s.slot = s.red + 32;
  return s;
}

inline std::size_t smem_bytes(const Plan& pl, bool two, std::int64_t acc_floats) {
  const std::size_t planes = (two ? 4 : 2) * static_cast<std::size_t>(padded(pl.n));
  return (planes + pl.tab_halves) * sizeof(__half) + (acc_floats + 34) * sizeof(float);
}

// The cluster path (fft_tc_bf16_cluster.cu) for pl.cl > 1, with the single-CTA path's buffers: hspec [D, N_tot] in the
// plan's order and hscale [D]; the backward's partial dh [groups, D, T] (fp32), group g taking pairs [g ppg, ...).
// Each throws ShapeError when the device cannot run its clusters (shared memory per CTA, cluster occupancy).
void cluster_filter_spectrum(const Problem& p, const Plan& pl, const void* h, __half2* hspec, float* hscale,
                             cudaStream_t s);
void cluster_forward(const Problem& p, const Plan& pl, const void* u, const __half2* hspec, const float* hscale,
                     void* y, cudaStream_t s);
void cluster_backward(const Problem& p, const Plan& pl, std::int64_t groups, std::int64_t ppg, const void* u,
                      const void* dy, const __half2* hspec, const float* hscale, void* du, float* partial,
                      cudaStream_t s);

// The channel-tiled single-CTA path (fft_tc_bf16_tiled.cu, pl.cl == 1): clusters of kTile CTAs on neighbouring
// channels with 16-byte row accesses; the same buffers as the one-channel kernels and bitwise their results. Each
// returns false, launching nothing, when it does not apply (cl > 1, D % kTile != 0, a tensor not 16-byte aligned, no
// such cluster fits); the caller then runs the one-channel kernels.
bool tiled_forward(const Problem& p, const Plan& pl, const void* u, const __half2* hspec, const float* hscale,
                   void* y, cudaStream_t s);
bool tiled_backward(const Problem& p, const Plan& pl, std::int64_t groups, std::int64_t ppg, const void* u,
                    const void* dy, const __half2* hspec, const float* hscale, void* du, float* partial,
                    cudaStream_t s);

}  // namespace menagerie::opt::long_conv::fft_tc_bf16
