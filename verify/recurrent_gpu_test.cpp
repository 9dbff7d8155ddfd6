// What is specific to the recurrent family's GPU variants (optimized/wkv, optimized/selective_scan); accuracy on the
// awkward-size grid, causality and bitwise determinism are the generic suite's (verify/kernel_conformance_gpu_test).
// Here, extreme inputs, each against the double reference under the same tolerance rule as O(1) ones (issue 15): the
// cases of harness/extreme_cases.hpp (the same list kernels_bench --error-out tabulates as the error against the decay
// range), at T = 4096 where a float state accumulates:
//   - selective_scan: delta scaled 1e-4..1e2 in decades (decays within 1.5e-4 of 1, where the state sums every token,
//     to decays that underflow), A x 30, x of magnitude 1e3;
//   - wkv: w = exp(time_decay) from e^{-20} to e^{10}, time_first of magnitude 1e2 (both signs), k of magnitude 1e2
//     (exp(k) overflows fp32 without the running maximum), v of magnitude 1e3;
//   - unsupported shapes are ShapeErrors naming the value.
// Each case prints one line: the table of error against the input range in the GPU logs (reports/gpu-*/). WKV's
// dtime_first and dtime_decay lines show their tolerance as base + conditioning term (harness/conditioning.hpp).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "core/errors.hpp"
#include "harness/extreme_cases.hpp"
#include "harness/kernels.hpp"
#include "optimized/common/device.hpp"
#include "optimized/selective_scan/variants.hpp"
#include "optimized/wkv/variants.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

template <class C>
void expect_extremes_pass() {
  using Cases = harness::ExtremeCases<typename C::problem_type>;
  const auto p = Cases::problem();
  const std::uint64_t seed = test::test_seed();
  std::printf("seed %llu (replay: MENAGERIE_SEED=%llu)\n", static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  int checked = 0;
  for (const auto& v : harness::variants_of<C>()) {
    if (!v.supports(p)) continue;
    for (const auto& scale : Cases::cases()) {
      const std::string what = std::string(C::id) + " " + v.name + " " + harness::describe(p) + " " +
                               harness::scale_label(scale);
      for (const auto& m : harness::check_accuracy(v, p, seed, true, scale)) {
        ++checked;
        std::printf("%s | %-12s relerr %.3e yardstick %.3e tolerance %s %s\n", what.c_str(), m.name.c_str(),
                    m.kernel, m.yardstick, harness::tolerance_str(m).c_str(), m.pass() ? "ok" : "FAIL");
        EXPECT_TRUE(m.pass()) << what << ": " << m.name << " relerr " << m.kernel << " > tolerance " << m.tolerance
                              << " (yardstick " << m.yardstick << ")";
      }
    }
  }
  EXPECT_GT(checked, 0) << "no variant supports " << harness::describe(p);
}

TEST(RecurrentGpu, SelectiveScanExtremeDecaysAndMagnitudes) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  expect_extremes_pass<ops::selective_scan::Contract>();
}

TEST(RecurrentGpu, WkvExtremeDecaysAndMagnitudes) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  expect_extremes_pass<ops::wkv::Contract>();
}

TEST(RecurrentGpu, UnsupportedShapesAreShapeErrors) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const ops::selective_scan::Problem wide{.B = 1, .T = 8, .D = 4, .N = 33};
  const std::string why = opt::selective_scan::scan::unsupported(wide);
  EXPECT_NE(why.find("N = 33"), std::string::npos) << why;
  EXPECT_TRUE(opt::selective_scan::scan::unsupported({.B = 1, .T = 8, .D = 4, .N = 32}).empty());
  EXPECT_THROW(opt::selective_scan::scan::forward<float>(wide, {}, nullptr, nullptr, nullptr), ShapeError);
  try {
    opt::find_variant<ops::selective_scan::Problem>(opt::selective_scan::variants(), "selective_scan", "scan_fp32",
                                                    wide);
    ADD_FAILURE() << "scan_fp32 accepted N = 33";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("N = 33"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace menagerie
