// The selective scan backward's sums of dB and dC over a warp's 32 lanes (optimized/selective_scan/scan.cu,
// warp_sum16) claim the bits of the old per-value butterfly: the old kernel summed each of 16 values (dB and dC of 8
// tokens) by v += shfl_xor(v, o), o = 16, 8, 4, 2, 1, and stored token i's sums from lane i. The new one does the
// o = 16 step on all 16 values, then a reduce-scatter: at o = 8, 4, 2, 1 a lane keeps the half of its partial sums
// chosen by its lane bit o (upper half if set) and adds its partner's copy of that half; lane k of 0..15 ends with
// sum k. Here 32 lanes are emulated in lock step on the host (a lane's shuffle reads its partner's value from the
// same step), both schemes side by side, the old one's results the oracle. The values are formed exactly as the
// kernel forms them (optimized/selective_scan/lane_terms.hpp): lam du and dy h rounded once, h for dC as the old
// kernels' compiled code made it (token 0 of a warp fused for n <= 14, rounded otherwise), each addition rounded
// once, for n = 0 and n = 15. Inputs mix magnitudes from 1e-6 to 1e3 of both signs, so that the order of additions
// shows in the bits. dc_state itself is checked against the same rounding done another way: the exact
// du B + round(a h) (an exact double product plus a TwoSum remainder) rounded once to float.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <random>

#include "optimized/selective_scan/lane_terms.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

constexpr int kLanes = 32, kSums = 16;
using Lanes = std::array<std::array<float, kSums>, kLanes>;

namespace ss = opt::selective_scan;

// A lane's 8 tokens: lam, du for dB; dy, a, h_{t-1}, B for dC.
struct Token {
  float lam, du, dy, a, hp, B;
};
using Draw = std::array<std::array<Token, 8>, kLanes>;

Token token(std::mt19937_64& rng) {
  std::uniform_real_distribution<float> mant(-1.f, 1.f), decay(0.f, 1.f);
  std::uniform_int_distribution<int> ex(-6, 3);
  const auto wide = [&] { return mant(rng) * std::pow(10.f, static_cast<float>(ex(rng))); };
  Token t{};
  t.lam = wide(), t.du = mant(rng), t.dy = wide(), t.a = decay(rng), t.hp = wide(), t.B = mant(rng);
  return t;
}

Draw draw(std::mt19937_64& rng) {
  Draw d{};
  for (auto& lane : d)
    for (auto& t : lane) t = token(rng);
  return d;
}

// The kernel's 16 values of one lane for state index n: k < 8 token k's dB term, k >= 8 token k - 8's dC term.
std::array<float, kSums> lane_values(const std::array<Token, 8>& tokens, int n) {
  std::array<float, kSums> v{};
  for (int i = 0; i < 8; ++i) {
    const Token& t = tokens[static_cast<std::size_t>(i)];
    const float ah = ss::mul_rn(t.a, t.hp);
    v[static_cast<std::size_t>(i)] = ss::mul_rn(t.lam, t.du);
    v[static_cast<std::size_t>(8 + i)] = ss::mul_rn(t.dy, ss::dc_state(n, i, ah, ss::mul_rn(t.du, t.B), t.du, t.B));
  }
  return v;
}

// Step o = 16 of both schemes: a lane's value plus its partner's, rounded once.
Lanes first_step(const Draw& d, int n) {
  Lanes own{}, v{};
  for (int L = 0; L < kLanes; ++L) own[static_cast<std::size_t>(L)] = lane_values(d[static_cast<std::size_t>(L)], n);
  for (int L = 0; L < kLanes; ++L)
    for (int k = 0; k < kSums; ++k) v[L][k] = ss::add_rn(own[L][k], own[L ^ 16][k]);
  return v;
}

// The old kernel: sum k's butterfly finished at o = 8, 4, 2, 1; stored from lane k % 8.
std::array<float, kSums> butterfly(Lanes v) {
  std::array<float, kSums> out{};
  for (int k = 0; k < kSums; ++k) {
    std::array<float, kLanes> w{};
    for (int L = 0; L < kLanes; ++L) w[L] = v[L][k];
    for (int o = 8; o > 0; o >>= 1) {
      std::array<float, kLanes> next{};
      for (int L = 0; L < kLanes; ++L) next[L] = ss::add_rn(w[L], w[L ^ o]);
      w = next;
    }
    out[k] = w[k % 8];
  }
  return out;
}

// The new kernel: reduce-scatter at o = 8, 4, 2, 1; sum k read from lane k.
std::array<float, kSums> reduce_scatter(Lanes v) {
  for (int o = 8; o > 0; o >>= 1) {
    Lanes next = v;
    for (int L = 0; L < kLanes; ++L) {
      const int P = L ^ o;
      const bool hi = L & o, phi = P & o;
      for (int k = 0; k < o; ++k) {
        const float keep = hi ? v[L][k + o] : v[L][k];
        const float send = phi ? v[P][k] : v[P][k + o];
        next[L][k] = ss::add_rn(keep, send);
      }
    }
    v = next;
  }
  std::array<float, kSums> out{};
  for (int k = 0; k < kSums; ++k) out[k] = v[k][0];
  return out;
}

void expect_same_bits(int n) {
  std::mt19937_64 rng(test::test_seed());
  int differing_orders = 0;  // sums where a plain sequential sum differs: the order of additions shows in the bits
  for (int draw_i = 0; draw_i < 200; ++draw_i) {
    const Draw d = draw(rng);
    const Lanes v = first_step(d, n);
    const auto old_sums = butterfly(v), new_sums = reduce_scatter(v);
    for (int k = 0; k < kSums; ++k) {
      ASSERT_EQ(std::bit_cast<std::uint32_t>(old_sums[k]), std::bit_cast<std::uint32_t>(new_sums[k]))
          << "n " << n << ", draw " << draw_i << ", sum " << k << ": " << old_sums[k] << " (butterfly) against "
          << new_sums[k] << " (reduce-scatter)";
      float seq = 0.f;
      for (int L = 0; L < kLanes; ++L) seq += lane_values(d[static_cast<std::size_t>(L)], n)[k];
      differing_orders += seq != old_sums[k];
    }
  }
  EXPECT_GT(differing_orders, 100) << "the inputs do not exercise the order of the additions";
}

TEST(SelectiveScanLaneSums, ReduceScatterGivesTheButterflysBitsAtNZero) { expect_same_bits(0); }

TEST(SelectiveScanLaneSums, ReduceScatterGivesTheButterflysBitsAtNFifteen) { expect_same_bits(15); }

// round(x) to float of the exact x = hi + lo (hi a double, |lo| <= half an ulp of hi): (float)hi unless hi lies exactly
// halfway between two floats, where lo decides.
float round_pair(double hi, double lo) {
  const float r = static_cast<float>(hi);
  if (lo == 0.0 || static_cast<double>(r) == hi) return r;
  const float other = std::nextafter(r, hi > static_cast<double>(r) ? INFINITY : -INFINITY);
  if ((static_cast<double>(r) + static_cast<double>(other)) / 2 != hi) return r;
  const bool up = lo > 0;  // the exact value lies beyond the midpoint on lo's side
  const float below = std::min(r, other), above = std::max(r, other);
  return up ? above : below;
}

// dc_state: token 0 of a warp for n = 0..14 is du B + round(a h) rounded once; every other (i, n) is
// round(round(a h) + round(du B)). The exact du B is a double product (48 bits); TwoSum gives the sum's remainder.
TEST(SelectiveScanLaneSums, DcStateRoundsAsTheOldKernels) {
  std::mt19937_64 rng(test::test_seed());
  int fused_differs = 0;
  for (int draw_i = 0; draw_i < 20000; ++draw_i) {
    const Token t = token(rng);
    const float ah = t.a * t.hp, u = t.du * t.B;
    const double p = static_cast<double>(t.du) * static_cast<double>(t.B), s = p + static_cast<double>(ah);
    const double bp = s - static_cast<double>(ah), lo = (p - bp) + (static_cast<double>(ah) - (s - bp));
    const float fused = round_pair(s, lo);
    const float rounded = static_cast<float>(static_cast<double>(ah) + static_cast<double>(u));  // 53 >= 2 x 24 + 2
    for (int n = 0; n < 16; ++n)
      for (int i = 0; i < 8; ++i) {
        const float want = i == 0 && n <= 14 ? fused : rounded, got = ss::dc_state(n, i, ah, u, t.du, t.B);
        ASSERT_EQ(std::bit_cast<std::uint32_t>(want), std::bit_cast<std::uint32_t>(got))
            << "n " << n << ", token " << i << ", draw " << draw_i << ": du " << t.du << ", B " << t.B << ", a h "
            << ah << ": " << got << " against " << want;
      }
    fused_differs += fused != rounded;
  }
  EXPECT_GT(fused_differs, 1000) << "the draws do not tell the fused h from the rounded one";
}

}  // namespace
}  // namespace menagerie
