// fft_tc_bf16's FFT plans and index maps, shared by its CUDA kernels (fft_tc_bf16.cu, fft_tc_bf16_cluster.cu) and
// the host emulation in double that checks them (verify/fft_cluster_plan_test.cpp). Plain C++: no CUDA headers.
//
// Sizes. The transform has size N_tot = 2^lg_tot = max(512, next power of two >= 2T). One CTA holds n = N_tot / cl
// positions, n <= 16384 (cl = 1 for T <= 8192; cl = N_tot / 16384 = 2, 4, 8 CTAs of one thread-block cluster for
// 8192 < T <= 65536). Position P = r n + p: CTA r (its rank in the cluster) holds the contiguous block p in [0, n).
//
// Local FFT (per CTA, size n = N_0 N_1 ... N_{L-1}, N_s in {16, 32, 64}), strides S_0 = n / N_0, S_s = S_{s-1} / N_s,
// S_{L-1} = 1. Stage s: for each vector j in [0, n / N_s), its N_s elements sit at stage_base(j) + k S_s (the bits
// of j below and above lgS_s, with k's lgN_s bits between); a length-N_s DFT along them, then (s < L-1) the twiddle
// exp(-2 pi i r / (N_s S_s)) with r = twiddle_index(p) = (k lo) mod N_s S_s, k = (p / S_s) mod N_s, lo = p mod S_s.
//
// Cluster stage (cl > 1, before the local FFT): for each local offset p, the cl values x[j n + p] (j = 0..cl-1) go
// through a length-cl DFT, X'[k n + p] = sum_j x[j n + p] exp(-2 pi i jk / cl), times exp(-2 pi i r / N_tot) with
// r = cluster_twiddle_index(k, p) = k p mod N_tot. Rows j >= cluster_in_rows(T) hold zero padding and are skipped.
// CTA r computes the offsets p in [r n / cl, (r + 1) n / cl) for all k (cluster_share). The local FFT of block k then
// gives X[k + cl q] at position k n + (q digit-reversed in the local plan): decimation in frequency,
// X[k + cl q] = sum_p (X'[k n + p]) exp(-2 pi i p q / n).
// Inverse (the adjoint): local inverse stages in reverse with conjugate DFTs and twiddles, then per offset p the
// values at rows j times exp(+2 pi i j p / N_tot), the length-cl DFT with exp(+2 pi i jk / cl), and output rows k
// with k n + p < T only (cluster_out_rows).
//
// fp16 headroom: every intermediate of the forward transform is a partial sum of at most T inputs of modulus
// sqrt(2) max|x| (a pair packed as x = u_b + i u_{b+1}), so inputs are scaled to max |x| in [1/2, 1) times
// 2^-input_headroom_log2(T), which keeps them below sqrt(2) 2^14 = 23170 < 65504 (0 for T <= 16384: the single-CTA
// plans are unchanged). The inverse's fp16 intermediates are partial sums over at most n <= 16384 terms of a spectrum
// with components below 1; its cluster stage runs in fp32.
//
// Channel tiles (cl = 1, D a multiple of kTile): a cluster of kTile CTAs takes channels [c0, c0 + kTile) of one
// sequence pair (CTA r: channel c0 + r, c0 = blockIdx.x - r). Rows t of the [B, T, D] tensors are split between the
// CTAs: CTA r with blockDim threads reads (writes) row t = tile_row_first(r, tid, threads) + i tile_row_step(threads),
// i = 0, 1, ..., kTile bf16 = 16 contiguous bytes per row and sequence, and scatters (gathers) channel k's value to
// (from) CTA k's shared planes. Every row t < T then belongs to exactly one (r, tid, i).
#pragma once
#include <algorithm>
#include <cstdint>

#if defined(__CUDACC__)
#define MENAGERIE_FFT_HD __host__ __device__ __forceinline__
#else
#define MENAGERIE_FFT_HD inline
#endif

namespace menagerie::opt::long_conv::fft_tc_bf16 {

inline constexpr std::int64_t kMaxT = 65536, kMaxSingleCtaT = 8192;
inline constexpr int kMinLg = 9, kMaxLocalLg = 14, kMaxStages = 3;

struct Plan {
  int n = 0, lg = 0, stages = 0;  // the local FFT of one CTA: n = 2^lg positions
  int cl = 1, lgcl = 0;           // CTAs per cluster; the transform has size n cl
  int headroom = 0;               // inputs are scaled by 2^-headroom beyond max |x| in [1/2, 1)
  int N[kMaxStages] = {}, lgN[kMaxStages] = {}, lgS[kMaxStages] = {};
  // tab[s]: offset (halves) of stage s's DFT table in shared memory; stages of equal size share one
  int tab[kMaxStages] = {};
  int tab_halves = 0;
  constexpr int lg_total() const { return lg + lgcl; }
  // whether stage s is the first of its size (the one whose table is built)
  constexpr bool first_of_size(int s) const {
    for (int q = 0; q < s; ++q)
      if (N[q] == N[s]) return false;
    return true;
  }
  constexpr std::int64_t n_total() const { return std::int64_t{n} << lgcl; }
};

inline int ceil_log2(std::int64_t x) {
  int lg = 0;
  while ((std::int64_t{1} << lg) < x) ++lg;
  return lg;
}

// Extra power of two (as its exponent) taken off the inputs so that T sqrt(2) 2^-e <= sqrt(2) 2^14.
inline int input_headroom_log2(std::int64_t T) { return std::max(0, ceil_log2(T) - kMaxLocalLg); }

inline Plan make_plan(std::int64_t T) {
  Plan pl;
  const int lg_tot = std::max(kMinLg, ceil_log2(2 * T));
  pl.lgcl = std::max(0, lg_tot - kMaxLocalLg);
  pl.cl = 1 << pl.lgcl;
  pl.lg = lg_tot - pl.lgcl;
  pl.n = 1 << pl.lg;
  pl.headroom = input_headroom_log2(T);
  // local plans: n = 512: 32x16, 1024: 32x32, 2048: 64x32, 4096: 16x16x16, 8192: 32x16x16, 16384: 32x32x16
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

// First position of vector j of a stage with stride 2^lgS and length 2^lgN.
MENAGERIE_FFT_HD int stage_base(int j, int lgS, int lgN) {
  return ((j >> lgS) << (lgS + lgN)) | (j & ((1 << lgS) - 1));
}

// r of the twiddle exp(sign 2 pi i r / 2^lgM) at local position p after the stage of stride 2^lgS (lgM > lgS).
MENAGERIE_FFT_HD int twiddle_index(int p, int lgS, int lgM) {
  const int k = (p >> lgS) & ((1 << (lgM - lgS)) - 1), lo = p & ((1 << lgS) - 1);
  return (k * lo) & ((1 << lgM) - 1);
}

// r of the cluster stage's twiddle exp(sign 2 pi i r / 2^lg_tot) of row k at local offset p (k p < 2^17).
MENAGERIE_FFT_HD int cluster_twiddle_index(int k, int p, int lg_tot) { return (k * p) & ((1 << lg_tot) - 1); }

// How many local offsets the cluster stage of each CTA computes: CTA r takes [r share, (r + 1) share).
MENAGERIE_FFT_HD int cluster_share(int n, int cl) { return n / cl; }

// Rows j of the cluster stage that hold a position j n + p < len for some p (the others are zero padding).
MENAGERIE_FFT_HD int cluster_in_rows(int len, int lg) { return (len + (1 << lg) - 1) >> lg; }

// Rows k with k n + p < len at local offset p (the inverse's outputs).
MENAGERIE_FFT_HD int cluster_out_rows(int len, int p, int lg) { return len > p ? (len - p + (1 << lg) - 1) >> lg : 0; }

inline constexpr int kTile = 8;

// First row and row step of thread tid of CTA rank in a channel tile's cluster (threads per CTA).
MENAGERIE_FFT_HD int tile_row_first(int rank, int tid, int threads) { return rank * threads + tid; }
MENAGERIE_FFT_HD int tile_row_step(int threads) { return kTile * threads; }

// Channel k's 16 bits in a row's kTile bf16 loaded as four little-endian 32-bit words (channel 2i low, 2i + 1 high).
MENAGERIE_FFT_HD unsigned tile_channel_bits(const std::uint32_t (&w)[4], int k) {
  return (w[k >> 1] >> (16 * (k & 1))) & 0xffffu;
}

// The inverse: channel k's bits v[k] packed into four words.
MENAGERIE_FFT_HD void tile_pack(const unsigned (&v)[kTile], std::uint32_t (&w)[4]) {
  w[0] = (v[0] & 0xffffu) | ((v[1] & 0xffffu) << 16);
  w[1] = (v[2] & 0xffffu) | ((v[3] & 0xffffu) << 16);
  w[2] = (v[4] & 0xffffu) | ((v[5] & 0xffffu) << 16);
  w[3] = (v[6] & 0xffffu) | ((v[7] & 0xffffu) << 16);
}

}  // namespace menagerie::opt::long_conv::fft_tc_bf16
