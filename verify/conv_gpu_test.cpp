// What is specific to the convolution family's GPU variants (optimized/short_conv, optimized/long_conv); accuracy on
// the awkward-size grid (T = 1, 7, 97, 1000, 1025, 4096, 65536; channel counts off the tiles), causality and
// bitwise determinism are the generic suite's (verify/kernel_conformance_gpu_test.cpp). Here:
//   - unsupported shapes are ShapeErrors naming the value;
//   - filters and inputs of large and tiny magnitude (1e3, 1e-3, and the two mixed) pass the same tolerance rule as
//     O(1) ones: a kernel with a hidden absolute epsilon, a reduced-range intermediate (fp16 overflows past 65504)
//     or a flushed subnormal fails here and not on O(1) data;
//   - fft_tc_bf16's cluster path (T > 8192: clusters of 2, 4, 8 CTAs) on random data at T = 8193 (B 3, D 3: an
//     unpaired last sequence, a filter longer than T), 20000 and 40000 against the double reference, forward and
//     backward, by the same rule, and the generic causality (to rounding, t0 = T / 2) and bitwise determinism checks,
//     which the conformance suite runs only up to T = 1025;
//   - exact answers at the cluster sizes (T = 8193, 20000, 65536; B 3, D 2, L = T + 5): u = h = dy = 1 gives
//     y[t] = t + 1, du[t] = T - t, dh[s] = B (T - s) (s < T; 0 beyond); bound: max error / max value < 1e-2 (bf16
//     rounds a value to its neighbour at up to 2^-8 of it; an index or scale error is O(1), an overflow inf/NaN);
//   - fp16's range: the pair u_0 = M sign(cos(pi t / T)), u_1 = M sign(sin(pi t / T)) with M = 1 - 2^-8 (so the
//     pair's power-of-two scale is 1) has Re X[1] = M sum_t (|cos| + |sin|) ~ (4 / pi) M T: 83000 at T = 65536,
//     above fp16's 65504 unless the inputs keep fft_tc_plan.hpp's headroom. With h a unit impulse and dy = u:
//     y = u, du = dy, and dh[s] = sum_b sum_t dy[b, t] u[b, t - s] by its direct sum at 9 / 22 lags; same bound
//     (verify/fft_cluster_plan_test.cpp shows in double that this input passes 65504 without the headroom);
//   - fft_tc_bf16's channel tiles (T <= 8192, D % 8 == 0: clusters of 8 CTAs on neighbouring channels) give bitwise
//     the one-channel kernels' y, du and dh (D = 16 against D = 9 on the same channels; T = 1, 97, 1000, 4096, 8192).
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <string>

#include "core/errors.hpp"
#include "harness/device_tensor.hpp"
#include "harness/kernels.hpp"
#include "optimized/common/device.hpp"
#include "optimized/long_conv/fft_tc_bf16_tiles.hpp"
#include "optimized/long_conv/variants.hpp"
#include "optimized/short_conv/variants.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

template <class C>
void expect_magnitudes_pass(const typename C::problem_type& p, const char* filter) {
  const std::uint64_t seed = test::test_seed();
  std::printf("seed %llu (replay: MENAGERIE_SEED=%llu)\n", static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  const std::map<std::string, double> cases[] = {
      {{filter, 1e3}}, {{filter, 1e-3}}, {{"u", 1e3}}, {{filter, 1e3}, {"u", 1e-3}}, {{filter, 1e-3}, {"u", 1e-3}}};
  int checked = 0;
  for (const auto& v : harness::variants_of<C>()) {
    if (!v.supports(p)) continue;
    for (const auto& scale : cases) {
      std::string what = std::string(C::id) + " " + v.name;
      for (const auto& [n, f] : scale) what += " " + n + " x" + std::to_string(f);
      for (const auto& m : harness::check_accuracy(v, p, seed, true, scale)) {
        ++checked;
        EXPECT_TRUE(m.pass()) << what << ": " << m.name << " relerr " << m.kernel << " > tolerance " << m.tolerance
                              << " (yardstick " << m.yardstick << ")";
      }
    }
  }
  EXPECT_GT(checked, 0) << "no variant supports " << harness::describe(p);
}

TEST(ConvGpu, ShortConvMagnitudes) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  expect_magnitudes_pass<ops::short_conv::Contract>({.B = 2, .T = 300, .D = 70, .K = 4}, "weight");
}

TEST(ConvGpu, LongConvMagnitudes) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  expect_magnitudes_pass<ops::long_conv::Contract>({.B = 2, .T = 1024, .D = 6, .L = 1024}, "h");
}

// The cluster tests honour MENAGERIE_GPU_MAX_T (run_sanitized.sh sets 200): a T above it is left out, and a test
// with nothing left is skipped. A sanitizer run of the cluster path sets it higher (docs/conv-kernels.md).
bool over_max_t(std::int64_t T) {
  if (T <= harness::gpu_max_t()) return false;
  std::printf("T = %lld left out (MENAGERIE_GPU_MAX_T = %lld)\n", static_cast<long long>(T),
              static_cast<long long>(harness::gpu_max_t()));
  return true;
}

TEST(ConvGpu, LongConvClusterSizesMatchTheReference) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  if (over_max_t(8193)) GTEST_SKIP() << "every T exceeds MENAGERIE_GPU_MAX_T";
  const std::uint64_t seed = test::test_seed();
  const auto& table = opt::long_conv::variants();
  for (const ops::long_conv::Problem& p : {ops::long_conv::Problem{.B = 3, .T = 8193, .D = 3, .L = 8200},
                                           ops::long_conv::Problem{.B = 2, .T = 20000, .D = 2, .L = 20000},
                                           ops::long_conv::Problem{.B = 1, .T = 40000, .D = 1, .L = 40003}}) {
    if (over_max_t(p.T)) continue;
    const auto& v = opt::find_variant<ops::long_conv::Problem>(table, "long_conv", "fft_tc_bf16", p);
    for (const auto& m : harness::check_accuracy(v, p, seed, true)) {
      std::printf("fft_tc_bf16 %s: %s relerr %.3g (tolerance %.3g)\n", harness::describe(p).c_str(), m.name.c_str(),
                  m.kernel, m.tolerance);
      EXPECT_TRUE(m.pass()) << harness::describe(p) << ": " << m.name << " relerr " << m.kernel << " > tolerance "
                            << m.tolerance << "; seed " << seed;
    }
    const auto causal = harness::check_causality(v, p, seed + 1), same = harness::check_determinism(v, p, seed + 2);
    std::printf("fft_tc_bf16 %s: causality %s, determinism %s\n", harness::describe(p).c_str(),
                causal.pass ? "ok" : causal.detail.c_str(), same.pass ? "ok" : same.detail.c_str());
    EXPECT_TRUE(causal.pass) << harness::describe(p) << ": " << causal.detail;
    EXPECT_TRUE(same.pass) << harness::describe(p) << ": " << same.detail;
  }
}

// max |got - want| / max |want| over the flat indices `at` (all when empty); infinite when got has a NaN or inf.
template <class F>
double max_relerr(const Tensor<double>& got, F&& want, const std::vector<std::int64_t>& at = {}) {
  double err = 0, top = 0;
  const std::int64_t n = at.empty() ? got.numel() : static_cast<std::int64_t>(at.size());
  for (std::int64_t k = 0; k < n; ++k) {
    const std::int64_t i = at.empty() ? k : at[static_cast<std::size_t>(k)];
    if (!std::isfinite(got.data()[i])) return INFINITY;
    err = std::max(err, std::abs(got.data()[i] - want(i)));
    top = std::max(top, std::abs(want(i)));
  }
  return err / top;
}

struct LongConvRun {
  Tensor<double> y, du, dh;
};

// fft_tc_bf16 forward and backward on the given u, h, dy (double, rounded to bf16 on upload).
LongConvRun run_tc(const ops::long_conv::Problem& p, const Tensor<double>& u, const Tensor<double>& h,
                   const Tensor<double>& dy) {
  const auto& v = opt::find_variant<ops::long_conv::Problem>(opt::long_conv::variants(), "long_conv", "fft_tc_bf16", p);
  harness::DeviceProblem<ops::long_conv::Problem> dp(v, p);
  dp.at("u").upload(u);
  dp.at("h").upload(h);
  dp.at("dy").upload(dy);
  const auto args = dp.args();
  v.forward(p, args, nullptr);
  v.backward(p, args, nullptr);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  return {dp.download("y"), dp.download("du"), dp.download("dh")};
}

constexpr double kExactBound = 1e-2;  // max error / max value; bf16's output rounding alone gives up to 2^-8 here

TEST(ConvGpu, LongConvOnesGiveExactRamps) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  if (over_max_t(8193)) GTEST_SKIP() << "every T exceeds MENAGERIE_GPU_MAX_T";
  for (std::int64_t T : {8193, 20000, 65536}) {
    if (over_max_t(T)) continue;
    const ops::long_conv::Problem p{.B = 3, .T = T, .D = 2, .L = T + 5};
    const Tensor<double> ones_u({p.B, T, p.D}, 1.0), ones_h({p.D, p.L}, 1.0);
    const LongConvRun r = run_tc(p, ones_u, ones_h, ones_u);
    const std::int64_t L = p.L, D = p.D;
    const double ey = max_relerr(r.y, [&](std::int64_t i) { return static_cast<double>((i / D) % T + 1); });
    const double eu = max_relerr(r.du, [&](std::int64_t i) { return static_cast<double>(T - (i / D) % T); });
    const double eh = max_relerr(r.dh, [&](std::int64_t i) {
      const std::int64_t s = i % L;
      return s < T ? static_cast<double>(p.B * (T - s)) : 0.0;
    });
    std::printf("fft_tc_bf16 T %lld, ones: y %.3g, du %.3g, dh %.3g of the largest value\n", static_cast<long long>(T),
                ey, eu, eh);
    EXPECT_LT(ey, kExactBound) << "T = " << T;
    EXPECT_LT(eu, kExactBound) << "T = " << T;
    EXPECT_LT(eh, kExactBound) << "T = " << T;
  }
}

TEST(ConvGpu, LongConvSquareWavesKeepFp16Range) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const double M = 1.0 - 1.0 / 256;  // the largest bf16 below 1: the pair's scale is then 1
  if (over_max_t(8193)) GTEST_SKIP() << "every T exceeds MENAGERIE_GPU_MAX_T";
  for (std::int64_t T : {8193, 65536}) {
    if (over_max_t(T)) continue;
    const ops::long_conv::Problem p{.B = 2, .T = T, .D = 1, .L = T};
    const double pi = 4 * std::atan(1.0);
    Tensor<double> u({2, T, 1}), h({1, T}, 0.0);
    for (std::int64_t t = 0; t < T; ++t) {
      const double a = pi * static_cast<double>(t) / static_cast<double>(T);
      u.data()[t] = std::cos(a) >= 0 ? M : -M;
      u.data()[T + t] = std::sin(a) >= 0 ? M : -M;
    }
    h.data()[0] = 1.0;
    const LongConvRun r = run_tc(p, u, h, u);
    const auto same = [&](std::int64_t i) { return u.data()[i]; };
    std::vector<std::int64_t> lags = {0, 1, 2, T / 3, T / 2, T - 2, T - 1};
    for (std::int64_t s = 4096; s < T; s += 4096) lags.push_back(s);
    const auto corr = [&](std::int64_t s) {
      double acc = 0;
      for (std::int64_t b = 0; b < 2; ++b)
        for (std::int64_t t = s; t < T; ++t) acc += u.data()[b * T + t] * u.data()[b * T + t - s];
      return acc;
    };
    const double ey = max_relerr(r.y, same), eu = max_relerr(r.du, same), eh = max_relerr(r.dh, corr, lags);
    std::printf("fft_tc_bf16 T %lld, square waves: y %.3g, du %.3g, dh %.3g (at %zu lags) of the largest value\n",
                static_cast<long long>(T), ey, eu, eh, lags.size());
    EXPECT_LT(ey, kExactBound) << "T = " << T;
    EXPECT_LT(eu, kExactBound) << "T = " << T;
    EXPECT_LT(eh, kExactBound) << "T = " << T;
  }
}

// The channel-tiled kernels (fft_tc_bf16_tiled.cu: T <= 8192, D % 8 == 0) against the one-channel kernels (D = 9)
// on the same per-channel data: each channel's y, du and dh must be bitwise equal (the tiles change only who loads
// and stores which bytes, not one rounding). B = 3 gives an unpaired last sequence; D = 16 two tiles; both D give one
// pair per group (so dh sums the same partials). Random normal data, L = T + 3.
TEST(ConvGpu, LongConvChannelTilesMatchOneChannelKernels) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  std::mt19937_64 rng(20261206);
  std::normal_distribution<double> g;
  for (std::int64_t T : {1, 97, 1000, 4096, 8192}) {
    if (over_max_t(T)) continue;
    const std::int64_t B = 3, L = T + 3, Dt = 16, Do = 9;
    const ops::long_conv::Problem pt{.B = B, .T = T, .D = Dt, .L = L}, po{.B = B, .T = T, .D = Do, .L = L};
    ASSERT_TRUE(opt::long_conv::fft_tc_bf16::uses_channel_tiles(pt)) << "T = " << T << ": D 16 takes no tiles";
    ASSERT_FALSE(opt::long_conv::fft_tc_bf16::uses_channel_tiles(po)) << "T = " << T << ": D 9 takes tiles";
    Tensor<double> ut({B, T, Dt}), ht({Dt, L}), dyt({B, T, Dt}), uo({B, T, Do}), ho({Do, L}), dyo({B, T, Do});
    for (std::int64_t i = 0; i < ut.numel(); ++i) ut.data()[i] = g(rng), dyt.data()[i] = g(rng);
    for (std::int64_t i = 0; i < ht.numel(); ++i) ht.data()[i] = g(rng) / std::sqrt(1.0 + static_cast<double>(i % L));
    for (std::int64_t r = 0; r < B * T; ++r)
      for (std::int64_t c = 0; c < Do; ++c) {
        uo.data()[r * Do + c] = ut.data()[r * Dt + c];
        dyo.data()[r * Do + c] = dyt.data()[r * Dt + c];
      }
    for (std::int64_t c = 0; c < Do; ++c)
      for (std::int64_t s = 0; s < L; ++s) ho.data()[c * L + s] = ht.data()[c * L + s];
    const LongConvRun rt = run_tc(pt, ut, ht, dyt), ro = run_tc(po, uo, ho, dyo);
    std::int64_t diff_y = 0, diff_du = 0, diff_dh = 0;
    for (std::int64_t r = 0; r < B * T; ++r)
      for (std::int64_t c = 0; c < Do; ++c) {
        diff_y += rt.y.data()[r * Dt + c] != ro.y.data()[r * Do + c];
        diff_du += rt.du.data()[r * Dt + c] != ro.du.data()[r * Do + c];
      }
    for (std::int64_t c = 0; c < Do; ++c)
      for (std::int64_t s = 0; s < L; ++s) diff_dh += rt.dh.data()[c * L + s] != ro.dh.data()[c * L + s];
    std::printf("fft_tc_bf16 T %lld, D 16 tiles vs D 9 one-channel: %lld y, %lld du, %lld dh values differ\n",
                static_cast<long long>(T), static_cast<long long>(diff_y), static_cast<long long>(diff_du),
                static_cast<long long>(diff_dh));
    EXPECT_EQ(diff_y, 0) << "T = " << T;
    EXPECT_EQ(diff_du, 0) << "T = " << T;
    EXPECT_EQ(diff_dh, 0) << "T = " << T;
  }
}

TEST(ConvGpu, UnsupportedShapesAreShapeErrors) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const ops::short_conv::Problem wide{.B = 1, .T = 8, .D = 4, .K = 9};
  EXPECT_NE(opt::short_conv::unsupported(wide).find("K = 9"), std::string::npos) << opt::short_conv::unsupported(wide);
  EXPECT_TRUE(opt::short_conv::unsupported({.B = 1, .T = 8, .D = 4, .K = 8}).empty());
  EXPECT_THROW(opt::short_conv::forward(wide, DType::f32, {nullptr, nullptr, nullptr, nullptr}, nullptr), ShapeError);
  const ops::long_conv::Problem huge{.B = 1 << 14, .T = 1 << 16, .D = 1, .L = 1 << 16};
  EXPECT_NE(opt::long_conv::fft_cufft::unsupported(huge).find("2^31"), std::string::npos);
  EXPECT_THROW(opt::long_conv::fft_cufft::forward(huge, nullptr, nullptr, nullptr, nullptr, nullptr), ShapeError);
  const ops::long_conv::Problem too_long{.B = 1, .T = 65537, .D = 1, .L = 65537};
  EXPECT_NE(opt::long_conv::fft_tc_bf16::unsupported(too_long).find("T = 65537"), std::string::npos)
      << opt::long_conv::fft_tc_bf16::unsupported(too_long);
  EXPECT_TRUE(opt::long_conv::fft_tc_bf16::unsupported({.B = 1, .T = 65536, .D = 1, .L = 65536}).empty());
  EXPECT_THROW(opt::long_conv::fft_tc_bf16::forward(too_long, nullptr, nullptr, nullptr, nullptr, nullptr), ShapeError);
  try {
    opt::find_variant<ops::short_conv::Problem>(opt::short_conv::variants(), "short_conv", "direct_fp32", wide);
    ADD_FAILURE() << "direct_fp32 accepted K = 9";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("K = 9"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace menagerie
