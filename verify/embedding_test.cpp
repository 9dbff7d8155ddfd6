// What is specific to the embedding operator:
//   - the forward copies row ids[b,t] of the weight (bitwise);
//   - the backward scatter-adds: with repeated ids, dweight[v] is the sum of dy over the positions holding v, and
//     rows of ids that never occur get exactly 0;
//   - validate() names an out-of-range id with its position, and a wrong number of ids.
#include <gtest/gtest.h>

#include <string>

#include "reference/embedding.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace ops::embedding;

TEST(Embedding, ForwardCopiesRowsAndBackwardScatterAdds) {
  const Problem p{2, 3, 5, 4, {4, 1, 4, 0, 4, 1}};  // id 4 three times, 1 twice, 0 once, 2 and 3 never
  const auto specs = tensors(p);
  const auto in = random_inputs(specs, test_seed());
  auto out = allocate<double>(specs, Role::output);
  reference_forward<double>(p, in, out);
  const auto& w = in.at("weight");
  for (std::int64_t b = 0; b < 2; ++b)
    for (std::int64_t t = 0; t < 3; ++t)
      for (std::int64_t d = 0; d < 4; ++d) EXPECT_EQ(out.at("y")(b, t, d), w(p.ids[b * 3 + t], d));

  const Named<double> dy{{"y", random_inputs({{"y", {2, 3, 4}, "B,T,D"}}, test_seed() + 1).at("y")}};
  Named<double> grads;
  reference_backward<double>(p, in, dy, grads);
  const auto& g = grads.at("weight");
  const auto& y = dy.at("y");
  for (std::int64_t d = 0; d < 4; ++d) {
    EXPECT_EQ(g(4, d), y(0, 0, d) + y(0, 2, d) + y(1, 1, d));
    EXPECT_EQ(g(1, d), y(0, 1, d) + y(1, 2, d));
    EXPECT_EQ(g(0, d), y(1, 0, d));
    EXPECT_EQ(g(2, d), 0.0);
    EXPECT_EQ(g(3, d), 0.0);
  }
}

TEST(Embedding, ValidateNamesTheBadValue) {
  try {
    Problem{1, 3, 5, 2, {0, 5, 1}}.validate();
    FAIL() << "id 5 with V = 5 accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("token id 5 at position 1"), std::string::npos) << e.what();
  }
  try {
    Problem{1, 3, 5, 2, {-1, 0, 1}}.validate();
    FAIL() << "id -1 accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("token id -1"), std::string::npos) << e.what();
  }
  try {
    Problem{2, 3, 5, 2, {0, 1, 2}}.validate();
    FAIL() << "3 ids for B*T = 6 accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("3 token ids given, expected B*T = 6"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace menagerie::test
