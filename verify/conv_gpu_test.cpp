// What is specific to the convolution family's GPU variants (optimized/short_conv, optimized/long_conv); accuracy on
// the awkward-size grid (T = 1, 7, 97, 1000, 1025, 4096, 65536; channel counts off the tiles), causality and
// bitwise determinism are the generic suite's (verify/kernel_conformance_gpu_test.cpp). Here:
//   - unsupported shapes are ShapeErrors naming the value;
//   - filters and inputs of large and tiny magnitude (1e3, 1e-3, and the two mixed) pass the same tolerance rule as
//     O(1) ones: a kernel with a hidden absolute epsilon, a reduced-range intermediate (fp16 overflows past 65504)
//     or a flushed subnormal fails here and not on O(1) data.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>

#include "core/errors.hpp"
#include "harness/kernels.hpp"
#include "optimized/common/device.hpp"
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

TEST(ConvGpu, UnsupportedShapesAreShapeErrors) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const ops::short_conv::Problem wide{.B = 1, .T = 8, .D = 4, .K = 9};
  EXPECT_NE(opt::short_conv::unsupported(wide).find("K = 9"), std::string::npos) << opt::short_conv::unsupported(wide);
  EXPECT_TRUE(opt::short_conv::unsupported({.B = 1, .T = 8, .D = 4, .K = 8}).empty());
  EXPECT_THROW(opt::short_conv::forward(wide, DType::f32, {nullptr, nullptr, nullptr, nullptr}, nullptr), ShapeError);
  const ops::long_conv::Problem huge{.B = 1 << 14, .T = 1 << 16, .D = 1, .L = 1 << 16};
  EXPECT_NE(opt::long_conv::fft_cufft::unsupported(huge).find("2^31"), std::string::npos);
  EXPECT_THROW(opt::long_conv::fft_cufft::forward(huge, nullptr, nullptr, nullptr, nullptr, nullptr), ShapeError);
  try {
    opt::find_variant<ops::short_conv::Problem>(opt::short_conv::variants(), "short_conv", "direct_fp32", wide);
    ADD_FAILURE() << "direct_fp32 accepted K = 9";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("K = 9"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace menagerie
