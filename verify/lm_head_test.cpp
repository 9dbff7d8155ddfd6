// What is specific to the lm_head operator:
//   - logits[b,t,v] = h[b,t,:] . weight[v,:] on a hand-computed example (no bias);
//   - tied use: applied to embedding rows, logits[t, v] = W_E[ids[t]] . W_E[v], so the diagonal entry is the
//     squared norm of the row;
//   - validate() names the bad sizes.
#include <gtest/gtest.h>

#include <string>

#include "reference/embedding.hpp"
#include "reference/lm_head.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace ops::lm_head;

TEST(LmHead, HandComputedLogits) {
  const Problem p{1, 2, 2, 3};
  const Named<double> in{{"h", Tensor<double>({1, 2, 2}, {1.0, 2.0, -1.0, 0.5})},
                         {"weight", Tensor<double>({3, 2}, {1.0, 0.0, 0.0, 1.0, 3.0, -2.0})}};
  auto out = allocate<double>(tensors(p), Role::output);
  reference_forward<double>(p, in, out);
  const auto& z = out.at("logits");
  EXPECT_EQ(z(0, 0, 0), 1.0);
  EXPECT_EQ(z(0, 0, 1), 2.0);
  EXPECT_EQ(z(0, 0, 2), -1.0);
  EXPECT_EQ(z(0, 1, 0), -1.0);
  EXPECT_EQ(z(0, 1, 1), 0.5);
  EXPECT_EQ(z(0, 1, 2), -4.0);
}

TEST(LmHead, TiedWithTheEmbedding) {
  const std::int64_t V = 7, D = 5;
  const ops::embedding::Problem e{1, 4, V, D, {3, 0, 6, 3}};
  auto w = random_inputs(ops::embedding::tensors(e), test_seed());
  auto h = allocate<double>(ops::embedding::tensors(e), Role::output);
  ops::embedding::reference_forward<double>(e, w, h);
  const Problem p{1, 4, D, V};
  const Named<double> in{{"h", h.at("y")}, {"weight", w.at("weight")}};
  auto out = allocate<double>(tensors(p), Role::output);
  reference_forward<double>(p, in, out);
  for (std::int64_t t = 0; t < 4; ++t) {
    double norm2 = 0;
    for (std::int64_t d = 0; d < D; ++d) norm2 += w.at("weight")(e.ids[t], d) * w.at("weight")(e.ids[t], d);
    EXPECT_NEAR(out.at("logits")(0, t, e.ids[t]), norm2, 1e-14);
  }
}

TEST(LmHead, ValidateNamesTheBadValue) {
  try {
    Problem{1, 2, 3, 0}.validate();
    FAIL() << "V = 0 accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("1, 2, 3, 0"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace menagerie::test
