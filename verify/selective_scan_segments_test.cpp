// The selective scan kernel's segmented fp32 arithmetic (optimized/selective_scan/segment.hpp), run on the CPU in the
// kernel's order and checked against the double reference under the tolerance rule of the GPU tests
// (harness/tolerance.hpp: relerr <= 2 x the float reference's relerr + 2^-22). Per (b, d, n) the kernel's forward:
//   for each 8-token segment: a_t, e_t = decay(delta_t A), u_t = (delta_t x_t) B_t; fold from zero
//     hl = fma(a_t, hl, u_t), (P, Q) by segment_decay;  then H_out = compose(P, Q, H_in, hl)
//   and rescans the segment from H_in: h = fma(a_t, h, u_t), y_t = fma(C_t, h, y_t).
// (The kernel composes a chunk's 8 segments in warp order, then carries to the next chunk: the same sequence of
// compositions.) Cases, at T = 4096 with the skip D = 0 so that y is the state's alone:
//   - delta x 1e-3, A x 0.1: decays within 1.5e-4 of 1, the state sums all 4096 tokens. Composing with the fp32
//     product P (fma(P, H, hl)) gave y 3.9x the float reference's error here (host emulation), the H100 failure of
//     verify/recurrent_gpu_test; Q = P - 1 gives 0.24x;
//   - delta x 1: the contract's range;
//   - delta x 1e2, A x 30: decays that underflow to 0 (the P < 1/2 branch).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>

#include "harness/tolerance.hpp"
#include "optimized/selective_scan/segment.hpp"
#include "reference/selective_scan.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

namespace ss = ops::selective_scan;
namespace seg = opt::selective_scan;

constexpr std::int64_t kSegment = 8;  // tokens per warp segment in scan.cu

// y by the kernel's segmented forward, in fp32, on fp32 inputs.
Tensor<float> segmented_forward(const ss::Problem& p, const Named<float>& in) {
  const auto &x = in.at("x"), &delta = in.at("delta"), &A = in.at("A"), &Bm = in.at("B"), &Cm = in.at("C"),
             &Dk = in.at("D");
  Tensor<float> y({p.B, p.T, p.D});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t d = 0; d < p.D; ++d) {
      for (std::int64_t t = 0; t < p.T; ++t) y(b, t, d) = Dk(d) * x(b, t, d);
      for (std::int64_t n = 0; n < p.N; ++n) {
        float H = 0.f;
        for (std::int64_t t0 = 0; t0 < p.T; t0 += kSegment) {
          const std::int64_t t1 = std::min(p.T, t0 + kSegment);
          float P = 1.f, Q = 0.f, hl = 0.f;
          for (std::int64_t t = t0; t < t1; ++t) {
            const seg::Decay dk = seg::decay(delta(b, t, d) * A(d, n));
            hl = fmaf(dk.a, hl, (delta(b, t, d) * x(b, t, d)) * Bm(b, t, n));
            seg::segment_decay(dk, P, Q);
          }
          float h = H;
          H = seg::compose(P, Q, H, hl);
          for (std::int64_t t = t0; t < t1; ++t) {
            const seg::Decay dk = seg::decay(delta(b, t, d) * A(d, n));
            h = fmaf(dk.a, h, (delta(b, t, d) * x(b, t, d)) * Bm(b, t, n));
            y(b, t, d) = fmaf(Cm(b, t, n), h, y(b, t, d));
          }
        }
      }
    }
  return y;
}

void expect_segmented_within_rule(const std::map<std::string, double>& scale) {
  const ss::Problem p{.B = 1, .T = 4096, .D = 4, .N = 16};
  auto drawn = random_inputs(ss::tensors(p), test_seed());
  for (const auto& [name, f] : scale)
    for (std::int64_t i = 0; i < drawn.at(name).numel(); ++i) drawn.at(name).data()[i] *= f;
  for (std::int64_t i = 0; i < drawn.at("D").numel(); ++i) drawn.at("D").data()[i] = 0;
  const auto in_f = convert<float>(drawn);
  const auto in_d = convert<double>(in_f);  // the oracle on the rounded inputs the fp32 paths see
  const auto specs = ss::tensors(p);
  auto oracle = allocate<double>(specs, Role::output, NAN);
  auto yard = allocate<float>(specs, Role::output, NAN);
  ss::reference_forward_recurrent<double>(p, in_d, oracle);
  ss::reference_forward_recurrent<float>(p, in_f, yard);
  const auto orc = convert<Mp>(oracle.at("y"));
  const double kernel = relerr(segmented_forward(p, in_f), orc), yardstick = relerr(yard.at("y"), orc);
  const double tol = harness::tolerance(false, yardstick);
  std::string what;
  for (const auto& [name, f] : scale) what += " " + name + " x" + std::to_string(f);
  std::printf("%s: segmented relerr %.3e, float reference %.3e, tolerance %.3e\n", what.c_str(), kernel, yardstick,
              tol);
  EXPECT_LE(kernel, tol) << what << ": the segmented fp32 scan's relerr " << kernel << " exceeds " << tol
                         << " (float reference " << yardstick << ")";
}

TEST(SelectiveScanSegments, DecaysNearOneWithinTheRule) { expect_segmented_within_rule({{"delta", 1e-3}, {"A", 0.1}}); }

TEST(SelectiveScanSegments, ContractRangeWithinTheRule) { expect_segmented_within_rule({}); }

TEST(SelectiveScanSegments, UnderflowingDecaysWithinTheRule) {
  expect_segmented_within_rule({{"delta", 1e2}, {"A", 30}});
}

// compose against its definition P H + hl, in double, on both branches and at P = 1 exactly (no decay).
TEST(SelectiveScanSegments, ComposeIsTheAffineMap) {
  const float H = 0.75f, hl = -0.125f;
  for (const float x : {0.f, -1e-6f, -1e-3f, -0.3f, -0.69f, -0.7f, -3.f, -120.f}) {
    float P = 1.f, Q = 0.f;
    for (int i = 0; i < 8; ++i) seg::segment_decay(seg::decay(x), P, Q);
    const double exact = std::exp(8.0 * x) * H + hl;
    EXPECT_NEAR(seg::compose(P, Q, H, hl), exact, 4e-7 * (std::abs(exact) + std::abs(H))) << "x = " << x;
    EXPECT_NEAR(1.0 + Q, std::exp(8.0 * x), 4e-7) << "x = " << x;
  }
}

}  // namespace
}  // namespace menagerie::test
