// base_conv specifics: param_count = docs/mixers.md §2.2 per variant and the table's base_conv column (2 layers,
// N = 256: layer 0 short K = 3, layer 1 implicit long); state_size as Zoology; validate() names bad sizes;
// the long convs add u inside (conv(u) = h ∗ u + u); the implicit variant equals the explicit one fed the MLP filter
// computed here independently.
#include <gtest/gtest.h>

#include <algorithm>

#include "reference/base_conv.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace menagerie::mixers::base_conv;

TEST(BaseConv, ParamCountFormulas) {
  for (std::int64_t d : {3, 64, 100}) {
    EXPECT_EQ(param_count({1, 1, d, Conv::short_conv, 3, 1}), d * d + 5 * d);
    EXPECT_EQ(param_count({1, 1, d, Conv::long_implicit, 3, 256}), d * d + 18 * d + 64);
    EXPECT_EQ(param_count({1, 1, d, Conv::long_explicit, 3, 256}), d * d + d + d * 256);
  }
  // Every non-frozen param spec is counted.
  for (const Problem& p : Contract::test_grid(true)) {
    std::int64_t n = 0;
    for (const auto& s : tensors(p))
      if (s.role == Role::param &&
          std::find(Contract::frozen.begin(), Contract::frozen.end(), s.name) == Contract::frozen.end())
        n += numel(s.shape);
    EXPECT_EQ(n, param_count(p));
  }
}

TEST(BaseConv, TableColumnTwoLayers) {
  const std::vector<std::pair<std::int64_t, std::int64_t>> table = {
      {64, 9728}, {128, 35776}, {256, 137024}, {512, 536128}};
  for (const auto& [d, total] : table)
    EXPECT_EQ(param_count({1, 256, d, Conv::short_conv, 3, 256}) + param_count({1, 256, d, Conv::long_implicit, 3, 256}),
              total)
        << "d=" << d;
}

TEST(BaseConv, StateSize) {
  EXPECT_EQ(state_size({1, 256, 64, Conv::short_conv, 3, 256}), 64 * 3);
  EXPECT_EQ(state_size({1, 256, 64, Conv::long_implicit, 3, 256}), 64 * 256);
  EXPECT_EQ(state_size({1, 100, 8, Conv::long_explicit, 3, 128}), 8 * 100);
}

TEST(BaseConv, ValidateNamesBadSizes) {
  try {
    Problem{1, 9, 4, Conv::long_implicit, 3, 8}.validate();
    FAIL() << "l_max < T accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("l_max = 8"), std::string::npos) << e.what();
  }
  EXPECT_THROW((Problem{1, 9, 4, Conv::short_conv, 0, 1}.validate()), ShapeError);
  EXPECT_THROW((Problem{1, 9, 0, Conv::short_conv, 3, 1}.validate()), ShapeError);
}

TEST(BaseConv, LongConvAddsUInside) {
  // h = α δ_0 makes conv(u) = (α + 1) u, so y = (α + 1) u ⊙ (u W^T + b) + u.
  const Problem p{2, 7, 3, Conv::long_explicit, 3, 8};
  auto in = random_inputs(tensors(p), test_seed());
  const double alpha = 0.375;
  auto& h = in.at("conv.filter");
  std::fill(h.flat().begin(), h.flat().end(), 0.0);
  for (std::int64_t c = 0; c < p.D; ++c) h(c, 0) = alpha;
  auto out = allocate<double>(tensors(p), Role::output);
  reference_forward(p, in, out);
  const auto& u = in.at("u");
  const auto& W = in.at("projection.weight");
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t c = 0; c < p.D; ++c) {
        double proj = in.at("projection.bias")(c);
        for (std::int64_t i = 0; i < p.D; ++i) proj += u(b, t, i) * W(c, i);
        EXPECT_NEAR(out.at("y")(b, t, c), (alpha + 1) * u(b, t, c) * proj + u(b, t, c), 1e-14);
      }
}

TEST(BaseConv, ImplicitEqualsExplicitWithTheMlpFilter) {
  const Problem pi{2, 9, 5, Conv::long_implicit, 3, 11};
  const Problem pe{2, 9, 5, Conv::long_explicit, 3, 9};
  const auto in = convert<Mp>(random_inputs(tensors(pi), test_seed()));
  Named<Mp> ine;
  ine.emplace("u", in.at("u"));
  ine.emplace("projection.weight", in.at("projection.weight"));
  ine.emplace("projection.bias", in.at("projection.bias"));
  Tensor<Mp> h({pe.D, pe.l_max});
  for (std::int64_t t = 0; t < pi.T; ++t)
    for (std::int64_t c = 0; c < pi.D; ++c) {
      Mp acc = in.at("conv.mlp.2.bias")(c);
      for (std::int64_t j = 0; j < mlp_hidden; ++j) {
        Mp a = in.at("conv.mlp.0.bias")(j);
        for (std::int64_t i = 0; i < emb_dim; ++i) a += in.at("conv.mlp.0.weight")(j, i) * in.at("conv.pos_emb.z")(0, t, i);
        if (a > 0) acc += in.at("conv.mlp.2.weight")(c, j) * a;
      }
      h(c, t) = acc;
    }
  ine.emplace("conv.filter", h);
  auto yi = allocate<Mp>(tensors(pi), Role::output), ye = allocate<Mp>(tensors(pe), Role::output);
  reference_forward(pi, in, yi);
  reference_forward(pe, ine, ye);
  EXPECT_LT(relerr(yi.at("y"), ye.at("y")), 1e-40);
}

}  // namespace
}  // namespace menagerie::test
