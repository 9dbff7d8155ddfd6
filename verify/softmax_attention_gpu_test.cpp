// What is specific to softmax attention's GPU variants (optimized/softmax_attention); accuracy on the awkward-size
// grid, causality and determinism of every variant are the generic suite's (verify/kernel_conformance_gpu_test.cpp).
//   extreme scores  q, k scaled by 175 at D = 64 (scores ~1e4, nearly one-hot rows): every output finite; o and dv
//                   by the rule; dq and dk, small differences of far larger terms, measured against the norm of their
//                   terms' magnitudes (harness/attention_oracle.hpp), with the extreme-score factor and floor
//                   (one fp32 unit of the largest score) of harness/tolerance.hpp for all four
//   dispatch        unsupported shapes are ShapeErrors naming the value; choose() picks the documented variant
//   tf32, bf16      gemm_cublas_fp32 on a stream whose GEMM precision is tf32 or bf16 (optimized/common/gemm.hpp;
//   streams         the GPU trainer's "precision") runs its products on TF32 tensor cores, or on bf16 ones with the
//                   operands rounded to bf16: o, dq, dk, dv differ from the fp32 stream's, stay within the rule scaled
//                   by harness::factor_tf32 or factor_bf16 (the format's unit roundoff over fp32's) against the double
//                   oracle, and an fp32 stream afterwards gives the first bits again. bf16: o is 16 times nearer an o
//                   computed in double from q, k, v and P rounded to bf16 than the exact o (P and v are rounded too).
//                   At a training shape (B 2, T 512, H 2, D 64): CUBLAS_COMPUTE_32F_FAST_TF32 permits TF32 and does
//                   not order it, and at the first shape tried (B 2, T 97, H 2, D 64, Dv 48) cuBLAS ran the fp32
//                   kernels on the H100 (session 25: 0 of 18624 o differed), while the trainer's attention steps at
//                   T 256-512 got up to 1.54x faster
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "harness/gpu_check.hpp"
#include "harness/tolerance.hpp"
#include "optimized/common/device.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/softmax_attention/variants.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

namespace sa = ops::softmax_attention;
namespace osa = opt::softmax_attention;
using harness::Measure;

sa::Problem problem(std::int64_t B, std::int64_t T, std::int64_t H, std::int64_t D, std::int64_t Dv) {
  return {.B = B, .T = T, .H = H, .D = D, .Dv = Dv};
}

// ||x - oracle|| / ||scale||.
double error_relative_to(const Tensor<double>& x, const Tensor<double>& oracle, const Tensor<double>& scale) {
  double num = 0, den = 0;
  for (std::int64_t i = 0; i < x.numel(); ++i) num += (x.data()[i] - oracle.data()[i]) * (x.data()[i] - oracle.data()[i]);
  for (std::int64_t i = 0; i < scale.numel(); ++i) den += scale.data()[i] * scale.data()[i];
  return std::sqrt(num / den);
}

std::vector<Measure> extreme(const osa::Variant& v, const sa::Problem& p, std::uint64_t seed) {
  auto all = harness::draw_inputs(p, seed, v.dtype);
  for (const char* n : {"q", "k"})
    all.at(n) = harness::rounded([&] {
      auto t = all.at(n);
      for (std::int64_t i = 0; i < t.numel(); ++i) t.data()[i] *= 175.0;
      return t;
    }(), v.dtype);
  harness::DeviceProblem<sa::Problem> dp(v, p);
  harness::run(v, p, dp, all, true);
  Named<double> in, dO;
  for (const char* n : {"q", "k", "v"}) in.emplace(n, all.at(n));
  dO.emplace("o", all.at("do"));
  const auto in_f = ref::convert<float>(in);
  const bool bf16 = v.dtype == DType::bf16;
  Named<double> oracle = allocate<double>(sa::tensors(p), Role::output, NAN), g, mag;
  Named<float> yard = allocate<float>(sa::tensors(p), Role::output, NAN), gy;
  harness::attention::fast_forward<double>(p, in, oracle);
  harness::attention::fast_backward<double>(p, in, dO, g, harness::attention::Exact{}, &mag);
  if (bf16) {
    harness::attention::fast_forward<float>(p, in_f, yard, harness::Bf16Operands{});
    harness::attention::fast_backward<float>(p, in_f, ref::convert<float>(dO), gy, harness::Bf16Operands{});
  } else {
    harness::attention::fast_forward<float>(p, in_f, yard);
    harness::attention::fast_backward<float>(p, in_f, ref::convert<float>(dO), gy);
  }
  double max_score = 0;  // max |scale q_t . k_s| over visible pairs
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.H; ++h)
      for (std::int64_t t = 0; t < p.T; ++t)
        for (std::int64_t s = 0; s <= t; ++s) {
          double acc = 0;
          for (std::int64_t d = 0; d < p.D; ++d) acc += in.at("q")(b, t, h, d) * in.at("k")(b, s, h, d);
          max_score = std::max(max_score, std::abs(acc * p.softmax_scale()));
        }
  std::vector<Measure> out;
  const auto add = [&](const std::string& name, const Tensor<double>& got, const Tensor<double>& orc,
                       const Tensor<float>& y, const Tensor<double>& scale, bool gradient) {
    Measure m{name};
    m.kernel = error_relative_to(got, orc, scale);
    m.yardstick = error_relative_to(harness::rounded(ref::convert<double>(y), v.dtype), orc, scale);
    m.tolerance = harness::tolerance(gradient, m.yardstick, harness::factor_extreme) + harness::extreme_floor(max_score);
    m.finite = ref::all_finite(got);
    out.push_back(m);
  };
  add("o", dp.download("o"), oracle.at("o"), yard.at("o"), oracle.at("o"), false);
  add("dv", dp.download("dv"), g.at("v"), gy.at("v"), g.at("v"), true);
  add("dq (vs term magnitudes)", dp.download("dq"), g.at("q"), gy.at("q"), mag.at("q"), true);
  add("dk (vs term magnitudes)", dp.download("dk"), g.at("k"), gy.at("k"), mag.at("k"), true);
  return out;
}

TEST(SoftmaxAttentionGpu, ExtremeScoresStayFiniteAndAccurate) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  std::uint64_t seed = test::test_seed();
  for (const auto& v : osa::variants())
    for (std::int64_t T : {97, 200, 300}) {
      const auto p = problem(1, T, 2, 64, 64);
      if (T > harness::gpu_max_t() || !v.supports(p)) continue;
      for (const auto& m : extreme(v, p, seed++)) {
        std::printf("  %s extreme %s %-24s relerr %.3e yardstick %.3e tolerance %.3e ratio %.3f %s\n", v.name,
                    harness::describe(p).c_str(), m.name.c_str(), m.kernel, m.yardstick, m.tolerance, m.ratio(),
                    m.pass() ? "ok" : "FAIL");
        EXPECT_TRUE(m.pass()) << v.name << " " << m.name << " at T = " << T << ": " << m.kernel << " > "
                              << m.tolerance << "; replay with " << test::replay_line();
      }
    }
}

// o in double from q, k, v and P rounded to bf16, as a bf16 stream's products take them: S = q_r k_r^T (exact), P the
// causal softmax of scale S rounded to bf16, o = P_r v_r. (The GPU forms S and P in fp32 first, so a P within fp32
// roundoff of a bf16 rounding boundary may round the other way: rare, one bf16 unit in one term.)
Tensor<double> o_of_bf16_operands(const sa::Problem& p, const Named<double>& all) {
  const auto q = harness::rounded(all.at("q"), DType::bf16), k = harness::rounded(all.at("k"), DType::bf16),
             v = harness::rounded(all.at("v"), DType::bf16);
  Tensor<double> o({p.B, p.T, p.H, p.Dv});
  const double scale = p.softmax_scale();
  std::vector<double> w(static_cast<std::size_t>(p.T));
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.H; ++h)
      for (std::int64_t t = 0; t < p.T; ++t) {
        const double* qt = q.data() + ((b * p.T + t) * p.H + h) * p.D;
        double top = -INFINITY, z = 0;
        for (std::int64_t u = 0; u <= t; ++u) {
          const double* ku = k.data() + ((b * p.T + u) * p.H + h) * p.D;
          double dot = 0;
          for (std::int64_t d = 0; d < p.D; ++d) dot += qt[d] * ku[d];
          w[static_cast<std::size_t>(u)] = scale * dot;
          top = std::max(top, scale * dot);
        }
        for (std::int64_t u = 0; u <= t; ++u) {
          double& x = w[static_cast<std::size_t>(u)];
          x = std::exp(x - top);
          z += x;
        }
        for (std::int64_t u = 0; u <= t; ++u) {
          double& x = w[static_cast<std::size_t>(u)];
          x = harness::rounded(x / z, DType::bf16);
        }
        for (std::int64_t c = 0; c < p.Dv; ++c) {
          double acc = 0;
          for (std::int64_t u = 0; u <= t; ++u)
            acc += w[static_cast<std::size_t>(u)] * v.data()[((b * p.T + u) * p.H + h) * p.Dv + c];
          o.data()[((b * p.T + t) * p.H + h) * p.Dv + c] = acc;
        }
      }
  return o;
}

TEST(SoftmaxAttentionGpu, ScoresFollowTheStreamsTensorCorePrecision) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const std::uint64_t seed = test::test_seed();
  const auto p = problem(2, 512, 2, 64, 64);
  const osa::Variant& v = osa::variant("gemm_cublas_fp32", p);
  const auto all = harness::draw_inputs(p, seed, v.dtype);
  const auto outputs = [&](cuda::GemmPrecision precision) {  // on the legacy stream, harness::run's
    cuda::set_gemm_precision(nullptr, precision);
    harness::DeviceProblem<sa::Problem> dp(v, p);
    harness::run(v, p, dp, all, true);
    cuda::set_gemm_precision(nullptr, cuda::GemmPrecision::fp32);
    Named<double> out;
    for (const char* n : {"o", "dq", "dk", "dv"}) out.emplace(n, dp.download(n));
    return out;
  };
  Named<double> in, dO;
  for (const char* n : {"q", "k", "v"}) in.emplace(n, all.at(n));
  dO.emplace("o", all.at("do"));
  const auto in_f = ref::convert<float>(in);
  Named<double> oracle = allocate<double>(sa::tensors(p), Role::output, NAN), g;
  Named<float> yard = allocate<float>(sa::tensors(p), Role::output, NAN), gy;
  harness::attention::fast_forward<double>(p, in, oracle);
  harness::attention::fast_backward<double>(p, in, dO, g, harness::attention::Exact{});
  harness::attention::fast_forward<float>(p, in_f, yard);
  harness::attention::fast_backward<float>(p, in_f, ref::convert<float>(dO), gy);
  const auto fp32 = outputs(cuda::GemmPrecision::fp32);
  struct Mode {
    cuda::GemmPrecision precision;
    const char* name;
    double factor;
  };
  for (const Mode m : {Mode{cuda::GemmPrecision::tf32, "tf32", harness::factor_tf32},
                       Mode{cuda::GemmPrecision::bf16, "bf16", harness::factor_bf16}}) {
    const auto got = outputs(m.precision), again = outputs(cuda::GemmPrecision::fp32);
    for (const char* n : {"o", "dq", "dk", "dv"}) {
      const bool gradient = n[0] == 'd';
      const Tensor<double>& orc = gradient ? g.at(std::string(1, n[1])) : oracle.at("o");
      const Tensor<float>& y = gradient ? gy.at(std::string(1, n[1])) : yard.at("o");
      std::int64_t differ = 0, repeat = 0;
      for (std::int64_t i = 0; i < orc.numel(); ++i) {
        differ += got.at(n).data()[i] != fp32.at(n).data()[i];
        repeat += again.at(n).data()[i] != fp32.at(n).data()[i];
      }
      const double err = error_relative_to(got.at(n), orc, orc),
                   yardstick = error_relative_to(ref::convert<double>(y), orc, orc),
                   tol = m.factor * harness::tolerance(gradient, yardstick);
      std::printf("  %s stream %-2s relerr %.3e (fp32 yardstick %.3e, tolerance %.3e); %lld of %lld differ from "
                  "the fp32 stream's; fp32 again: %lld differ\n",
                  m.name, n, err, yardstick, tol, static_cast<long long>(differ), static_cast<long long>(orc.numel()),
                  static_cast<long long>(repeat));
      EXPECT_GT(differ, 0) << m.name << " " << n << ": the stream gave the fp32 bits (seed " << seed << ")";
      EXPECT_LE(err, tol) << m.name << " " << n << " (seed " << seed << ")";
      EXPECT_EQ(repeat, 0) << m.name << " " << n << ": the fp32 stream after it changed";
    }
    if (m.precision != cuda::GemmPrecision::bf16) continue;
    // Every operand is rounded, P and v too, not only q and k: the bf16 stream's o lies far nearer the o of rounded
    // operands than the exact o.
    const Tensor<double> model = o_of_bf16_operands(p, all);
    const double near = error_relative_to(got.at("o"), model, oracle.at("o")),
                 far = error_relative_to(got.at("o"), oracle.at("o"), oracle.at("o"));
    std::printf("  bf16 stream o: relerr %.3e against o of bf16 operands (q, k, v, P), %.3e against the exact o\n",
                near, far);
    EXPECT_LT(16 * near, far) << "the bf16 stream's o is not 16x nearer the o of bf16 q, k, v and P than the exact "
                              << "o (seed " << seed << ")";
  }
}

TEST(SoftmaxAttentionGpu, UnsupportedShapesAreShapeErrorsAndChooseIsDocumented) {
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
  EXPECT_STREQ(osa::choose(odd, DType::f32).name, "flash_tiled_fp32");
  EXPECT_STREQ(osa::choose(odd, DType::bf16).name, "gemm_cublas_bf16");
  EXPECT_STREQ(osa::choose(problem(1, 1024, 1, 512, 512), DType::bf16).name, "gemm_cublas_bf16");
  EXPECT_STREQ(osa::choose(problem(8, 1024, 1, 128, 128), DType::bf16).name, "gemm_cublas_bf16");
  EXPECT_STREQ(osa::choose(problem(8, 1024, 1, 128, 128), DType::f32).name, "gemm_cublas_fp32");
  const char* flash = osa::variants()[0].supports(odd_free) ? "flash_wgmma_bf16" : "flash_tiled_bf16";
  EXPECT_STREQ(osa::choose(problem(8, 1025, 1, 128, 128), DType::bf16).name, flash);
  EXPECT_STREQ(osa::choose(problem(8, 1024, 16, 64, 64), DType::bf16).name, flash);
  try {
    osa::choose(problem(1, 4096, 1, 256, 256), DType::bf16);
    ADD_FAILURE() << "a variant accepted D = 256 at T = 4096";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("T = 4096"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("D = 256"), std::string::npos) << e.what();
  }
  EXPECT_THROW(osa::variant("no_such_variant", odd), InputError);
}

}  // namespace
}  // namespace menagerie
