// The matrix-mixer view (reference/matrix_view.hpp) of every mixer of core/registry.hpp's Mixers list, over each
// contract's test grid, with seeded random parameters and input (uniform in each spec's range; the seed is in every
// failure message):
//   finish(M·v) = reference_forward<double>            relerr <= 1e-12 (the forward is an independent code path:
//                                                      it runs the operator references, the view its own sums)
//   M is [B, C, T, T] and v [B, T, C, E]; for a causal mixer every M[b, c, t, i] with i > t is exactly 0.
// A mixer without a view is skipped by name, and ListsTheMixersWithoutAView prints them all, so the gap shows.
#include <gtest/gtest.h>

#include "reference/all.hpp"
#include "reference/conformance.hpp"
#include "reference/matrix_view.hpp"
#include "verify/support/env.hpp"

namespace menagerie::test {
namespace {

constexpr double tolerance = 1e-12;

template <class L> struct ToTypes;
template <class... C> struct ToTypes<TypeList<C...>> { using type = ::testing::Types<C...>; };

template <class C>
class MatrixViewOf : public ::testing::Test {};
struct ContractName {
  template <class C>
  static std::string GetName(int) { return std::string(C::id); }
};
TYPED_TEST_SUITE(MatrixViewOf, ToTypes<Mixers>::type, ContractName);

TYPED_TEST(MatrixViewOf, FinishOfMTimesVIsTheForward) {
  using C = TypeParam;
  using P = typename C::problem_type;
  if constexpr (!ref::has_matrix_view<P>) {
    GTEST_SKIP() << C::id << " has no matrix view yet";
  } else {
    const std::uint64_t seed = test_seed();
    int problems = 0;
    for (const P& p : C::test_grid(tier() == Tier::full)) {
      const std::string where = cat(C::id, " ", ref::detail::describe(p), "seed ", seed, " (", replay_line(), ")");
      const Named<double> in = ref::random_inputs(tensors(p), seed);
      const Named<double> out = ref::run_forward<double>(p, in);
      const Tensor<double>& y = out.at("y");
      const ref::MatrixView view = matrix_view(p, in);
      const auto& M = view.M;
      ASSERT_EQ(M.shape().size(), 4u) << where;
      ASSERT_EQ(view.v.shape().size(), 4u) << where;
      EXPECT_EQ(M.size(0), y.size(0)) << where;
      EXPECT_EQ(M.size(2), y.size(1)) << where;
      EXPECT_EQ(M.size(3), y.size(1)) << where;
      const Tensor<double> got = ref::view_output(view);
      ASSERT_EQ(got.shape(), y.shape()) << where;
      const double err = ref::relerr(got, ref::convert<Mp>(y));
      EXPECT_LE(err, tolerance) << "finish(M.v) vs forward: " << where;
      if (C::traits.causal) {
        std::int64_t nonzero = 0;
        for (std::int64_t b = 0; b < M.size(0); ++b)
          for (std::int64_t c = 0; c < M.size(1); ++c)
            for (std::int64_t t = 0; t < M.size(2); ++t)
              for (std::int64_t i = t + 1; i < M.size(3); ++i) nonzero += M(b, c, t, i) != 0.0;
        EXPECT_EQ(nonzero, 0) << "M above the diagonal of a causal mixer: " << where;
      }
      ++problems;
      std::printf("  %s %s: relerr %.2e\n", std::string(C::id).c_str(), ref::detail::describe(p).c_str(), err);
    }
    EXPECT_GT(problems, 0) << C::id << ": empty test grid";
  }
}

TEST(MatrixView, ListsTheMixersWithoutAView) {
  std::string missing;
  int with = 0;
  for_each_contract(Mixers{}, [&](auto c) {
    using C = typename decltype(c)::type;
    if constexpr (ref::has_matrix_view<typename C::problem_type>) ++with;
    else missing += (missing.empty() ? "" : ", ") + std::string(C::id);
  });
  std::printf("mixers with a matrix view: %d; without: %s\n", with, missing.empty() ? "none" : missing.c_str());
  EXPECT_GT(with, 0);
}

}  // namespace
}  // namespace menagerie::test
