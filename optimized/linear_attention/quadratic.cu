// quadratic: causal linear attention in its parallel ("attention-like") form, forward and backward, fp32 FFMA, for
// any feature dim F <= 64 (taylor_exp or identity) and Dv <= 127, normalize on or off. It exists beside
// chunked_smem for the feature dims whose state does not fit on chip (Based's F = 24: F' = 1 + F + F^2 = 601): it
// never forms phi, only the scores y = q . k, at O(T^2 (F + Dv)) work instead of O(T F' Dv).
//
// Per (b, h): y_ts = q_t . k_s and A[t, s] = f(y_ts) for s <= t (else 0), f(y) = 1 + y / sqrt(F) + y^2 / (2F)
// (taylor_exp: phi(q_t) . phi(k_s), core/ops/linear_attention.hpp) or f(y) = y (identity). Values carry a column of
// ones, v' = [v | 1], so one product yields numerator and denominator together.
// Forward, one CTA per (b h, query tile of 64 rows), walking the key tiles s0 <= t0 through shared memory:
//   out_t = sum_{s <= t} A[t, s] v'_s,  den_t = out_t[Dv] + eps (or 1 without normalize),  o_t = out_t[:Dv] / den_t;
//   den [B, H, T] is saved for the backward (the same buffer as chunked_smem's, so the two share the backward's args).
// Backward, with g'_t = [dO_t / den_t | -c_t], c_t = (dO_t . o_t) / den_t (0 without normalize), so that
// dA[t, s] = g'_t . v'_s = g_t . v_s - c_t, and W[t, s] = dA[t, s] f'(y_ts) for s <= t, f'(y) = 1 / sqrt(F) + y / F
// (identity: 1); two kernels on the stream, neither reading the other's output:
//   dq   (per query tile, key tiles s0 <= t0):  dq_t = sum_{s <= t} W[t, s] k_s
//   dkdv (per key tile, query tiles t0 >= s0):  dv_s = sum_{t >= s} A[t, s] g_t,  dk_s = sum_{t >= s} W[t, s] q_t
// c_t is one warp's butterfly sum over Dv, recomputed wherever a tile of g' is loaded. Every product is a
// shared-memory GEMM on a 16 x 16 thread grid (rows ty + 16 i, columns tx + 16 j) with each output element one
// thread's running sum: no atomics, deterministic. Blocks with the longest loops are numbered first.
// Register columns are templated: RF = 1, 2, 4 for F <= 16, 32, 64; RN = 2, 5, 8 for Dv + 1 <= 32, 80, 128; shared
// memory per CTA runs from about 29 KB (the forward at F <= 16, Dv < 32) to 130 KB (F = 64, Dv = 127). Checked,
// like every variant, by verify/kernel_conformance_gpu_test on core/ops/linear_attention.hpp's gpu_grid.
#include <climits>
#include <cmath>
#include <cstdint>
#include <string>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/dynamic_smem.hpp"
#include "optimized/linear_attention/tile_mm.cuh"
#include "optimized/linear_attention/variants.hpp"

namespace menagerie::opt::linear_attention::quadratic {
namespace {

constexpr int kTile = 64, kThreads = 256, kWarps = kThreads / 32, kRows = kTile / 16;
constexpr int kP = kTile + 1;  // pitch of the transposed tiles (k^T [F][64], v'^T [Dv + 1][64]) and scores [64][64]
constexpr std::int64_t kMaxF = 64, kMaxDv = 127;

struct Dims {
  int T, H, F, Dv, BH, tiles;
  bool normalize, taylor;
  float eps, a1, a2;  // taylor: f(y) = 1 + a1 y + a2 y^2, a1 = 1 / sqrt(F), a2 = 1 / (2F)
};

__device__ __forceinline__ float kern(float y, const Dims& d) {
  return d.taylor ? fmaf(y * d.a2, y, fmaf(y, d.a1, 1.f)) : y;
}
__device__ __forceinline__ float kern_d(float y, const Dims& d) { return d.taylor ? fmaf(2.f * d.a2, y, d.a1) : 1.f; }

// Shared-memory pitches (floats): q or k rows [64][QP] (GEMM A operand, odd) or [64][KP]; g' rows [64][GP]; v' rows
// [64][NC]. The sizes of each kernel's tiles, in the order the kernel carves them.
template <int RF, int RN>
struct Tiles {
  static constexpr int KP = 16 * RF, QP = KP + 1, NC = 16 * RN, GP = NC + 1;
  static std::size_t forward(int F) { return kTile * QP + F * kP + kTile * NC + kTile * kP + kTile; }
  static std::size_t dq(int F, int Dv) {
    return kTile * QP + kTile * GP + F * kP + kTile * KP + (Dv + 1) * kP + kTile * kP;
  }
  static std::size_t dkdv(int F, int Dv) { return kTile * QP + kTile * GP + F * kP + (Dv + 1) * kP + 2 * kTile * kP; }
};

// Rows [t0, t0 + 64) of x [B, T, H, F] (from `base`, the (b, h) offset) into dst [64][pitch], `width` columns; columns
// >= F and rows >= T zero.
__device__ __forceinline__ void load_rows(float* dst, int pitch, int width, const float* x, std::int64_t base, int t0,
                                          const Dims& d) {
  for (int i = threadIdx.x; i < kTile * width; i += kThreads) {
    const int t = i / width, m = i % width;
    dst[t * pitch + m] = t0 + t < d.T && m < d.F ? x[base + static_cast<std::int64_t>(t0 + t) * d.H * d.F + m] : 0.f;
  }
}

// The same rows transposed: dst[m][t], m < F (pitch kP).
__device__ __forceinline__ void load_cols(float* dst, const float* x, std::int64_t base, int t0, const Dims& d) {
  for (int i = threadIdx.x; i < kTile * d.F; i += kThreads) {
    const int t = i / d.F, m = i % d.F;
    dst[m * kP + t] = t0 + t < d.T ? x[base + static_cast<std::int64_t>(t0 + t) * d.H * d.F + m] : 0.f;
  }
}

// v'_s[e] = [v_s | 1 | 0 ...][e], zero for s >= T.
__device__ __forceinline__ float vprime(const float* v, std::int64_t vbase, int s, int e, const Dims& d) {
  if (s >= d.T || e > d.Dv) return 0.f;
  return e < d.Dv ? v[vbase + static_cast<std::int64_t>(s) * d.H * d.Dv + e] : 1.f;
}

// v' of tokens [s0, s0 + 64) as rows dst[s][e], e < nc.
__device__ __forceinline__ void load_v_rows(float* dst, int nc, const float* v, std::int64_t vbase, int s0,
                                            const Dims& d) {
  for (int i = threadIdx.x; i < kTile * nc; i += kThreads) dst[i] = vprime(v, vbase, s0 + i / nc, i % nc, d);
}

// ... or transposed, dst[e][s] for e <= Dv (pitch kP).
__device__ __forceinline__ void load_v_cols(float* dst, const float* v, std::int64_t vbase, int s0, const Dims& d) {
  const int w = d.Dv + 1;
  for (int i = threadIdx.x; i < kTile * w; i += kThreads) {
    const int s = i / w, e = i % w;
    dst[e * kP + s] = vprime(v, vbase, s0 + s, e, d);
  }
}

// g' of tokens [t0, t0 + 64) as rows dst[t][e] (pitch GP, e < NC; zero beyond Dv and for t >= T): one warp per row,
// c_t by a butterfly sum over the warp (fixed order).
template <int NC, int GP>
__device__ __forceinline__ void load_g(float* dst, const float* o, const float* dO, const float* den,
                                       std::int64_t vbase, int bh, int t0, const Dims& d) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int r = warp; r < kTile; r += kWarps) {
    float* row = dst + r * GP;
    const int t = t0 + r;
    if (t >= d.T) {
      for (int e = lane; e < NC; e += 32) row[e] = 0.f;
      continue;
    }
    const std::int64_t at = vbase + static_cast<std::int64_t>(t) * d.H * d.Dv;
    const float dn = den[static_cast<std::int64_t>(bh) * d.T + t];
    float dot = 0.f;
    for (int e = lane; e < NC; e += 32) {
      if (e < d.Dv) {
        const float g = dO[at + e];
        dot = fmaf(g, o[at + e], dot);
        row[e] = g / dn;
      } else if (e > d.Dv) {
        row[e] = 0.f;
      }
    }
#pragma unroll
    for (int off = 16; off > 0; off /= 2) dot += __shfl_xor_sync(0xffffffffu, dot, off);
    if (lane == 0) row[d.Dv] = d.normalize ? -dot / dn : 0.f;
  }
}

// The backward's two products over a query tile x key tile: y = q k^T (the scores' arguments) and dA = g' v'^T.
template <int QP, int GP>
__device__ __forceinline__ void backward_scores(float (&y)[kRows][4], float (&da)[kRows][4], const float* sQ,
                                                const float* sG, const float* sKT, const float* sVT, const Dims& d) {
  zero(y);
  zero(da);
  mm(y, sQ, 1, QP, sKT, kP, d.F);
  mm(da, sG, 1, GP, sVT, kP, d.Dv + 1);
}

template <int RF, int RN>
__global__ void __launch_bounds__(kThreads)
    forward_kernel(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
                   float* __restrict__ o, float* __restrict__ den, Dims d) {
  using L = Tiles<RF, RN>;
  extern __shared__ __align__(16) float sm[];
  float* sQ = sm;                   // [64][QP]  q rows of the query tile
  float* sKT = sQ + kTile * L::QP;  // [F][kP]   k^T of the key tile
  float* sV = sKT + d.F * kP;       // [64][NC]  v' rows of the key tile
  float* sA = sV + kTile * L::NC;   // [64][kP]  A[t][s]
  float* sDen = sA + kTile * kP;    // [64]

  const int bh = blockIdx.x % d.BH, qt = d.tiles - 1 - static_cast<int>(blockIdx.x) / d.BH, t0 = qt * kTile;
  const std::int64_t row0 = static_cast<std::int64_t>(bh / d.H) * d.T * d.H + bh % d.H;
  const std::int64_t base = row0 * d.F, vbase = row0 * d.Dv;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  load_rows(sQ, L::QP, L::KP, q, base, t0, d);
  float acc[kRows][RN];
  zero(acc);
  for (int kt = 0; kt <= qt; ++kt) {
    const int s0 = kt * kTile;
    __syncthreads();
    load_cols(sKT, k, base, s0, d);
    load_v_rows(sV, L::NC, v, vbase, s0, d);
    __syncthreads();
    float y[kRows][4];
    zero(y);
    mm(y, sQ, 1, L::QP, sKT, kP, d.F);
#pragma unroll
    for (int i = 0; i < kRows; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int t = ty + 16 * i, s = tx + 16 * j;
        sA[t * kP + s] = s0 + s <= t0 + t ? kern(y[i][j], d) : 0.f;
      }
    __syncthreads();
    mm(acc, sA, 1, kP, sV, L::NC, min(kTile, d.T - s0));
  }
#pragma unroll
  for (int i = 0; i < kRows; ++i)
#pragma unroll
    for (int j = 0; j < RN; ++j)
      if (tx + 16 * j == d.Dv) sDen[ty + 16 * i] = d.normalize ? acc[i][j] + d.eps : 1.f;
  __syncthreads();
#pragma unroll
  for (int i = 0; i < kRows; ++i) {
    const int t = ty + 16 * i;
    if (t0 + t >= d.T) continue;
    const float dn = sDen[t];
    const std::int64_t at = vbase + static_cast<std::int64_t>(t0 + t) * d.H * d.Dv;
#pragma unroll
    for (int j = 0; j < RN; ++j)
      if (tx + 16 * j < d.Dv) o[at + tx + 16 * j] = acc[i][j] / dn;
    if (tx == 0) den[static_cast<std::int64_t>(bh) * d.T + t0 + t] = dn;
  }
}

template <int RF, int RN>
__global__ void __launch_bounds__(kThreads)
    dq_kernel(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
              const float* __restrict__ o, const float* __restrict__ dO, const float* __restrict__ den,
              float* __restrict__ dq, Dims d) {
  using L = Tiles<RF, RN>;
  extern __shared__ __align__(16) float sm[];
  float* sQ = sm;                   // [64][QP]      q rows of the query tile
  float* sG = sQ + kTile * L::QP;   // [64][GP]      g' rows of the query tile
  float* sKT = sG + kTile * L::GP;  // [F][kP]       k^T of the key tile
  float* sK = sKT + d.F * kP;       // [64][KP]      k rows of the key tile
  float* sVT = sK + kTile * L::KP;  // [Dv + 1][kP]  v'^T of the key tile
  float* sW = sVT + (d.Dv + 1) * kP;  // [64][kP]    W[t][s]

  const int bh = blockIdx.x % d.BH, qt = d.tiles - 1 - static_cast<int>(blockIdx.x) / d.BH, t0 = qt * kTile;
  const std::int64_t row0 = static_cast<std::int64_t>(bh / d.H) * d.T * d.H + bh % d.H;
  const std::int64_t base = row0 * d.F, vbase = row0 * d.Dv;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  load_rows(sQ, L::QP, L::KP, q, base, t0, d);
  load_g<L::NC, L::GP>(sG, o, dO, den, vbase, bh, t0, d);
  float acc[kRows][RF];
  zero(acc);
  for (int kt = 0; kt <= qt; ++kt) {
    const int s0 = kt * kTile;
    __syncthreads();
    load_cols(sKT, k, base, s0, d);
    load_rows(sK, L::KP, L::KP, k, base, s0, d);
    load_v_cols(sVT, v, vbase, s0, d);
    __syncthreads();
    float y[kRows][4], da[kRows][4];
    backward_scores<L::QP, L::GP>(y, da, sQ, sG, sKT, sVT, d);
#pragma unroll
    for (int i = 0; i < kRows; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int t = ty + 16 * i, s = tx + 16 * j;
        sW[t * kP + s] = s0 + s <= t0 + t ? da[i][j] * kern_d(y[i][j], d) : 0.f;
      }
    __syncthreads();
    mm(acc, sW, 1, kP, sK, L::KP, min(kTile, d.T - s0));
  }
#pragma unroll
  for (int i = 0; i < kRows; ++i) {
    const int t = t0 + ty + 16 * i;
    if (t >= d.T) continue;
#pragma unroll
    for (int j = 0; j < RF; ++j)
      if (tx + 16 * j < d.F) dq[base + static_cast<std::int64_t>(t) * d.H * d.F + tx + 16 * j] = acc[i][j];
  }
}

template <int RF, int RN>
__global__ void __launch_bounds__(kThreads)
    dkdv_kernel(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
                const float* __restrict__ o, const float* __restrict__ dO, const float* __restrict__ den,
                float* __restrict__ dk, float* __restrict__ dv, Dims d) {
  using L = Tiles<RF, RN>;
  extern __shared__ __align__(16) float sm[];
  float* sQ = sm;                     // [64][QP]      q rows of the query tile
  float* sG = sQ + kTile * L::QP;     // [64][GP]      g' rows of the query tile
  float* sKT = sG + kTile * L::GP;    // [F][kP]       k^T of the key tile
  float* sVT = sKT + d.F * kP;        // [Dv + 1][kP]  v'^T of the key tile
  float* sP = sVT + (d.Dv + 1) * kP;  // [64][kP]      A[t][s]
  float* sW = sP + kTile * kP;        // [64][kP]      W[t][s]

  const int bh = blockIdx.x % d.BH, kt = static_cast<int>(blockIdx.x) / d.BH, s0 = kt * kTile;
  const std::int64_t row0 = static_cast<std::int64_t>(bh / d.H) * d.T * d.H + bh % d.H;
  const std::int64_t base = row0 * d.F, vbase = row0 * d.Dv;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  load_cols(sKT, k, base, s0, d);
  load_v_cols(sVT, v, vbase, s0, d);
  float dva[kRows][RN], dka[kRows][RF];
  zero(dva);
  zero(dka);
  for (int qt = kt; qt < d.tiles; ++qt) {
    const int t0 = qt * kTile;
    __syncthreads();
    load_rows(sQ, L::QP, L::KP, q, base, t0, d);
    load_g<L::NC, L::GP>(sG, o, dO, den, vbase, bh, t0, d);
    __syncthreads();
    float y[kRows][4], da[kRows][4];
    backward_scores<L::QP, L::GP>(y, da, sQ, sG, sKT, sVT, d);
#pragma unroll
    for (int i = 0; i < kRows; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int t = ty + 16 * i, s = tx + 16 * j;
        const bool ok = s0 + s <= t0 + t;
        sP[t * kP + s] = ok ? kern(y[i][j], d) : 0.f;
        sW[t * kP + s] = ok ? da[i][j] * kern_d(y[i][j], d) : 0.f;
      }
    __syncthreads();
    const int n = min(kTile, d.T - t0);
    mm(dva, sP, kP, 1, sG, L::GP, n);
    mm(dka, sW, kP, 1, sQ, L::QP, n);
  }
#pragma unroll
  for (int i = 0; i < kRows; ++i) {
    const int s = s0 + ty + 16 * i;
    if (s >= d.T) continue;
#pragma unroll
    for (int j = 0; j < RN; ++j)
      if (tx + 16 * j < d.Dv) dv[vbase + static_cast<std::int64_t>(s) * d.H * d.Dv + tx + 16 * j] = dva[i][j];
#pragma unroll
    for (int j = 0; j < RF; ++j)
      if (tx + 16 * j < d.F) dk[base + static_cast<std::int64_t>(s) * d.H * d.F + tx + 16 * j] = dka[i][j];
  }
}

std::int64_t tiles(const Problem& p) { return (p.T + kTile - 1) / kTile; }

Dims dims(const Problem& p) {
  const double F = static_cast<double>(p.F);
  return {static_cast<int>(p.T),
          static_cast<int>(p.H),
          static_cast<int>(p.F),
          static_cast<int>(p.Dv),
          static_cast<int>(p.B * p.H),
          static_cast<int>(tiles(p)),
          p.normalize,
          p.feature_map == ops::linear_attention::FeatureMap::taylor_exp,
          static_cast<float>(p.eps),
          static_cast<float>(1.0 / std::sqrt(F)),
          static_cast<float>(0.5 / F)};
}

// Launch `kernel` on one block per (b h, tile) with `floats` of dynamic shared memory.
template <class Kernel, class... Args>
void launch(Kernel kernel, const Problem& p, std::size_t floats, cudaStream_t stream, Args... args) {
  const std::size_t smem = sizeof(float) * floats;
  cuda::allow_dynamic_smem(kernel, smem);
  kernel<<<static_cast<unsigned>(p.B * p.H * tiles(p)), kThreads, smem, stream>>>(args...);
  MENAGERIE_LAUNCH_CHECK();
}

template <int RF, class Fn>
void with_rn(const Problem& p, Fn& f) {
  if (p.Dv + 1 <= 32)
    f.template operator()<RF, 2>();
  else if (p.Dv + 1 <= 80)
    f.template operator()<RF, 5>();
  else
    f.template operator()<RF, 8>();
}

template <class Fn>
void dispatch(const Problem& p, Fn&& f) {
  p.validate();
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  if (p.F <= 16)
    with_rn<1>(p, f);
  else if (p.F <= 32)
    with_rn<2>(p, f);
  else
    with_rn<4>(p, f);
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.F > kMaxF) return cat("linear_attention quadratic: F = ", p.F, " unsupported (needs F <= ", kMaxF, ")");
  if (p.Dv > kMaxDv) return cat("linear_attention quadratic: Dv = ", p.Dv, " unsupported (needs Dv <= ", kMaxDv, ")");
  if (p.T > INT_MAX) return cat("linear_attention quadratic: T = ", p.T, " unsupported (needs T <= 2^31 - 1)");
  if (p.B * p.H * tiles(p) > INT_MAX)
    return cat("linear_attention quadratic: B * H * ceil(T / 64) = ", p.B * p.H * tiles(p), " blocks exceed 2^31 - 1");
  return {};
}

void forward(const Problem& p, const ForwardArgs& a, cudaStream_t stream) {
  dispatch(p, [&]<int RF, int RN>() {
    launch(forward_kernel<RF, RN>, p, Tiles<RF, RN>::forward(static_cast<int>(p.F)), stream, a.q, a.k, a.v, a.o, a.den,
           dims(p));
  });
}

void backward(const Problem& p, const BackwardArgs& a, cudaStream_t stream) {
  dispatch(p, [&]<int RF, int RN>() {
    const int F = static_cast<int>(p.F), Dv = static_cast<int>(p.Dv);
    launch(dq_kernel<RF, RN>, p, Tiles<RF, RN>::dq(F, Dv), stream, a.q, a.k, a.v, a.o, a.dO, a.den, a.dq, dims(p));
    launch(dkdv_kernel<RF, RN>, p, Tiles<RF, RN>::dkdv(F, Dv), stream, a.q, a.k, a.v, a.o, a.dO, a.den, a.dk, a.dv,
           dims(p));
  });
}

}  // namespace menagerie::opt::linear_attention::quadratic
