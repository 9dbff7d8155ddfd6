// Host emulation in double of fft_tc_bf16's FFT for T > 8192 (thread-block clusters of cl = 2, 4, 8 CTAs), using the
// kernels' own index maps (optimized/long_conv/fft_tc_plan.hpp: stage_base, twiddle_index, cluster_twiddle_index,
// cluster_share, cluster_in_rows, cluster_out_rows) in the kernels' stage order:
//   forward  = the cluster stage (length-cl DFT over rows j of stride n, rows j >= cluster_in_rows skipped, twiddle
//              exp(-2 pi i k p / N_tot)), each CTA's share of offsets in turn; then per block the local stages
//              s = 0..L-1 (length-N_s DFTs, twiddles after each but the last);
//   inverse  = per block the local stages in reverse with conjugates (twiddle of stage s-1 after stage s >= 1), then
//              the cluster stage's conjugate twiddles and conjugate DFT, output rows k n + p < len only.
// Expected values come from the definitions, written here independently:
//   - spectrum order: position k n + p (p = sum_s q_s S_s) holds X[k + cl (q_0 + N_0 q_1 + N_0 N_1 q_2)], with X the
//     naive DFT X[f] = sum_t x[t] exp(-2 pi i f t / N_tot) (the angle from f t mod N_tot), checked at 256 sampled
//     positions and every block's first and last (relative to max |X|, < 1e-12);
//   - the causal convolution y[t] = sum_{s <= t} h[s] u[t - s] of a packed pair x = u_0 + i u_1 (y_0 = Re, y_1 = Im of
//     ifft(fft(x) fft(h)) / N_tot) and the correlation du[t] = sum_{s >= t} h[s - t] dy[s] (ifft(DY conj(H))),
//     by their direct sums at 128 sampled t (the first and last included), relative to max |y| (< 1e-11);
//   - make_plan: N_tot = next power of two >= 2T, cl = N_tot / 16384, a local 32x32x16 plan.
// At T = 8193, 12000, 16384 (cl 2), 16385, 32768 (cl 4), 40000, 65536 (cl 8): odd T leaves partial rows.
// Also the channel tiles' row maps (T <= 8192: tile_row_first, tile_row_step, tile_channel_bits, tile_pack) against the
// [T, D] layout itself: every row scattered and gathered exactly once.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "optimized/long_conv/fft_tc_plan.hpp"
#include "verify/support/env.hpp"

namespace menagerie::test {
namespace {

namespace tc = opt::long_conv::fft_tc_bf16;
using cd = std::complex<double>;
const double kPi = 4 * std::atan(1.0);

// exp(sign 2 pi i r / M)
cd root(std::int64_t r, std::int64_t M, double sign) {
  return std::polar(1.0, sign * 2 * kPi * static_cast<double>(r) / static_cast<double>(M));
}

// One local stage on the block x[0, n): DFT of length 2^lgN along stride 2^lgS (sign), then the twiddle
// exp(sign 2 pi i twiddle_index(p, twS, lgM) / 2^lgM) when lgM > 0, as the kernel's dft_stage + TwiddleStore do.
void local_stage(cd* x, int n, int lgN, int lgS, int twS, int lgM, double sign) {
  const int N = 1 << lgN;
  std::vector<cd> v(N), w(N);
  for (int i = 0; i < N; ++i) w[i] = root(i, N, sign);
  for (int j = 0; j < n / N; ++j) {
    const int base = tc::stage_base(j, lgS, lgN);
    for (int k = 0; k < N; ++k) v[k] = x[base + (k << lgS)];
    for (int k = 0; k < N; ++k) {
      cd acc = 0;
      for (int i = 0; i < N; ++i) acc += v[i] * w[(k * i) % N];
      const int p = base + (k << lgS);
      if (lgM > 0) acc *= root(tc::twiddle_index(p, twS, lgM), std::int64_t{1} << lgM, sign);
      x[p] = acc;
    }
  }
}

double max_component(const std::vector<cd>& x) {
  double m = 0;
  for (const cd& v : x) m = std::max({m, std::abs(v.real()), std::abs(v.imag())});
  return m;
}

// The whole forward transform of x (size N_tot, nonzero below len), in place, natural -> the plan's order; peak, when
// given, gets the largest |re| or |im| stored after any stage (what the kernel rounds to fp16).
void forward(const tc::Plan& pl, std::vector<cd>& x, int len, double* peak = nullptr) {
  const int n = pl.n, cl = pl.cl, share = tc::cluster_share(n, cl), rows = tc::cluster_in_rows(len, pl.lg);
  const std::int64_t ntot = pl.n_total();
  if (cl > 1)
    for (int rank = 0; rank < cl; ++rank)
      for (int p = rank * share; p < (rank + 1) * share; ++p) {
        std::vector<cd> in(cl);
        for (int j = 0; j < rows; ++j) in[j] = x[static_cast<std::size_t>(j) * n + p];
        for (int k = 0; k < cl; ++k) {
          cd acc = 0;
          for (int j = 0; j < rows; ++j) acc += in[j] * root((j * k) % cl, cl, -1);
          x[static_cast<std::size_t>(k) * n + p] = acc * root(tc::cluster_twiddle_index(k, p, pl.lg_total()), ntot, -1);
        }
      }
  if (peak) *peak = std::max(*peak, max_component(x));
  for (int s = 0; s < pl.stages; ++s) {
    const bool last = s + 1 == pl.stages;
    for (int b = 0; b < cl; ++b)
      local_stage(x.data() + static_cast<std::size_t>(b) * n, n, pl.lgN[s], pl.lgS[s], pl.lgS[s],
                  last ? 0 : pl.lgS[s] + pl.lgN[s], -1);
    if (peak) *peak = std::max(*peak, max_component(x));
  }
}

// N_tot times the inverse DFT of a spectrum in the plan's order; positions >= len of the result are left zero.
std::vector<cd> inverse(const tc::Plan& pl, std::vector<cd> z, int len) {
  const int n = pl.n, cl = pl.cl, share = tc::cluster_share(n, cl);
  const std::int64_t ntot = pl.n_total();
  for (int b = 0; b < cl; ++b) {
    cd* x = z.data() + static_cast<std::size_t>(b) * n;
    for (int s = pl.stages - 1; s >= 1; --s)
      local_stage(x, n, pl.lgN[s], pl.lgS[s], pl.lgS[s - 1], pl.lgS[s - 1] + pl.lgN[s - 1], 1);
    local_stage(x, n, pl.lgN[0], pl.lgS[0], 0, 0, 1);
  }
  if (cl == 1) return z;
  std::vector<cd> out(static_cast<std::size_t>(ntot));
  for (int rank = 0; rank < cl; ++rank)
    for (int p = rank * share; p < (rank + 1) * share; ++p) {
      std::vector<cd> in(cl);
      for (int j = 0; j < cl; ++j)
        in[j] = z[static_cast<std::size_t>(j) * n + p] * root(tc::cluster_twiddle_index(j, p, pl.lg_total()), ntot, 1);
      for (int k = 0; k < tc::cluster_out_rows(len, p, pl.lg); ++k) {
        cd acc = 0;
        for (int j = 0; j < cl; ++j) acc += in[j] * root((j * k) % cl, cl, 1);
        out[static_cast<std::size_t>(k) * n + p] = acc;
      }
    }
  return out;
}

// The frequency held at position P = k n + p of the forward's output (the header's claim, written independently).
std::int64_t frequency_at(const tc::Plan& pl, std::int64_t P) {
  const std::int64_t k = P / pl.n, p = P % pl.n;
  std::int64_t q = 0, mult = 1;
  for (int s = 0; s < pl.stages; ++s) {
    q += ((p >> pl.lgS[s]) % pl.N[s]) * mult;
    mult *= pl.N[s];
  }
  return k + pl.cl * q;
}

// sum_t x[t] w[f t mod N_tot], w[r] = exp(-2 pi i r / N_tot)
cd naive_dft_at(const std::vector<cd>& x, int len, std::int64_t f, const std::vector<cd>& w) {
  const std::int64_t ntot = static_cast<std::int64_t>(w.size());
  cd acc = 0;
  for (std::int64_t t = 0; t < len; ++t)
    acc += x[static_cast<std::size_t>(t)] * w[static_cast<std::size_t>((f * t) % ntot)];
  return acc;
}

double max_abs(const std::vector<cd>& x) {
  double m = 0;
  for (const cd& v : x) m = std::max(m, std::abs(v));
  return m;
}

std::vector<std::int64_t> samples(std::int64_t size, int count, std::mt19937_64& rng) {
  std::vector<std::int64_t> s = {0, size - 1};
  std::uniform_int_distribution<std::int64_t> d(0, size - 1);
  while (static_cast<int>(s.size()) < count) s.push_back(d(rng));
  return s;
}

const int kTs[] = {8193, 12000, 16384, 16385, 32768, 40000, 65536};

TEST(FftClusterPlan, PlansAreClustersOfLocal16384) {
  for (int T : kTs) {
    const tc::Plan pl = tc::make_plan(T);
    std::int64_t ntot = 1;
    while (ntot < 2 * T) ntot *= 2;
    EXPECT_EQ(pl.n_total(), ntot) << "T = " << T;
    EXPECT_EQ(pl.n, 16384) << "T = " << T;
    EXPECT_EQ(pl.cl, ntot / 16384) << "T = " << T;
    ASSERT_EQ(pl.stages, 3) << "T = " << T;
    EXPECT_EQ(pl.N[0] * pl.N[1] * pl.N[2], pl.n) << "T = " << T;
    EXPECT_EQ(pl.lgS[2], 0) << "T = " << T;
  }
  EXPECT_EQ(tc::make_plan(8192).cl, 1);
  EXPECT_EQ(tc::make_plan(8192).n, 16384);
  EXPECT_EQ(tc::make_plan(100).n, 512);
  EXPECT_EQ(tc::input_headroom_log2(16384), 0);
  EXPECT_EQ(tc::input_headroom_log2(65536), 2);
  EXPECT_EQ(tc::make_plan(65536).headroom, 2);
  EXPECT_EQ(tc::make_plan(8192).headroom, 0);
}

TEST(FftClusterPlan, SpectrumOrderMatchesNaiveDft) {
  std::mt19937_64 rng(test_seed());
  std::normal_distribution<double> g;
  for (int T : kTs) {
    const tc::Plan pl = tc::make_plan(T);
    const std::int64_t ntot = pl.n_total();
    std::vector<cd> x(static_cast<std::size_t>(ntot));
    for (int t = 0; t < T; ++t) x[t] = cd(g(rng), g(rng));
    std::vector<cd> X = x;
    forward(pl, X, T);
    std::vector<std::int64_t> pos = samples(ntot, 256, rng);
    for (int b = 0; b < pl.cl; ++b) pos.insert(pos.end(), {std::int64_t{b} * pl.n, std::int64_t{b + 1} * pl.n - 1});
    std::vector<cd> w(static_cast<std::size_t>(ntot));
    for (std::int64_t r = 0; r < ntot; ++r) w[static_cast<std::size_t>(r)] = root(r, ntot, -1);
    const double scale = max_abs(X);
    double worst = 0;
    for (std::int64_t P : pos)
      worst = std::max(worst, std::abs(X[P] - naive_dft_at(x, T, frequency_at(pl, P), w)) / scale);
    std::printf("T %d (N_tot %lld, cl %d): spectrum relerr %.3g over %zu positions\n", T,
                static_cast<long long>(ntot), pl.cl, worst, pos.size());
    EXPECT_LT(worst, 1e-12) << "T = " << T;
  }
}

TEST(FftClusterPlan, ConvolutionAndCorrelationMatchDirectSums) {
  std::mt19937_64 rng(test_seed());
  std::normal_distribution<double> g;
  for (int T : kTs) {
    const tc::Plan pl = tc::make_plan(T);
    const std::int64_t ntot = pl.n_total();
    std::vector<double> u0(T), u1(T), h(T), dy(T);
    for (int t = 0; t < T; ++t) u0[t] = g(rng), u1[t] = g(rng), h[t] = g(rng) / std::sqrt(1.0 + t), dy[t] = g(rng);
    std::vector<cd> X(static_cast<std::size_t>(ntot)), H(X.size()), DY(X.size());
    for (int t = 0; t < T; ++t) X[t] = cd(u0[t], u1[t]), H[t] = h[t], DY[t] = dy[t];
    forward(pl, X, T);
    forward(pl, H, T);
    forward(pl, DY, T);
    std::vector<cd> Z(X.size()), G(X.size());
    for (std::size_t i = 0; i < X.size(); ++i) Z[i] = X[i] * H[i], G[i] = DY[i] * std::conj(H[i]);
    std::vector<cd> y = inverse(pl, Z, T), du = inverse(pl, G, T);
    for (std::size_t i = static_cast<std::size_t>(T); i < y.size(); ++i) {
      ASSERT_EQ(y[i], cd(0)) << "T = " << T << ": output row " << i << " >= T was computed";
    }
    const double sy = max_abs(y) / static_cast<double>(ntot), sd = max_abs(du) / static_cast<double>(ntot);
    double worst_y = 0, worst_du = 0;
    for (std::int64_t t : samples(T, 128, rng)) {
      double r0 = 0, r1 = 0, rd = 0;
      for (std::int64_t s = 0; s <= t; ++s) r0 += h[s] * u0[t - s], r1 += h[s] * u1[t - s];
      for (std::int64_t s = t; s < T; ++s) rd += h[s - t] * dy[s];
      const cd yt = y[t] / static_cast<double>(ntot);
      worst_y = std::max({worst_y, std::abs(yt.real() - r0) / sy, std::abs(yt.imag() - r1) / sy});
      worst_du = std::max(worst_du, std::abs(du[t].real() / static_cast<double>(ntot) - rd) / sd);
    }
    std::printf("T %d (cl %d): y relerr %.3g, du relerr %.3g\n", T, pl.cl, worst_y, worst_du);
    EXPECT_LT(worst_y, 1e-11) << "T = " << T;
    EXPECT_LT(worst_du, 1e-11) << "T = " << T;
  }
}

// fp16's range (fft_tc_plan.hpp's headroom): the pair u_0 = M sign(cos(pi t / T)), u_1 = M sign(sin(pi t / T)),
// M = 1 - 2^-8 (the largest bf16 below 1, so the kernel's power-of-two scale is 1), has Re X[1] = M sum_t (|cos| +
// |sin|) ~ (4 / pi) M T. At T = 65536 that passes fp16's largest value, 65504, after the last forward stage; with the
// plan's 2^-headroom every stored intermediate stays below sqrt(2) 2^14 (the header's bound). verify/conv_gpu_test.cpp
// runs this input through the kernel.
TEST(FftClusterPlan, SquareWavePairNeedsTheHeadroom) {
  const double M = 1.0 - 1.0 / 256, pi = 4 * std::atan(1.0);
  for (int T : {8193, 65536}) {
    const tc::Plan pl = tc::make_plan(T);
    std::vector<cd> x(static_cast<std::size_t>(pl.n_total()));
    for (int t = 0; t < T; ++t) {
      const double a = pi * t / T;
      x[t] = cd(std::cos(a) >= 0 ? M : -M, std::sin(a) >= 0 ? M : -M);
    }
    std::vector<cd> raw = x, scaled = x;
    for (cd& v : scaled) v = std::ldexp(1.0, -pl.headroom) * v;
    double peak_raw = 0, peak_scaled = 0;
    forward(pl, raw, T, &peak_raw);
    forward(pl, scaled, T, &peak_scaled);
    std::printf("T %d: largest stored component %.0f without the headroom, %.0f with 2^-%d\n", T, peak_raw,
                peak_scaled, pl.headroom);
    EXPECT_LT(peak_scaled, std::sqrt(2.0) * 16384) << "T = " << T;
    if (T == 65536) {
      EXPECT_GT(peak_raw, 65504.0) << "the input does not exercise the headroom";
    }
  }
}

// Channel tiles (fft_tc_bf16_tiled.cu, fft_tc_plan.hpp): a cluster of kTile CTAs with `threads` threads each, CTA r
// on channel c0 + r. Emulates the scatter (each thread's rows from tile_row_first / tile_row_step, a row's 16 bytes
// read as four 32-bit words, channel k's bits by tile_channel_bits into CTA k's plane) and the gather (tile_pack's
// words written back as the row's 16 bytes). Expected, from the [T, D] layout itself (memcpy of the bf16 bits, so
// the words' byte order is the machine's, as on the GPU): every plane k holds x[t, c0 + k] at every t < T, written
// exactly once, and the gather rebuilds the tile's columns exactly, touching no other column.
TEST(FftClusterPlan, ChannelTileMapsCoverEveryRowOnce) {
  static_assert(tc::kTile == 8, "a row of the tile is 16 bytes: four 32-bit words");
  std::mt19937_64 rng(test_seed());
  const int D = 3 * tc::kTile;
  for (int T : {1, 100, 1000, 4096, 8192}) {
    const int threads = std::clamp(static_cast<int>(tc::make_plan(T).n_total() / 16), 64, 256);
    std::vector<std::uint16_t> x(static_cast<std::size_t>(T) * D);
    for (std::uint16_t& v : x) v = static_cast<std::uint16_t>(rng());
    for (int c0 = 0; c0 < D; c0 += tc::kTile) {
      std::vector<std::vector<std::uint32_t>> plane(tc::kTile, std::vector<std::uint32_t>(T, 0u));
      std::vector<std::vector<int>> writes(tc::kTile, std::vector<int>(T, 0));
      std::vector<std::uint16_t> y(x.size(), 0);
      for (int r = 0; r < tc::kTile; ++r)
        for (int tid = 0; tid < threads; ++tid)
          for (int t = tc::tile_row_first(r, tid, threads); t < T; t += tc::tile_row_step(threads)) {
            std::uint32_t w[4];
            std::memcpy(w, &x[static_cast<std::size_t>(t) * D + c0], sizeof w);
            for (int k = 0; k < tc::kTile; ++k) {
              plane[k][t] = tc::tile_channel_bits(w, k);
              ++writes[k][t];
            }
          }
      for (int r = 0; r < tc::kTile; ++r)
        for (int tid = 0; tid < threads; ++tid)
          for (int t = tc::tile_row_first(r, tid, threads); t < T; t += tc::tile_row_step(threads)) {
            unsigned v[tc::kTile];
            for (int k = 0; k < tc::kTile; ++k) v[k] = plane[k][t];
            std::uint32_t w[4];
            tc::tile_pack(v, w);
            std::memcpy(&y[static_cast<std::size_t>(t) * D + c0], w, sizeof w);
          }
      int bad = 0;
      for (int t = 0; t < T; ++t)
        for (int c = 0; c < D; ++c) {
          const std::size_t i = static_cast<std::size_t>(t) * D + c;
          const bool in_tile = c >= c0 && c < c0 + tc::kTile;
          if (in_tile && (writes[c - c0][t] != 1 || plane[c - c0][t] != x[i])) ++bad;
          if (y[i] != (in_tile ? x[i] : 0)) ++bad;
        }
      EXPECT_EQ(bad, 0) << "T = " << T << ", threads " << threads << ", tile at channel " << c0;
    }
  }
}

}  // namespace
}  // namespace menagerie::test
