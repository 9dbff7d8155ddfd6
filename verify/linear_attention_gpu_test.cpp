// What is specific to linear attention's GPU variants (optimized/linear_attention); accuracy on the awkward-size
// grid (chunk boundaries 31, 32, 33, T = 1, 1000, 1025; quadratic's F = 24 around its tile of 64 and its other
// feature dims), causality and determinism of chunked_smem, quadratic and recurrent_step (run token by token over
// the sequence) are the generic suite's (verify/kernel_conformance_gpu_test.cpp). Here: unsupported shapes are
// ShapeErrors naming the value, and Based's composed_fp32 takes the feature dims chunked_smem does not (through
// quadratic).
#include <gtest/gtest.h>

#include <string>

#include "core/errors.hpp"
#include "optimized/based/variants.hpp"
#include "optimized/common/device.hpp"
#include "optimized/linear_attention/variants.hpp"

namespace menagerie {
namespace {

namespace la = ops::linear_attention;
namespace ola = opt::linear_attention;

la::Problem problem(std::int64_t F, std::int64_t Dv) { return {.B = 1, .T = 8, .H = 1, .F = F, .Dv = Dv}; }

// Host logic only (the launchers refuse before any CUDA call): it runs without a GPU too.
TEST(LinearAttentionGpu, UnsupportedShapesAreShapeErrors) {
  EXPECT_NE(ola::chunked_smem::unsupported(problem(12, 8)).find("F = 12"), std::string::npos);
  EXPECT_NE(ola::chunked_smem::unsupported(problem(16, 65)).find("Dv = 65"), std::string::npos);
  EXPECT_TRUE(ola::chunked_smem::unsupported(problem(16, 64)).empty());
  EXPECT_THROW(ola::chunked_smem::forward(problem(12, 8), {nullptr, nullptr, nullptr, nullptr, nullptr}, nullptr),
               ShapeError);
  EXPECT_NE(ola::quadratic::unsupported(problem(65, 8)).find("F = 65"), std::string::npos);
  EXPECT_NE(ola::quadratic::unsupported(problem(24, 128)).find("Dv = 128"), std::string::npos);
  for (const std::int64_t F : {1, 5, 12, 24, 32, 64}) EXPECT_TRUE(ola::quadratic::unsupported(problem(F, 127)).empty());
  la::Problem long_t = problem(24, 64);
  long_t.T = std::int64_t{1} << 31;
  EXPECT_NE(ola::quadratic::unsupported(long_t).find("T = 2147483648"), std::string::npos);
  EXPECT_THROW(ola::quadratic::forward(problem(65, 8), {nullptr, nullptr, nullptr, nullptr, nullptr}, nullptr),
               ShapeError);
  EXPECT_THROW(ola::quadratic::backward(problem(24, 128), {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                                           nullptr, nullptr, nullptr},
                                        nullptr),
               ShapeError);
  EXPECT_NE(ola::recurrent_step::unsupported(problem(16, 300)).find("Dv = 300"), std::string::npos);
  try {
    opt::find_variant<la::Problem>(ola::variants(), "linear_attention", "chunked_smem", problem(12, 8));
    ADD_FAILURE() << "chunked_smem accepted F = 12";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("F = 12"), std::string::npos) << e.what();
  }
}

// Based Fig. 2's feature dim 24 (and any other up to 64) runs through composed_fp32 by quadratic; beyond, the
// message is quadratic's. (Host logic only: it runs without a GPU too.)
TEST(LinearAttentionGpu, BasedComposedTakesFeatureDimsBeyondChunkedSmem) {
  namespace ob = opt::based;
  for (const std::int64_t f : {5, 8, 16, 24, 32, 64})
    EXPECT_TRUE(ob::composed_fp32::unsupported({.B = 2, .T = 256, .d = 128, .f = f, .heads = 1}).empty()) << f;
  const std::string why = ob::composed_fp32::unsupported({.B = 2, .T = 256, .d = 128, .f = 65, .heads = 1});
  EXPECT_NE(why.find("quadratic"), std::string::npos) << why;
  EXPECT_NE(why.find("F = 65"), std::string::npos) << why;
}

}  // namespace
}  // namespace menagerie
