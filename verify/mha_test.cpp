// What is specific to the mha mixer:
//   - the forward equals zoology's MHA written out independently here in double (qkv split "(three h d)", scores
//     + the additive -10000 causal mask, softmax, heads concatenated "(h d)", out_proj), for 1 and several heads;
//   - param_count = 4d^2 + 4d and docs/mixers.md §2.2's "attention" column (2 layers of MHA, N = 256):
//     33,280 / 132,096 / 526,336 / 2,101,248 for d = 64..512; the parameter shapes sum to param_count;
//   - state_size = 2 d N (zoology MHA.state_size);
//   - validate() names the bad value.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "reference/mha.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace mixers::mha;

// zoology.mixers.attention.MHA.forward, literally, in double.
Tensor<double> zoology_mha(const Problem& p, const Named<double>& in) {
  const auto &u = in.at("u"), &W = in.at("Wqkv.weight"), &bq = in.at("Wqkv.bias");
  const auto &Wo = in.at("out_proj.weight"), &bo = in.at("out_proj.bias");
  const std::int64_t d = p.d, D = p.head_dim();
  Tensor<double> qkv({p.B, p.T, 3 * d}), ctx({p.B, p.T, d}), y({p.B, p.T, d});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t o = 0; o < 3 * d; ++o) {
        double acc = bq(o);
        for (std::int64_t i = 0; i < d; ++i) acc += u(b, t, i) * W(o, i);
        qkv(b, t, o) = acc;
      }
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t h = 0; h < p.heads; ++h)
      for (std::int64_t t = 0; t < p.T; ++t) {
        std::vector<double> sc(static_cast<std::size_t>(p.T));
        double m = -INFINITY, z = 0;
        for (std::int64_t s = 0; s < p.T; ++s) {
          double acc = 0;
          for (std::int64_t e = 0; e < D; ++e) acc += qkv(b, t, h * D + e) * qkv(b, s, d + h * D + e) / std::sqrt(double(D));
          sc[static_cast<std::size_t>(s)] = acc + (s > t ? -10000.0 : 0.0);
          m = std::max(m, sc[static_cast<std::size_t>(s)]);
        }
        for (auto& x : sc) z += (x = std::exp(x - m));
        for (std::int64_t e = 0; e < D; ++e) {
          double acc = 0;
          for (std::int64_t s = 0; s < p.T; ++s) acc += sc[static_cast<std::size_t>(s)] / z * qkv(b, s, 2 * d + h * D + e);
          ctx(b, t, h * D + e) = acc;
        }
      }
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t o = 0; o < d; ++o) {
        double acc = bo(o);
        for (std::int64_t i = 0; i < d; ++i) acc += ctx(b, t, i) * Wo(o, i);
        y(b, t, o) = acc;
      }
  return y;
}

TEST(Mha, ForwardEqualsZoologyModuleWrittenOut) {
  const std::uint64_t seed = test_seed();
  for (const Problem& p : {Problem{2, 9, 6, 1}, Problem{1, 11, 6, 2}, Problem{2, 8, 12, 4}, Problem{1, 1, 5, 5}}) {
    const auto in = random_inputs(tensors(p), seed);
    Named<double> out = allocate<double>(tensors(p), Role::output, std::numeric_limits<double>::quiet_NaN());
    reference_forward<double>(p, in, out);
    EXPECT_LE(relerr(out.at("y"), convert<Mp>(zoology_mha(p, in))), 1e-13) << "d=" << p.d << " heads=" << p.heads;
  }
}

TEST(Mha, ParamCountMatchesTheSpecTable) {
  // docs/mixers.md §2.2, "attention" column: 2 layers of MHA, N = 256.
  const std::pair<std::int64_t, std::int64_t> table[] = {{64, 33'280}, {128, 132'096}, {256, 526'336}, {512, 2'101'248}};
  for (const auto& [d, total] : table) {
    const Problem p{1, 256, d, 1};
    EXPECT_EQ(param_count(p), 4 * d * d + 4 * d);
    EXPECT_EQ(2 * param_count(p), total) << "d=" << d;
    std::int64_t from_shapes = 0;
    for (const auto& s : specs_with_role(tensors(p), Role::param)) from_shapes += numel(s.shape);
    EXPECT_EQ(from_shapes, param_count(p));
  }
}

TEST(Mha, StateSizeIsTheKvCache) {
  EXPECT_EQ(state_size(Problem{1, 1024, 64, 1}), 2 * 64 * 1024);
  EXPECT_EQ(state_size(Problem{1, 256, 128, 4}), 2 * 128 * 256);
}

TEST(Mha, ValidateNamesTheBadValue) {
  try {
    Problem{1, 4, 10, 3}.validate();
    FAIL() << "d = 10 with 3 heads accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("d = 10 is not divisible by heads = 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW((Problem{1, 4, 8, 0}.validate()), ShapeError);
  EXPECT_THROW((Problem{0, 4, 8, 1}.validate()), ShapeError);
}

}  // namespace
}  // namespace menagerie::test
