// A bit-exact emulation of numpy's legacy global RNG (`np.random.seed(s)` then `np.random.<fn>`), numpy 1.17+,
// for the calls the public synthetic generators make. Checked against Debian's numpy 1.24 by
// verify/fixtures/synthetics/make_goldens.py (goldens.json, section "rng").
//
//   seed(s)            MT19937 init_genrand(s): key[0] = s, key[i] = 1812433253 (key[i-1] ^ key[i-1] >> 30) + i.
//   next_uint32()      the tempered MT19937 output (numpy regenerates the 624-word block lazily, as here).
//   random_sample()    (a * 2^26 + b) / 2^53 with a = next >> 5, b = next >> 6: 53-bit uniform in [0, 1).
//   interval(max)      numpy's random_interval: uniform on {0..max} by masked rejection: mask = the smallest
//                      2^k - 1 >= max, draw (next_uint32 & mask) (next_uint64 when max >= 2^32) until <= max.
//   randint(lo, hi)    legacy randint for dtype int64 (`_rand_int64`, masked): lo + the masked draw on {0..hi-lo-1};
//                      rng = 0 consumes nothing, rng = 2^32 - 1 takes next_uint32 as is, which the mask also gives.
//   shuffle / permutation(n)
//                      Fisher-Yates from the end: for i = n-1 .. 1, j = interval(i), swap x[i], x[j].
//   choice_without_replacement(n, out)
//                      choice(n, size, replace=False) without p: permutation(n)[:size] (the whole permutation
//                      is drawn, so the stream advances by all n-1 swaps).
//   weighted_choice_without_replacement(p, out)
//                      choice(n, size, replace=False, p=p), numpy's batch-rejection loop: until `size` indices are
//                      found, draw random_sample(size - found), zero the found entries of p, cdf = sequential
//                      cumsum(p), cdf /= cdf[-1], idx = searchsorted(cdf, u, side='right'), then append the
//                      distinct new indices in the order of their first occurrence. In distribution this is
//                      sequential sampling without replacement, each draw from p renormalised over what is left.
//   sample_without_replacement(n, out)
//                      not numpy: the same law as choice_without_replacement from out.size() draws.
//   numpy_sum(x)       np.sum of a float64 vector: pairwise summation (8 accumulators on blocks of <= 128,
//                      halves rounded down to a multiple of 8 above), over chunks of 8192 added left to right.
//   power_law_probs(space, a)
//                      Zoology's gap law, exactly as numpy rounds it: p_i = a * i^(a-1) (pow from libm),
//                      i = 1..space, then p / numpy_sum(p).
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace menagerie::synthetics {

class LegacyRandomState {
 public:
  explicit LegacyRandomState(std::uint32_t seed);

  std::uint32_t next_uint32() {
    if (pos_ == kWords) refill();
    return out_[pos_++];
  }
  std::uint64_t next_uint64() {
    const std::uint64_t hi = next_uint32();
    return (hi << 32) | next_uint32();
  }
  double random_sample() {
    const auto a = next_uint32() >> 5;
    const auto b = next_uint32() >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }
  std::uint64_t interval(std::uint64_t max);
  std::int64_t randint(std::int64_t low, std::int64_t high);  // one value in [low, high); requires low < high

  void shuffle(std::span<std::int64_t> x);
  std::vector<std::int64_t> permutation(std::int64_t n);
  void choice_without_replacement(std::int64_t n, std::span<std::int64_t> out);
  void weighted_choice_without_replacement(std::span<const double> p, std::span<std::int64_t> out);
  // Not a numpy call: a uniform random ordered sample of out.size() distinct values of [0, n) by a partial
  // Fisher-Yates from the front (j = t + interval(n - 1 - t), swap a[t], a[j], for t < size), on a persistent
  // identity array restored after use: O(size) draws instead of numpy's n - 1.
  void sample_without_replacement(std::int64_t n, std::span<std::int64_t> out);

 private:
  static constexpr int kWords = 624;
  void refill();
  void draw_swaps(std::uint32_t n);  // partner_[r] = the partner j of Fisher-Yates step k = n-1-r, r = 0 .. n-2

  std::array<std::uint32_t, kWords> key_{};
  std::array<std::uint32_t, kWords> out_{};
  int pos_ = kWords;
  std::vector<std::uint32_t> partner_;  // swap partners in numpy's order, reused
  std::vector<std::uint32_t> xs_;       // choice_without_replacement's tracked positions, reused
  std::vector<std::int32_t> owner_;     // its slot at each position (-1: none), all -1 between calls
  std::vector<std::uint64_t> bits_;     // its bitmap of tracked positions, all 0 between calls
  std::vector<std::int64_t> ident_;     // sample_without_replacement's array, the identity between calls
  std::vector<std::int64_t> undo_;
  std::vector<double> p_, cdf_, u_;     // weighted choice buffers, reused
  std::vector<std::int64_t> idx_;
};

double numpy_sum(std::span<const double> x);
std::vector<double> power_law_probs(std::int64_t space, double power_a);

}  // namespace menagerie::synthetics
