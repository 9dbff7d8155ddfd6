// The selective scan backward's sums of dB and dC over a warp's 32 lanes (optimized/selective_scan/scan.cu,
// warp_sum16) claim the bits of the old per-value butterfly: the old kernel summed each of 16 values (dB and dC of 8
// tokens) by v += shfl_xor(v, o), o = 16, 8, 4, 2, 1, and stored token i's sums from lane i. The new one does the
// o = 16 step on all 16 values, then a reduce-scatter: at o = 8, 4, 2, 1 a lane keeps the half of its partial sums
// chosen by its lane bit o (upper half if set) and adds its partner's copy of that half; lane k of 0..15 ends with
// sum k. Here 32 lanes are emulated in lock step on the host (a lane's shuffle reads its partner's value from the
// same step) with fp32 additions, both schemes side by side; the old one's results are the oracle. Inputs mix
// magnitudes from 1e-6 to 1e3 of both signs, so that the order of additions shows in the bits. Also with the first
// step fused (fma(lam, du, partner's product): what the compiler may make of the product-plus-shuffle, in both
// kernels alike), where lanes 16..31 can differ from lanes 0..15 and only the lane chosen for the store matters.
#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <random>

#include "verify/support/env.hpp"

namespace menagerie {
namespace {

constexpr int kLanes = 32, kSums = 16;
using Lanes = std::array<std::array<float, kSums>, kLanes>;

struct Products {
  Lanes lam, du;  // value k of lane L is lam[L][k] * du[L][k]
};

Products draw(std::mt19937_64& rng) {
  std::uniform_real_distribution<float> mant(-1.f, 1.f);
  std::uniform_int_distribution<int> ex(-6, 3);
  Products p{};
  for (int L = 0; L < kLanes; ++L)
    for (int k = 0; k < kSums; ++k) {
      p.lam[L][k] = mant(rng) * std::pow(10.f, static_cast<float>(ex(rng)));
      p.du[L][k] = mant(rng);
    }
  return p;
}

// Step o = 16 of both schemes: the product plus the partner's product, rounded (or fused).
Lanes first_step(const Products& p, bool fused) {
  Lanes v{};
  for (int L = 0; L < kLanes; ++L)
    for (int k = 0; k < kSums; ++k) {
      const float partner = p.lam[L ^ 16][k] * p.du[L ^ 16][k];
      v[L][k] = fused ? std::fma(p.lam[L][k], p.du[L][k], partner) : p.lam[L][k] * p.du[L][k] + partner;
    }
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
      for (int L = 0; L < kLanes; ++L) next[L] = w[L] + w[L ^ o];
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
        next[L][k] = keep + send;
      }
    }
    v = next;
  }
  std::array<float, kSums> out{};
  for (int k = 0; k < kSums; ++k) out[k] = v[k][0];
  return out;
}

void expect_same_bits(bool fused) {
  std::mt19937_64 rng(test::test_seed());
  int differing_orders = 0;  // draws where a plain sequential sum differs: the order of additions shows in the bits
  for (int draw_i = 0; draw_i < 200; ++draw_i) {
    const Products p = draw(rng);
    const Lanes v = first_step(p, fused);
    const auto old_sums = butterfly(v), new_sums = reduce_scatter(v);
    for (int k = 0; k < kSums; ++k) {
      ASSERT_EQ(std::bit_cast<std::uint32_t>(old_sums[k]), std::bit_cast<std::uint32_t>(new_sums[k]))
          << (fused ? "fused" : "rounded") << " first step, draw " << draw_i << ", sum " << k << ": "
          << old_sums[k] << " (butterfly) against " << new_sums[k] << " (reduce-scatter)";
      float seq = 0.f;
      for (int L = 0; L < kLanes; ++L) seq += p.lam[L][k] * p.du[L][k];
      differing_orders += seq != old_sums[k];
    }
  }
  EXPECT_GT(differing_orders, 100) << "the inputs do not exercise the order of the additions";
}

TEST(SelectiveScanLaneSums, ReduceScatterGivesTheButterflysBits) { expect_same_bits(false); }

TEST(SelectiveScanLaneSums, ReduceScatterGivesTheButterflysBitsWithAFusedFirstStep) { expect_same_bits(true); }

}  // namespace
}  // namespace menagerie
