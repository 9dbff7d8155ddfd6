// GPU softmax attention (optimized/softmax_attention) against the CPU reference, by the tolerance rule of
// verify/support/tolerances.hpp: every variant, forward and backward, at awkward sizes (T = 1, 7, 97, 1000, 1025,
// 4096; head dims 64, 128 and, where supported, 59 and 100), with and without a sliding window; causality (inputs
// after t0 changed, outputs up to t0 bitwise unchanged); bitwise run-to-run determinism of the forward (and of dK,
// dV); extreme scores (~1e4) without NaN or Inf; unsupported shapes rejected with a ShapeError naming the value.
// Outputs are NaN-filled before every launch (verify/support/attention_gpu.hpp), so an unwritten element fails.
// MENAGERIE_ATTENTION_MAX_T (default: no limit) drops longer problems from the grids; the compute-sanitizer runs
// of bench/run_gpu.sh set it to 200 (still several key tiles, partial tiles and windows), since racecheck
// instruments every shared-memory access of the FFMA kernels.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "optimized/common/device.hpp"
#include "verify/support/attention_gpu.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

using namespace test::attention;
using osa::Precision;

void expect_pass(const std::vector<Measure>& ms, const std::string& what) {
  for (const auto& m : ms) {
    std::printf("  %-60s %-3s relerr %.3e  yardstick %.3e  tolerance %.3e  %s\n", what.c_str(), m.name.c_str(),
                m.kernel, m.yardstick, m.tolerance, m.pass() ? "ok" : "FAIL");
    std::fflush(stdout);
    EXPECT_TRUE(m.pass()) << what << " " << m.name << ": relerr " << m.kernel << " > tolerance " << m.tolerance
                          << " (yardstick " << m.yardstick << ", all finite: " << m.finite << "); replay with "
                          << test::replay_line();
  }
}

std::int64_t max_t() {
  const char* v = std::getenv("MENAGERIE_ATTENTION_MAX_T");
  return v && *v ? std::atoll(v) : std::int64_t{1} << 40;
}

std::vector<sa::Problem> capped(std::vector<sa::Problem> g) {
  std::erase_if(g, [](const sa::Problem& p) { return p.T > max_t(); });
  return g;
}

sa::Problem problem(std::int64_t B, std::int64_t T, std::int64_t H, std::int64_t D, std::int64_t Dv,
                    std::int64_t window = -1) {
  sa::Problem p;
  p.B = B, p.T = T, p.H = H, p.D = D, p.Dv = Dv, p.window = window;
  return p;
}

// The flash grid: awkward lengths, both head dims, windows that cut tiles.
std::vector<sa::Problem> flash_grid(bool with_odd_dims, bool backward) {
  std::vector<sa::Problem> g;
  for (std::int64_t D : {64, 128}) {
    g.push_back(problem(2, 1, 2, D, D));
    g.push_back(problem(2, 7, 3, D, D));
    g.push_back(problem(2, 97, 2, D, D));
    g.push_back(problem(1, 97, 2, D, D, 0));
    g.push_back(problem(1, 1000, 2, D, D));
    g.push_back(problem(1, 1025, 1, D, D, 100));
    g.push_back(problem(1, 1025, 2, D, D));
  }
  g.push_back(problem(1, 4096, 1, 64, 64));
  if (!backward) g.push_back(problem(1, 4096, 1, 128, 128, 777));
  if (test::tier() == test::Tier::full) {
    g.push_back(problem(2, 4096, 2, 128, 128));
    g.push_back(problem(1, 2049, 3, 64, 64, 1000));
  }
  if (with_odd_dims) {
    g.push_back(problem(2, 97, 2, 59, 59));
    g.push_back(problem(1, 1000, 1, 100, 100, 200));
    g.push_back(problem(2, 113, 1, 100, 59));
  }
  return capped(g);
}

void run_grid(const char* name, const std::vector<sa::Problem>& grid, bool backward) {
  std::uint64_t seed = test::test_seed();
  for (const auto& p : grid) {
    const auto& var = osa::variant(name, p);
    expect_pass(check(var, p, seed++, backward), cat(name, backward ? " fwd+bwd " : " fwd ", describe(p)));
  }
}

TEST(SoftmaxAttentionGpu, FlashBf16Forward) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  run_grid("flash_tiled_bf16", flash_grid(false, false), false);
}

TEST(SoftmaxAttentionGpu, FlashBf16Backward) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  run_grid("flash_tiled_bf16", flash_grid(false, true), true);
}

// The wgmma forward on the same grids (its backward is flash_tiled_bf16's, fed by this forward's saved state).
TEST(SoftmaxAttentionGpu, FlashWgmmaBf16ForwardBackward) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  if (!osa::variants()[0].supports(problem(1, 64, 1, 64, 64))) GTEST_SKIP() << "the device is not sm_90a";
  run_grid("flash_wgmma_bf16", flash_grid(false, false), false);
  run_grid("flash_wgmma_bf16", flash_grid(false, true), true);
}

TEST(SoftmaxAttentionGpu, FlashFp32Forward) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  run_grid("flash_tiled_fp32", flash_grid(true, false), false);
}

TEST(SoftmaxAttentionGpu, FlashFp32Backward) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  run_grid("flash_tiled_fp32", flash_grid(true, true), true);
}

std::vector<sa::Problem> zoology_grid() {
  std::vector<sa::Problem> g = {problem(2, 1, 1, 64, 64),     problem(2, 97, 1, 256, 256),
                                problem(1, 1000, 1, 512, 512), problem(2, 300, 1, 100, 59, 64),
                                problem(1, 1024, 2, 128, 128)};
  return capped(g);
}

TEST(SoftmaxAttentionGpu, GemmCublasFp32ForwardBackward) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  run_grid("gemm_cublas_fp32", zoology_grid(), true);
}

TEST(SoftmaxAttentionGpu, GemmCublasBf16ForwardBackward) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  run_grid("gemm_cublas_bf16", zoology_grid(), true);
}

// Scores of magnitude ~1e4 (q and k scaled by 175 at D = 64), where rows are nearly one-hot and dq, dk are small
// differences of large terms (often below the terms' rounding): finite, o and dv within the rule, dq and dk within
// it measured against their terms' magnitudes; the ordinary floors throughout.
TEST(SoftmaxAttentionGpu, ExtremeScoresStayFinite) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  std::uint64_t seed = test::test_seed();
  for (const auto& v : osa::variants())
    for (std::int64_t T : {97, 200, 300}) {
      if (T > max_t()) continue;
      const auto p = problem(1, T, 2, 64, 64);
      const auto ms = check(v, p, seed++, true, 175.0, GradientScale::term_magnitudes);
      expect_pass(ms, cat(v.name, " extreme scores ", describe(p)));
    }
}

std::vector<unsigned char> forward_bytes(const osa::Variant& var, const sa::Problem& p, const Named<double>& in,
                                         std::vector<unsigned char>* lse_bytes = nullptr) {
  DeviceProblem dp(var, p);
  dp.q.upload(in.at("q"));
  dp.k.upload(in.at("k"));
  dp.v.upload(in.at("v"));
  dp.o.fill_nan();
  dp.lse.fill_nan();
  var.forward(p, dp.forward_args(), nullptr);
  MENAGERIE_CUDA_CHECK(cudaDeviceSynchronize());
  if (lse_bytes) {
    const auto l = dp.lse.download();
    lse_bytes->resize(l.size() * 4);
    std::memcpy(lse_bytes->data(), l.data(), lse_bytes->size());
  }
  return dp.o.bytes();
}

TEST(SoftmaxAttentionGpu, Causality) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  std::uint64_t seed = test::test_seed();
  for (const auto& var : osa::variants()) {
    for (std::int64_t window : {-1, 50}) {
      const auto p = problem(2, std::min<std::int64_t>(301, max_t()), 2, 64, 64, window);
      const auto in = inputs(p, seed, var.precision);
      const auto noise = inputs(p, seed + 1, var.precision);
      const std::int64_t t0 = p.T / 2;
      auto changed = in;
      for (const char* n : {"q", "k", "v"}) {
        auto& x = changed.at(n);
        const std::int64_t per_t = x.numel() / (p.B * p.T);
        for (std::int64_t b = 0; b < p.B; ++b)
          for (std::int64_t i = (b * p.T + t0 + 1) * per_t; i < (b + 1) * p.T * per_t; ++i)
            x.data()[i] = noise.at(n).data()[i];
      }
      const auto a = forward_bytes(var, p, in), b2 = forward_bytes(var, p, changed);
      const std::size_t elem = var.precision == Precision::bf16 ? 2 : 4;
      const std::size_t row = static_cast<std::size_t>(p.H * p.Dv) * elem;
      for (std::int64_t b = 0; b < p.B; ++b) {
        const std::size_t off = static_cast<std::size_t>(b * p.T) * row;
        EXPECT_EQ(0, std::memcmp(a.data() + off, b2.data() + off, static_cast<std::size_t>(t0 + 1) * row))
            << var.name << " window " << window << ": outputs up to t0 = " << t0
            << " changed when later inputs changed; " << test::replay_line();
        EXPECT_NE(0, std::memcmp(a.data() + off + static_cast<std::size_t>(t0 + 1) * row,
                                 b2.data() + off + static_cast<std::size_t>(t0 + 1) * row,
                                 static_cast<std::size_t>(p.T - t0 - 1) * row))
            << var.name << ": outputs after t0 did not change (the check would be vacuous)";
      }
    }
  }
}

TEST(SoftmaxAttentionGpu, ForwardIsBitwiseDeterministic) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  std::uint64_t seed = test::test_seed();
  for (const auto& var : osa::variants()) {
    const auto p = problem(2, std::min<std::int64_t>(1024, max_t()), 2, 128, 128);  // gemm_cublas: T <= 1024
    const auto in = inputs(p, seed++, var.precision);
    std::vector<unsigned char> l1, l2;
    const auto a = forward_bytes(var, p, in, &l1);
    for (int rep = 0; rep < 3; ++rep) {
      const auto b = forward_bytes(var, p, in, &l2);
      EXPECT_TRUE(a == b) << var.name << ": o differs between identical runs (rep " << rep << ")";
      EXPECT_TRUE(l1 == l2) << var.name << ": lse differs between identical runs (rep " << rep << ")";
    }
  }
}

TEST(SoftmaxAttentionGpu, UnsupportedShapesAreShapeErrors) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const auto odd = problem(1, 64, 2, 59, 59), odd_free = problem(1, 64, 2, 64, 64);
  EXPECT_FALSE(osa::variants()[0].supports(odd));
  EXPECT_FALSE(osa::variants()[1].supports(odd));
  try {
    osa::variant("flash_tiled_bf16", odd);
    ADD_FAILURE() << "flash_tiled_bf16 accepted D = 59";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("D = 59"), std::string::npos) << e.what();
  }
  EXPECT_STREQ(osa::choose(odd, Precision::fp32).name, "flash_tiled_fp32");
  EXPECT_STREQ(osa::choose(odd, Precision::bf16).name, "gemm_cublas_bf16");
  EXPECT_STREQ(osa::choose(problem(1, 1024, 1, 512, 512), Precision::bf16).name, "gemm_cublas_bf16");
  EXPECT_STREQ(osa::choose(problem(8, 1024, 1, 128, 128), Precision::bf16).name, "gemm_cublas_bf16");
  EXPECT_STREQ(osa::choose(problem(8, 1024, 1, 128, 128), Precision::fp32).name, "gemm_cublas_fp32");
  const char* flash = osa::variants()[0].supports(odd_free) ? "flash_wgmma_bf16" : "flash_tiled_bf16";
  EXPECT_STREQ(osa::choose(problem(8, 1025, 1, 128, 128), Precision::bf16).name, flash);
  EXPECT_STREQ(osa::choose(problem(8, 1024, 16, 64, 64), Precision::bf16).name, flash);
  const auto big = problem(1, 4096, 1, 256, 256);
  try {
    osa::choose(big, Precision::bf16);
    ADD_FAILURE() << "a variant accepted D = 256 at T = 4096";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("T = 4096"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("D = 256"), std::string::npos) << e.what();
  }
  EXPECT_THROW(osa::variant("no_such_variant", odd), InputError);
}

}  // namespace
}  // namespace menagerie
