// optimized/adamw/adamw_fp32.hpp: the fused AdamW step on the device follows train/adamw.cpp's CPU AdamW step by step.
// Oracle: the CPU code in double (parameters and gradients the same fp32 values, widened). Yardstick: the same CPU
// code in float (parameters rounded to float after every step, moments in double). Over 20 steps of random non-zero
// gradients (normal, scaled per element by 10^u, u uniform in [-2, 1]), for two hyper-parameter sets (with and
// without weight decay), after every step each of p, m and v must satisfy DESIGN §4's rule for outputs,
//   relerr(gpu, oracle) <= 2 relerr(yardstick, oracle) + 2^-22    (harness/tolerance.hpp)
// with relerr = ||x - oracle|| / ||oracle||. The yardstick's moments are the oracle's (double in both), so m and v
// are held to the floor alone: one fp32 rounding of each stored moment. The seed is printed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <span>
#include <vector>

#include "core/errors.hpp"
#include "core/random.hpp"
#include "harness/tolerance.hpp"
#include "optimized/adamw/adamw_fp32.hpp"
#include "optimized/common/device.hpp"
#include "optimized/common/device_buffer.hpp"
#include "optimized/common/stream.hpp"
#include "train/adamw.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

using cuda::DeviceBuffer;

template <class A, class B>
double relerr(const std::vector<A>& x, const std::vector<B>& ref) {
  long double num = 0, den = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const long double d = static_cast<long double>(x[i]) - static_cast<long double>(ref[i]);
    num += d * d;
    den += static_cast<long double>(ref[i]) * static_cast<long double>(ref[i]);
  }
  return static_cast<double>(std::sqrt(num / den));
}

std::vector<float> gradients(std::int64_t n, std::uint64_t seed, std::uint64_t stream) {
  Tensor<float> z({n}), u({n});
  fill_normal(z.view(), seed, 2 * stream, 0.f, 1.f);
  fill_uniform(u.view(), seed, 2 * stream + 1, -2.f, 1.f);
  std::vector<float> g(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    g[static_cast<std::size_t>(i)] = z.data()[i] * std::pow(10.f, u.data()[i]);
  return g;
}

void follow(const train::AdamWConfig& h, std::uint64_t seed) {
  const std::int64_t n = 4099, steps = 20;
  const double lr = h.lr;
  cuda::Stream s;
  Tensor<float> p0({n});
  fill_normal(p0.view(), seed, 1000, 0.f, 1.f);
  std::vector<float> p_yard(p0.data(), p0.data() + n);
  std::vector<double> p_oracle(p_yard.begin(), p_yard.end());
  train::AdamWState st_oracle, st_yard;
  DeviceBuffer<float> dp(p_yard), dm(std::vector<float>(static_cast<std::size_t>(n), 0.f)),
      dv(std::vector<float>(static_cast<std::size_t>(n), 0.f)), dg(static_cast<std::size_t>(n));
  const opt::adamw::Hyper gh{h.lr, h.beta1, h.beta2, h.eps, h.weight_decay};
  double worst = 0;
  for (std::int64_t t = 1; t <= steps; ++t) {
    const auto g = gradients(n, seed, static_cast<std::uint64_t>(t));
    const std::vector<double> g_double(g.begin(), g.end());
    train::adamw_update<double>(h, lr, t, std::span<double>(p_oracle), std::span<const double>(g_double), st_oracle);
    train::adamw_update<float>(h, lr, t, std::span<float>(p_yard), std::span<const float>(g), st_yard);
    dg.upload(g, s.get());
    opt::adamw::step_fp32(n, gh, t, dp.data(), dg.data(), dm.data(), dv.data(), s.get());
    const auto p = dp.download(s.get()), m = dm.download(s.get()), v = dv.download(s.get());
    const struct {
      const char* name;
      double gpu, yard;
    } rows[] = {{"p", relerr(p, p_oracle), relerr(p_yard, p_oracle)},
                {"m", relerr(m, st_oracle.m), relerr(st_yard.m, st_oracle.m)},
                {"v", relerr(v, st_oracle.v), relerr(st_yard.v, st_oracle.v)}};
    for (const auto& r : rows) {
      const double tol = harness::tolerance(false, r.yard);
      worst = std::max(worst, r.gpu / tol);
      EXPECT_LE(r.gpu, tol) << r.name << " after step " << t << ": relerr " << r.gpu << ", yardstick " << r.yard
                            << " (lr " << h.lr << ", wd " << h.weight_decay << "); replay with " << test::replay_line();
    }
  }
  std::printf("adamw step_fp32 lr %g betas (%g, %g) eps %g wd %g: %lld steps of %lld elements, worst error / tolerance "
              "%.3f\n",
              h.lr, h.beta1, h.beta2, h.eps, h.weight_decay, static_cast<long long>(steps), static_cast<long long>(n),
              worst);
}

TEST(AdamWGpu, FollowsTheCpuAdamWStepByStep) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const std::uint64_t seed = test::test_seed();
  std::printf("adamw_gpu_test: seed %llu\n", static_cast<unsigned long long>(seed));
  follow({.lr = 1e-2, .weight_decay = 0.1, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8}, seed);
  follow({.lr = 3e-4, .weight_decay = 0.0, .beta1 = 0.8, .beta2 = 0.95, .eps = 1e-6}, seed + 1);
}

TEST(AdamWGpu, StepZeroIsRejected) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  DeviceBuffer<float> b(std::vector<float>(4, 1.f));
  EXPECT_THROW(opt::adamw::step_fp32(4, {}, 0, b.data(), b.data(), b.data(), b.data(), nullptr), InputError);
}

}  // namespace
}  // namespace menagerie
