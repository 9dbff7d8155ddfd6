// What is specific to the recurrent family's GPU variants (optimized/wkv, optimized/selective_scan); accuracy on the
// awkward-size grid, causality and bitwise determinism are the generic suite's (verify/kernel_conformance_gpu_test).
// Here, extreme inputs, each against the double reference under the same tolerance rule as O(1) ones (issue 15):
//   - selective_scan: delta from ~5e-5 (decays near 1: the state sums thousands of tokens) to ~100 (decays near 0),
//     A scaled by 30 (exp(delta A) underflows to 0), x of magnitude 1e3, at T = 4096 where a float state accumulates;
//   - wkv: time_decay scaled so that w = exp(time_decay) spans e^{-20}..e^{10}, time_first of magnitude 1e2 (very
//     positive and very negative; at 1e3 the double oracle, the direct sum, overflows e^{u + k} and is NaN), k of magnitude 1e2 (exp(k) overflows fp32 without the running maximum);
//   - unsupported shapes are ShapeErrors naming the value.
// Each case prints one line: the table of error against the input range in the GPU logs (reports/gpu-*/).
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>

#include "core/errors.hpp"
#include "harness/kernels.hpp"
#include "optimized/common/device.hpp"
#include "optimized/selective_scan/variants.hpp"
#include "optimized/wkv/variants.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

using Scale = std::map<std::string, double>;

template <class C>
void expect_extremes_pass(const typename C::problem_type& p, const std::vector<Scale>& cases) {
  const std::uint64_t seed = test::test_seed();
  std::printf("seed %llu (replay: MENAGERIE_SEED=%llu)\n", static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  int checked = 0;
  for (const auto& v : harness::variants_of<C>()) {
    if (!v.supports(p)) continue;
    for (const auto& scale : cases) {
      std::string what = std::string(C::id) + " " + v.name + " " + harness::describe(p);
      for (const auto& [n, f] : scale) what += " " + n + " x" + std::to_string(f);
      for (const auto& m : harness::check_accuracy(v, p, seed, true, scale)) {
        ++checked;
        std::printf("%s | %-12s relerr %.3e yardstick %.3e tolerance %.3e %s\n", what.c_str(), m.name.c_str(),
                    m.kernel, m.yardstick, m.tolerance, m.pass() ? "ok" : "FAIL");
        EXPECT_TRUE(m.pass()) << what << ": " << m.name << " relerr " << m.kernel << " > tolerance " << m.tolerance
                              << " (yardstick " << m.yardstick << ")";
      }
    }
  }
  EXPECT_GT(checked, 0) << "no variant supports " << harness::describe(p);
}

// delta is drawn in [0.05, 1] and A in [-1.5, -0.1] (core/ops/selective_scan.hpp), so delta A spans -1.5..-0.005.
TEST(RecurrentGpu, SelectiveScanExtremeDecaysAndMagnitudes) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  expect_extremes_pass<ops::selective_scan::Contract>(
      {.B = 2, .T = 4096, .D = 3, .N = 16},
      {{{"delta", 1e-3}}, {{"delta", 1e-3}, {"A", 1e-1}}, {{"delta", 1e2}}, {{"delta", 1e2}, {"A", 30}},
       {{"x", 1e3}}, {{"x", 1e3}, {"B", 1e-3}, {"C", 1e3}}});
}

// time_decay is drawn in [-2, 1] and time_first in [-1, 1] (core/ops/wkv.hpp's tensors).
TEST(RecurrentGpu, WkvExtremeDecaysAndMagnitudes) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  expect_extremes_pass<ops::wkv::Contract>(
      {.B = 2, .T = 4096, .D = 3},
      {{{"time_decay", 10}}, {{"time_first", 1e2}}, {{"k", 1e2}}, {{"k", 1e2}, {"time_first", 1e2}},
       {{"v", 1e3}}});
}

TEST(RecurrentGpu, UnsupportedShapesAreShapeErrors) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const ops::selective_scan::Problem wide{.B = 1, .T = 8, .D = 4, .N = 17};
  const std::string why = opt::selective_scan::scan::unsupported(wide);
  EXPECT_NE(why.find("N = 17"), std::string::npos) << why;
  EXPECT_TRUE(opt::selective_scan::scan::unsupported({.B = 1, .T = 8, .D = 4, .N = 16}).empty());
  EXPECT_THROW(opt::selective_scan::scan::forward<float>(wide, {}, nullptr, nullptr, nullptr), ShapeError);
  try {
    opt::find_variant<ops::selective_scan::Problem>(opt::selective_scan::variants(), "selective_scan", "scan_fp32",
                                                    wide);
    ADD_FAILURE() << "scan_fp32 accepted N = 17";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("N = 17"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace menagerie
