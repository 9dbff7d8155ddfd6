// hyena specifics: param_count = specs/mixers.md §2.2 (4d^2 + 81d + 8640 + 3 l_max at filter_order 64) and the
// table's hyena column (2 layers, N = 256); frozen buffers excluded from the count; state_size = D T; validate()
// names bad sizes; with a zero filter the mixer is y = ((v ⊙ x1) Dh ⊙ x2) Wout^T + bout with [x1 x2 v] the channel
// thirds of the short conv, computed here independently (checks the split order and the D term).
#include <gtest/gtest.h>

#include <algorithm>

#include "reference/hyena.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace menagerie::mixers::hyena;

TEST(Hyena, ParamCountFormulaAndTable) {
  for (std::int64_t d : {3, 64, 100})
    EXPECT_EQ(param_count({1, 256, d, 256}), 4 * d * d + 81 * d + 8640 + 3 * 256);
  const std::vector<std::pair<std::int64_t, std::int64_t>> table = {
      {64, 61952}, {128, 170624}, {256, 584576}, {512, 2198912}};
  for (const auto& [d, total] : table) EXPECT_EQ(2 * param_count({1, 256, d, 256}), total) << "d=" << d;
  for (const Problem& p : {Problem{1, 256, 64, 256}, Problem{1, 7, 5, 9, 3, 2}}) {
    std::int64_t n = 0;
    for (const auto& s : tensors(p))
      if (s.role == Role::param &&
          std::find(Contract::frozen.begin(), Contract::frozen.end(), s.name) == Contract::frozen.end())
        n += numel(s.shape);
    EXPECT_EQ(n, param_count(p));
  }
}

TEST(Hyena, StateSizeAndValidate) {
  EXPECT_EQ(state_size({1, 1024, 64, 1024}), 64 * 1024);
  try {
    Problem{1, 9, 4, 8}.validate();
    FAIL() << "l_max < T accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("l_max = 8"), std::string::npos) << e.what();
  }
  EXPECT_THROW((Problem{1, 4, 4, 8, 0}.validate()), ShapeError);
}

TEST(Hyena, ZeroFilterLeavesTheGatedDTerm) {
  const Problem p{2, 7, 3, 9, 4, 3};
  auto in = random_inputs(tensors(p), test_seed());
  auto& W6 = in.at("filter_fn.implicit_filter.6.weight");
  std::fill(W6.flat().begin(), W6.flat().end(), 0.0);
  auto out = allocate<double>(tensors(p), Role::output);
  reference_forward(p, in, out);
  const std::int64_t D = p.D, K = p.short_filter_order;
  const auto &u = in.at("u"), &Win = in.at("in_proj.weight"), &bin = in.at("in_proj.bias");
  const auto &sw = in.at("short_filter.weight"), &sb = in.at("short_filter.bias");
  auto P = [&](std::int64_t b, std::int64_t t, std::int64_t j) {
    double acc = bin(j);
    for (std::int64_t i = 0; i < D; ++i) acc += u(b, t, i) * Win(j, i);
    return acc;
  };
  auto Q = [&](std::int64_t b, std::int64_t t, std::int64_t j) {
    double acc = sb(j);
    for (std::int64_t k = 0; k < K; ++k)
      if (t - K + 1 + k >= 0) acc += sw(j, 0, k) * P(b, t - K + 1 + k, j);
    return acc;
  };
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t) {
      std::vector<double> g(static_cast<std::size_t>(D));
      for (std::int64_t c = 0; c < D; ++c)
        g[static_cast<std::size_t>(c)] = Q(b, t, 2 * D + c) * Q(b, t, c) * in.at("filter_fn.bias")(c) * Q(b, t, D + c);
      for (std::int64_t o = 0; o < D; ++o) {
        double want = in.at("out_proj.bias")(o);
        for (std::int64_t c = 0; c < D; ++c) want += g[static_cast<std::size_t>(c)] * in.at("out_proj.weight")(o, c);
        EXPECT_NEAR(out.at("y")(b, t, o), want, 1e-13) << "b=" << b << " t=" << t << " o=" << o;
      }
    }
}

}  // namespace
}  // namespace menagerie::test
