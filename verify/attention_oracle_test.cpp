// The GPU tests' fast CPU oracle (harness/attention_oracle.hpp) reproduces reference/softmax_attention.cpp
// bit for bit in float and double, forward and backward, on the contract's grid and on sizes with windows, odd
// head dims and D != Dv.
#include <gtest/gtest.h>

#include <cstring>

#include "reference/numerics.hpp"
#include "reference/softmax_attention.hpp"
#include "harness/attention_oracle.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

namespace sa = ops::softmax_attention;

template <class T>
void expect_bitwise(const Tensor<T>& a, const Tensor<T>& b, const char* what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), static_cast<std::size_t>(a.numel()) * sizeof(T))) << what;
}

template <class T>
void compare(const sa::Problem& p, std::uint64_t seed) {
  auto specs = sa::tensors(p);
  for (auto& s : specs) s.role = Role::input;
  const auto all = ref::convert<T>(ref::random_inputs(specs, seed));
  Named<T> in, dO;
  for (const char* n : {"q", "k", "v"}) in.emplace(n, all.at(n));
  dO.emplace("o", all.at("o"));
  Named<T> ro = allocate<T>(sa::tensors(p), Role::output, T(0)), fo;
  sa::reference_forward<T>(p, in, ro);
  harness::attention::fast_forward<T>(p, in, fo);
  expect_bitwise(fo.at("o"), ro.at("o"), "o");
  Named<T> rg, fg;
  sa::reference_backward<T>(p, in, dO, rg);
  harness::attention::fast_backward<T>(p, in, dO, fg);
  for (const char* n : {"q", "k", "v"}) expect_bitwise(fg.at(n), rg.at(n), n);
}

TEST(AttentionOracle, MatchesReferenceBitwise) {
  std::vector<sa::Problem> grid = sa::Contract::test_grid(true);
  grid.push_back({2, 97, 2, 59, 59, -1, 0});
  grid.push_back({1, 130, 3, 64, 64, 37, 0});
  grid.push_back({2, 65, 1, 100, 16, 0, 0});
  std::uint64_t seed = test::test_seed();
  for (const auto& p : grid) {
    SCOPED_TRACE(testing::Message() << "B=" << p.B << " T=" << p.T << " H=" << p.H << " D=" << p.D << " Dv=" << p.Dv
                                    << " window=" << p.window << "; " << test::replay_line());
    compare<float>(p, seed);
    compare<double>(p, seed + 1);
    seed += 2;
  }
}

}  // namespace
}  // namespace menagerie
