// The generic GPU checks (harness/gpu_check.hpp) can fail: each is run on a mutant of a real variant that plants the
// bug it guards against, and must report it, while the honest variant passes on the same problem.
//   causality leak      forward, then o[0] := k[T-1][0] (the first output reads the last token): causality fails
//   vacuous             forward writes o = 0 whatever the input: causality's non-vacuity fails (nothing changed)
//   FFT leak            long_conv fft_cufft (causal to rounding, Variant::mixes_positions), then y[0] := u[T-1]:
//                       the rounding-bounded causality fails; the honest FFT passes it, and fails the bitwise check
//                       (why the flag exists: a later input moves the rounding of earlier outputs)
//   nondeterministic dk backward, then one byte of dk set from a per-call counter: determinism fails naming dk
//                       (softmax attention's flash kernels claim dk and dv reproducible, dq not)
//   5x less accurate    forward, then o *= 1 + 5 e, e the honest variant's own error bound (its yardstick's relerr):
//                       accuracy fails (the rule of harness/tolerance.hpp binds)
//   unwritten element   forward, then the last element of o left as the NaN the harness filled: accuracy fails
// Mutants use chunked_smem (linear attention, fp32) and flash_tiled_bf16 (softmax attention, bf16).
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "harness/gpu_check.hpp"
#include "optimized/common/cublas_handle.hpp"
#include "optimized/common/device.hpp"
#include "optimized/linear_attention/variants.hpp"
#include "optimized/long_conv/variants.hpp"
#include "optimized/softmax_attention/variants.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

namespace la = ops::linear_attention;
namespace sa = ops::softmax_attention;
using LaVariant = opt::Variant<la::Problem>;
using SaVariant = opt::Variant<sa::Problem>;

const LaVariant& chunked() { return opt::find_variant<la::Problem>(opt::linear_attention::variants(), "la", "chunked_smem", {.F = 16, .Dv = 16}); }
const SaVariant& flash_bf16() {
  return opt::find_variant<sa::Problem>(opt::softmax_attention::variants(), "sa", "flash_tiled_bf16", {.D = 64, .Dv = 64});
}

const la::Problem kLa{.B = 2, .T = 97, .H = 2, .F = 16, .Dv = 64};
const sa::Problem kSa{.B = 1, .T = 200, .H = 2, .D = 64, .Dv = 64};

void leak_forward(const la::Problem& p, const opt::DeviceArgs& a, cudaStream_t s) {
  chunked().forward(p, a, s);
  MENAGERIE_CUDA_CHECK(cudaMemcpyAsync(a.as<float>("o"), a.as<float>("k") + (p.T - 1) * p.H * p.F, sizeof(float),
                                       cudaMemcpyDeviceToDevice, s));
}
void zero_forward(const la::Problem& p, const opt::DeviceArgs& a, cudaStream_t s) {
  MENAGERIE_CUDA_CHECK(cudaMemsetAsync(a.get("o"), 0, static_cast<std::size_t>(p.B * p.T * p.H * p.Dv) * 4, s));
}
double g_scale_error = 0;
void inaccurate_forward(const la::Problem& p, const opt::DeviceArgs& a, cudaStream_t s) {
  chunked().forward(p, a, s);
  static cuda::CublasHandle h(nullptr, cuda::MathMode::pedantic);
  MENAGERIE_CUBLAS_CHECK(cublasSetStream(h.get(), s));
  const float alpha = static_cast<float>(1 + g_scale_error);
  MENAGERIE_CUBLAS_CHECK(cublasSscal(h.get(), static_cast<int>(p.B * p.T * p.H * p.Dv), &alpha, a.as<float>("o"), 1));
}
void unwritten_forward(const la::Problem& p, const opt::DeviceArgs& a, cudaStream_t s) {
  chunked().forward(p, a, s);
  MENAGERIE_CUDA_CHECK(cudaMemsetAsync(a.as<float>("o") + p.B * p.T * p.H * p.Dv - 1, 0xFF, sizeof(float), s));
}
namespace lc = ops::long_conv;
using LcVariant = opt::Variant<lc::Problem>;
const lc::Problem kLc{.B = 2, .T = 97, .D = 5, .L = 97};
const LcVariant& fft_cufft() {
  return opt::find_variant<lc::Problem>(opt::long_conv::variants(), "lc", "fft_cufft", kLc);
}
void fft_leak_forward(const lc::Problem& p, const opt::DeviceArgs& a, cudaStream_t s) {
  fft_cufft().forward(p, a, s);
  MENAGERIE_CUDA_CHECK(cudaMemcpyAsync(a.as<float>("y"), a.as<float>("u") + (p.T - 1) * p.D, sizeof(float),
                                       cudaMemcpyDeviceToDevice, s));
}

std::atomic<int> g_calls{0};
void nondeterministic_backward(const sa::Problem& p, const opt::DeviceArgs& a, cudaStream_t s) {
  flash_bf16().backward(p, a, s);
  MENAGERIE_CUDA_CHECK(cudaMemsetAsync(a.get("dk"), ++g_calls & 0xFF, 1, s));
}

LaVariant mutant(const char* name, LaVariant::Launch forward) {
  LaVariant v = chunked();
  v.name = name;
  v.forward = forward;
  return v;
}

bool all_pass(const std::vector<harness::Measure>& ms) {
  bool ok = true;
  for (const auto& m : ms) ok = ok && m.pass();
  return ok;
}

TEST(GpuCheckMutants, CausalityCatchesALeakAndAVacuousPerturbation) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const auto seed = test::test_seed();
  EXPECT_TRUE(harness::check_causality(chunked(), kLa, seed).pass);
  const auto leak = harness::check_causality(mutant("leak", leak_forward), kLa, seed);
  EXPECT_FALSE(leak.pass) << "a forward whose o[0] reads the last token passed causality";
  EXPECT_NE(leak.detail.find("changed when inputs after t0 changed"), std::string::npos) << leak.detail;
  const auto vacuous = harness::check_causality(mutant("zero", zero_forward), kLa, seed);
  EXPECT_FALSE(vacuous.pass) << "a forward that ignores its inputs passed causality";
  EXPECT_NE(vacuous.detail.find("reached nothing"), std::string::npos) << vacuous.detail;
}

TEST(GpuCheckMutants, CausalityToRoundingCatchesALeakInAnFft) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const auto seed = test::test_seed();
  ASSERT_TRUE(fft_cufft().mixes_positions);
  const auto honest = harness::check_causality(fft_cufft(), kLc, seed);
  EXPECT_TRUE(honest.pass) << honest.detail;
  LcVariant bitwise = fft_cufft();
  bitwise.mixes_positions = false;
  EXPECT_FALSE(harness::check_causality(bitwise, kLc, seed).pass)
      << "the FFT's earlier outputs kept their bits when later inputs changed: the rounding bound is not needed";
  LcVariant leak = fft_cufft();
  leak.forward = fft_leak_forward;
  const auto r = harness::check_causality(leak, kLc, seed);
  EXPECT_FALSE(r.pass) << "an FFT forward whose y[0] reads the last token passed causality";
  EXPECT_NE(r.detail.find("moved by"), std::string::npos) << r.detail;
}

TEST(GpuCheckMutants, DeterminismCatchesAVaryingDk) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const auto seed = test::test_seed();
  EXPECT_TRUE(harness::check_determinism(flash_bf16(), kSa, seed).pass);
  SaVariant v = flash_bf16();
  v.backward = nondeterministic_backward;
  const auto r = harness::check_determinism(v, kSa, seed);
  EXPECT_FALSE(r.pass) << "dk varying between runs passed the determinism check";
  EXPECT_NE(r.detail.find("dk differs"), std::string::npos) << r.detail;
}

TEST(GpuCheckMutants, AccuracyCatchesFiveTimesTheErrorAndAnUnwrittenElement) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const auto seed = test::test_seed();
  const auto honest = harness::check_accuracy(chunked(), kLa, seed, true);
  ASSERT_TRUE(all_pass(honest));
  g_scale_error = 5 * std::max(honest[0].yardstick, honest[0].kernel);  // honest[0]: o
  const auto worse = harness::check_accuracy(mutant("inaccurate", inaccurate_forward), kLa, seed, false);
  std::printf("honest o relerr %.3e (yardstick %.3e, tolerance %.3e); 5x mutant relerr %.3e\n", honest[0].kernel,
              honest[0].yardstick, honest[0].tolerance, worse[0].kernel);
  EXPECT_FALSE(worse[0].pass()) << "o made 5x less accurate passed: relerr " << worse[0].kernel << " <= tolerance "
                                << worse[0].tolerance;
  const auto unwritten = harness::check_accuracy(mutant("unwritten", unwritten_forward), kLa, seed, false);
  EXPECT_FALSE(unwritten[0].pass()) << "an output element left unwritten (NaN) passed";
  EXPECT_FALSE(unwritten[0].finite);
}

}  // namespace
}  // namespace menagerie
