// What is specific to the cross_entropy operator (torch.nn.CrossEntropyLoss(ignore_index=-100) semantics):
//   - equal logits give log V; a hand-computed two-row example gives the mean of the rows' losses;
//   - the mean is over labelled positions only: logits at ignored positions change neither the loss nor get any
//     gradient (exactly 0), and each labelled row of the gradient sums to 0 (checked in Mp);
//   - validate() names a bad label with its position, and rejects a batch without labels.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "reference/cross_entropy.hpp"
#include "reference/mp.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace ops::cross_entropy;

template <class T>
T loss_of(const Problem& p, const Named<T>& in) {
  auto out = allocate<T>(tensors(p), Role::output);
  reference_forward<T>(p, in, out);
  return out.at("loss").data()[0];
}

TEST(CrossEntropy, HandComputedValues) {
  const Problem flat{1, 2, 5, {2, ignore_index}};
  EXPECT_NEAR(loss_of<double>(flat, {{"logits", Tensor<double>({1, 2, 5}, 0.7)}}), std::log(5.0), 1e-15);

  const Problem p{1, 3, 3, {0, ignore_index, 2}};
  const Named<double> in{{"logits", Tensor<double>({1, 3, 3}, {1.0, 2.0, 3.0, 9.0, 9.0, 9.0, 0.0, 0.0, 1.0})}};
  const double row0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 1.0;
  const double row2 = std::log(2.0 + std::exp(1.0)) - 1.0;
  EXPECT_NEAR(loss_of<double>(p, in), (row0 + row2) / 2, 1e-15);  // mean over the 2 labelled rows, not 3
}

TEST(CrossEntropy, IgnoredPositionsHaveNoEffectAndNoGradient) {
  const Problem p = with_pattern_labels(2, 5, 6, 3);
  const auto in = convert<Mp>(random_inputs(tensors(p), test_seed()));
  auto changed = in;
  for (std::int64_t i = 0; i < 10; ++i)
    if (p.labels[i] == ignore_index)
      for (std::int64_t v = 0; v < 6; ++v) changed.at("logits").data()[i * 6 + v] += Mp(v + 1);
  EXPECT_EQ(loss_of<Mp>(p, in), loss_of<Mp>(p, changed));

  Named<Mp> grads;
  reference_backward<Mp>(p, in, {{"loss", Tensor<Mp>({}, Mp(1))}}, grads);
  for (std::int64_t i = 0; i < 10; ++i) {
    Mp sum = 0, l1 = 0;
    for (std::int64_t v = 0; v < 6; ++v) {
      sum += grads.at("logits").data()[i * 6 + v];
      l1 += abs(grads.at("logits").data()[i * 6 + v]);
    }
    if (p.labels[i] == ignore_index) {
      EXPECT_EQ(l1, Mp(0)) << "ignored position " << i << " got a gradient";
    } else {
      EXPECT_GT(static_cast<double>(l1), 1e-3);
      EXPECT_LT(static_cast<double>(abs(sum)), 1e-45);
    }
  }
}

TEST(CrossEntropy, ValidateNamesTheBadValue) {
  try {
    Problem{1, 3, 4, {0, 4, ignore_index}}.validate();
    FAIL() << "label 4 with V = 4 accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("label 4 at position 1"), std::string::npos) << e.what();
  }
  try {
    Problem{1, 2, 4, {ignore_index, ignore_index}}.validate();
    FAIL() << "no labels accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no labelled position"), std::string::npos) << e.what();
  }
  try {
    Problem{1, 2, 4, {0}}.validate();
    FAIL() << "1 label for B*T = 2 accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("1 labels given, expected B*T = 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace menagerie::test
