// What is specific to the based mixer:
//   - the forward equals zoology's Based (quadratic view) written out independently here in double, with the
//     kernel in closed form 1 + q.k/sqrt(f) + (q.k)^2/(2f), heads splitting proj_q/proj_k into f-blocks and
//     proj_v into d/H-blocks;
//   - param_count = 2d^2 + 2df (one head) and 2Hdf + 2d^2 in general, equal to the parameter shapes;
//   - docs/mixers.md §2.2's "based (f=8)" column (13,632 / 51,840 / 201,984 / 797,184 for d = 64..512) is the
//     2-layer Hybrid [BaseConv short k=3 (d^2 + 5d), Based (2d^2 + 2df)]: 4,416 + 9,216 = 13,632 at d = 64.
//     Two Based layers would give 18,432 and [BaseConv implicit (d^2 + 18d + 64), Based] 14,528, so the table
//     counts the short-conv BaseConv;
//   - state_size = d D~ + D~ with D~ = f(f+1)/2 + f + 1 = 45 / 153 / 325 for f = 8 / 16 / 24;
//   - validate() names the bad value.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "reference/based.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace mixers::based;

// x W^T for x [B, T, In], W [Out, In].
Tensor<double> project(const Tensor<double>& x, const Tensor<double>& W) {
  const std::int64_t B = x.size(0), T = x.size(1), in = W.size(1), out = W.size(0);
  Tensor<double> y({B, T, out});
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t o = 0; o < out; ++o) {
        double acc = 0;
        for (std::int64_t i = 0; i < in; ++i) acc += x(b, t, i) * W(o, i);
        y(b, t, o) = acc;
      }
  return y;
}

// zoology.mixers.based.Based.forward (train_view "quadratic"), with the Taylor kernel in closed form, in double.
Tensor<double> zoology_based(const Problem& p, const Named<double>& in) {
  const auto& u = in.at("u");
  const auto q = project(u, in.at("proj_q.weight")), k = project(u, in.at("proj_k.weight")),
             v = project(u, in.at("proj_v.weight"));
  const std::int64_t f = p.f, Dv = p.head_dim();
  Tensor<double> o({p.B, p.T, p.d});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.heads; ++h)
      for (std::int64_t t = 0; t < p.T; ++t) {
        double den = 0;
        std::vector<double> num(static_cast<std::size_t>(Dv), 0.0);
        for (std::int64_t s = 0; s <= t; ++s) {
          double qk = 0;
          for (std::int64_t i = 0; i < f; ++i) qk += q(b, t, h * f + i) * k(b, s, h * f + i);
          const double a = 1 + qk / std::sqrt(double(f)) + qk * qk / (2 * double(f));
          den += a;
          for (std::int64_t e = 0; e < Dv; ++e) num[static_cast<std::size_t>(e)] += a * v(b, s, h * Dv + e);
        }
        for (std::int64_t e = 0; e < Dv; ++e) o(b, t, h * Dv + e) = num[static_cast<std::size_t>(e)] / (den + p.eps);
      }
  return project(o, in.at("proj_o.weight"));
}

TEST(Based, ForwardEqualsZoologyModuleWrittenOut) {
  const std::uint64_t seed = test_seed();
  for (const Problem& p : {Problem{2, 10, 6, 3, 1, 1e-12}, Problem{1, 12, 6, 2, 3, 1e-12},
                           Problem{2, 7, 8, 4, 2, 1e-12}, Problem{1, 1, 5, 16, 1, 1e-12}}) {
    const auto in = random_inputs(tensors(p), seed);
    Named<double> out = allocate<double>(tensors(p), Role::output, std::numeric_limits<double>::quiet_NaN());
    reference_forward<double>(p, in, out);
    EXPECT_LE(relerr(out.at("y"), convert<Mp>(zoology_based(p, in))), 1e-13)
        << "d=" << p.d << " f=" << p.f << " heads=" << p.heads;
  }
}

TEST(Based, ParamCountMatchesTheSpecTable) {
  const std::pair<std::int64_t, std::int64_t> table[] = {{64, 13'632}, {128, 51'840}, {256, 201'984}, {512, 797'184}};
  for (const auto& [d, total] : table) {
    const Problem p{1, 256, d, 8, 1, 1e-12};
    EXPECT_EQ(param_count(p), 2 * d * d + 2 * d * 8);
    const std::int64_t base_conv_short = d * d + 5 * d;  // BaseConv, ShortConvolution(k = 3): d^2 + d + (k + 1) d
    EXPECT_EQ(base_conv_short + param_count(p), total) << "d=" << d;
  }
  for (const Problem& p : {Problem{1, 8, 12, 5, 1, 1e-12}, Problem{1, 8, 12, 5, 3, 1e-12}}) {
    std::int64_t from_shapes = 0;
    for (const auto& s : specs_with_role(tensors(p), Role::param)) from_shapes += numel(s.shape);
    EXPECT_EQ(from_shapes, param_count(p));
    EXPECT_EQ(param_count(p), 2 * p.heads * p.d * p.f + 2 * p.d * p.d);
  }
}

TEST(Based, StateSizeUsesTheSymmetricReducedFeatureCount) {
  const std::pair<std::int64_t, std::int64_t> expanded[] = {{8, 45}, {16, 153}, {24, 325}};
  for (const auto& [f, Dt] : expanded) {
    EXPECT_EQ(state_size(Problem{1, 1024, 64, f, 1, 1e-12}), 64 * Dt + Dt) << "f=" << f;
    EXPECT_EQ(state_size(Problem{1, 1024, 48, f, 3, 1e-12}), 48 * Dt + 3 * Dt) << "f=" << f;
  }
}

TEST(Based, ValidateNamesTheBadValue) {
  try {
    Problem{1, 4, 10, 4, 4, 1e-12}.validate();
    FAIL() << "d = 10 with 4 heads accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("d = 10 is not divisible by heads = 4"), std::string::npos) << e.what();
  }
  try {
    Problem{1, 4, 8, 4, 1, -1.0}.validate();
    FAIL() << "eps -1 accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("eps = -1"), std::string::npos) << e.what();
  }
  EXPECT_THROW((Problem{1, 4, 8, 0, 1, 1e-12}.validate()), ShapeError);
}

}  // namespace
}  // namespace menagerie::test
