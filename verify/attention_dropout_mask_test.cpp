// The GPU trainer's attention-dropout masks (optimized/softmax_attention/dropout_mask.hpp), on the CPU: the very
// functions the row kernels call must give the reference's masks bit for bit.
//   threshold   dropout_mask(p).threshold = floor(p 2^32) (0.1 -> 429496729, 0.5 -> 2^31), inv_keep = float(1/(1-p)),
//               stream = 1 + layer; p = 0 is off; p outside [0, 1) and layer < 0 are InputErrors
//   reference   keep(index(b, h, t, s)) == train/cpu_fast_paths.hpp Attention::keep(b, h, t, s) for every key of
//               several (p, seed, layer, B, H, T)
//   traversal   for_each_key, run for every thread of a row kernel (256 threads, and 3 to cut blocks oddly), visits
//               each key of [0, T) exactly once, with factor inv_keep / 0 as the reference's mask on the visible band
//               [lo, t] and 0 outside it (1 in the band when off)
//   rate        the kept fraction over 2^16 keys is 1 - p within 5 binomial standard deviations
//   seed_at     a mask pointing to its seed (seed_at) gives, in keep() and for_each_key, the masks of the value
//               pointed to at each use, not of the seed it was made with (a replayed CUDA graph's step)
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/errors.hpp"
#include "optimized/softmax_attention/dropout_mask.hpp"
#include "train/cpu_fast_paths.hpp"
#include "verify/support/env.hpp"

namespace menagerie::test {
namespace {

using opt::softmax_attention::DropoutMask;
using opt::softmax_attention::dropout_mask;
using opt::softmax_attention::for_each_key;

struct Shape {
  std::int64_t B, H, T, window;
};

const Shape kShapes[] = {{2, 3, 7, -1}, {1, 1, 33, 4}, {3, 2, 16, 0}, {1, 2, 61, -1}};

TEST(AttentionDropoutMask, Threshold) {
  const auto m = dropout_mask(0.1, 7, 0);
  EXPECT_TRUE(m.on);
  EXPECT_EQ(m.threshold, 429496729u);  // floor(0.1 * 4294967296) = floor(429496729.6)
  EXPECT_EQ(m.stream, 1u);
  EXPECT_EQ(m.seed, 7u);
  EXPECT_EQ(m.inv_keep, static_cast<float>(1.0 / 0.9));
  EXPECT_EQ(dropout_mask(0.5, 7, 3).threshold, 2147483648u);
  EXPECT_EQ(dropout_mask(0.5, 7, 3).stream, 4u);
  EXPECT_FALSE(dropout_mask(0, 7, 3).on);
  EXPECT_THROW(dropout_mask(1.0, 7, 0), InputError);
  EXPECT_THROW(dropout_mask(-0.1, 7, 0), InputError);
  EXPECT_THROW(dropout_mask(0.1, 7, -1), InputError);
}

TEST(AttentionDropoutMask, EqualsTheReference) {
  const std::uint64_t seed = test_seed();
  for (const double p : {0.1, 0.5, 0.9})
    for (const std::int64_t layer : {0, 1, 5})
      for (const auto& sh : kShapes) {
        const train::kernel_detail::Attention<double> ref(2 * sh.H, sh.H, sh.window);
        const train::Dropout dr{0, p, seed + static_cast<std::uint64_t>(layer), 0};
        const auto m = dropout_mask(p, dr.seed, layer);
        std::int64_t differ = 0;
        for (std::int64_t b = 0; b < sh.B; ++b)
          for (std::int64_t h = 0; h < sh.H; ++h)
            for (std::int64_t t = 0; t < sh.T; ++t)
              for (std::int64_t s = 0; s < sh.T; ++s)
                differ += m.keep(DropoutMask::index(b, h, t, s, sh.H, sh.T)) != ref.keep(dr, layer, b, h, t, s, sh.T);
        EXPECT_EQ(differ, 0) << "p " << p << " layer " << layer << " B H T " << sh.B << " " << sh.H << " " << sh.T;
      }
}

// Every key of every row, through for_each_key run for each thread of `threads`, against the reference's mask.
void check_traversal(double p, std::int64_t layer, const Shape& sh, std::uint64_t threads, std::uint64_t seed) {
  const train::kernel_detail::Attention<double> ref(2 * sh.H, sh.H, sh.window);
  const train::Dropout dr{0, p, seed, 0};
  const auto m = dropout_mask(p, seed, layer);
  const float inv_keep = static_cast<float>(p > 0 ? 1.0 / (1.0 - p) : 1.0);
  std::int64_t wrong = 0;
  for (std::int64_t b = 0; b < sh.B; ++b)
    for (std::int64_t h = 0; h < sh.H; ++h)
      for (std::int64_t t = 0; t < sh.T; ++t) {
        const std::int64_t lo = ref.first(t);
        std::vector<int> visits(static_cast<std::size_t>(sh.T), 0);
        for (std::uint64_t th = 0; th < threads; ++th)
          for_each_key(m, DropoutMask::index(b, h, t, 0, sh.H, sh.T), sh.T, lo, t, th, threads,
                       [&](std::int64_t s, float factor) {
                         ++visits[static_cast<std::size_t>(s)];
                         const bool visible = s >= lo && s <= t;
                         const float want = !visible ? 0.f : ref.keep(dr, layer, b, h, t, s, sh.T) ? inv_keep : 0.f;
                         wrong += factor != want;
                       });
        for (const int v : visits) wrong += v != 1;
      }
  EXPECT_EQ(wrong, 0) << "p " << p << " layer " << layer << " threads " << threads << " B H T w " << sh.B << " "
                      << sh.H << " " << sh.T << " " << sh.window;
}

TEST(AttentionDropoutMask, RowTraversalVisitsEveryKeyOnceWithTheReferenceFactor) {
  const std::uint64_t seed = test_seed();
  for (const double p : {0.0, 0.1, 0.5})
    for (const auto& sh : kShapes)
      for (const std::uint64_t threads : {256u, 3u}) check_traversal(p, 2, sh, threads, seed);
}

TEST(AttentionDropoutMask, KeepRateIsOneMinusP) {
  const std::uint64_t seed = test_seed();
  constexpr std::int64_t n = 1 << 16;
  for (const double p : {0.1, 0.5}) {
    const auto m = dropout_mask(p, seed, 0);
    std::int64_t kept = 0;
    for (std::int64_t i = 0; i < n; ++i) kept += m.keep(static_cast<std::uint64_t>(i));
    const double sd = std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(static_cast<double>(kept) / n, 1 - p, 5 * sd) << "p " << p;
  }
}

// A mask with seed_at (the trainer's CUDA graph: the seed in device memory, written before each replay) reads the
// seed where it points at every use, not the seed it was made with: the same masks as a mask of that seed, step
// after step, in keep() and in for_each_key.
TEST(AttentionDropoutMask, ASeedAtIsReadAtEveryUse) {
  const std::uint64_t seed = test_seed();
  constexpr std::int64_t T = 64;
  std::uint64_t at = 0;  // stands in for the device scalar
  auto m = dropout_mask(0.1, seed + 1, 2);  // made with a stale seed, as the captured step's mask
  m.seed_at = &at;
  auto row = [&](const DropoutMask& mask) {
    std::vector<float> f(T, -1.f);
    for_each_key(mask, 5 * T, T, 0, T - 1, 0, 1, [&](std::int64_t s, float x) { f[static_cast<std::size_t>(s)] = x; });
    return f;
  };
  for (const std::uint64_t step : {0u, 1u, 2u}) {
    at = seed + 7919 * step;
    const auto want = dropout_mask(0.1, at, 2);
    std::int64_t differ = 0;
    for (std::uint64_t i = 0; i < 4096; ++i) differ += m.keep(i) != want.keep(i);
    EXPECT_EQ(differ, 0) << "step " << step;
    EXPECT_EQ(row(m), row(want)) << "step " << step;
  }
  m.seed_at = nullptr;  // the stale seed's mask differs, so the checks above tell the two apart
  EXPECT_NE(row(m), row(dropout_mask(0.1, at, 2)));
}

}  // namespace
}  // namespace menagerie::test
