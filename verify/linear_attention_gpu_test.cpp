// What is specific to linear attention's GPU variants (optimized/linear_attention); accuracy on the awkward-size
// grid (chunk boundaries 31, 32, 33, T = 1, 1000, 1025), causality and determinism of chunked_smem and of
// recurrent_step (run token by token over the sequence) are the generic suite's
// (verify/kernel_conformance_gpu_test.cpp). Here: unsupported shapes are ShapeErrors naming the value.
#include <gtest/gtest.h>

#include <string>

#include "core/errors.hpp"
#include "optimized/common/device.hpp"
#include "optimized/linear_attention/variants.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

namespace la = ops::linear_attention;
namespace ola = opt::linear_attention;

la::Problem problem(std::int64_t F, std::int64_t Dv) { return {.B = 1, .T = 8, .H = 1, .F = F, .Dv = Dv}; }

TEST(LinearAttentionGpu, UnsupportedShapesAreShapeErrors) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  EXPECT_NE(ola::chunked_smem::unsupported(problem(12, 8)).find("F = 12"), std::string::npos);
  EXPECT_NE(ola::chunked_smem::unsupported(problem(16, 65)).find("Dv = 65"), std::string::npos);
  EXPECT_TRUE(ola::chunked_smem::unsupported(problem(16, 64)).empty());
  EXPECT_THROW(ola::chunked_smem::forward(problem(12, 8), {nullptr, nullptr, nullptr, nullptr, nullptr}, nullptr),
               ShapeError);
  EXPECT_NE(ola::recurrent_step::unsupported(problem(16, 300)).find("Dv = 300"), std::string::npos);
  try {
    opt::find_variant<la::Problem>(ola::variants(), "linear_attention", "chunked_smem", problem(12, 8));
    ADD_FAILURE() << "chunked_smem accepted F = 12";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("F = 12"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace menagerie
