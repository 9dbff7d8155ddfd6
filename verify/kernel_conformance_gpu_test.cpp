// The GPU conformance suite: every variant of every operator with kernels (harness/kernels.hpp, found from
// core/registry.hpp), on its contract's gpu_grid, through the same checks `menagerie verify --gpu` prints:
// accuracy of every output and input gradient against the reference by the rule of harness/tolerance.hpp (outputs,
// saved state and gradients NaN-filled before each launch), causality with a non-vacuity assertion, and bitwise
// run-to-run determinism of everything the variant does not declare nondeterministic. A variant no grid problem
// exercises fails. MENAGERIE_GPU_MAX_T caps T (the compute-sanitizer runs set it); MENAGERIE_TEST_TIER=full adds
// the contracts' long problems.
#include <gtest/gtest.h>

#include <cstdio>

#include "harness/kernels.hpp"
#include "optimized/common/device.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

template <class L> struct ToTypes;
template <class... C> struct ToTypes<TypeList<C...>> { using type = ::testing::Types<C...>; };

template <class C>
class KernelConformance : public ::testing::Test {};
struct ContractName {
  template <class C>
  static std::string GetName(int) { return std::string(C::id); }
};
TYPED_TEST_SUITE(KernelConformance, ToTypes<harness::KernelContracts>::type, ContractName);

TYPED_TEST(KernelConformance, EveryVariantMatchesTheReferenceIsCausalAndDeterministic) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const auto log = [](const std::string& line) { std::printf("%s\n", line.c_str()), std::fflush(stdout); };
  const auto table = harness::variants_of<TypeParam>();
  ASSERT_FALSE(table.empty());
  for (const auto& v : table) {
    for (const auto& r : harness::conformance<TypeParam>(v, test::tier() == test::Tier::full, test::test_seed(), log)) {
      std::printf("%s %s %s %s: %d cases, worst ratio %.3f %s\n", r.id.c_str(), r.variant.c_str(), r.dtype.c_str(),
                  r.check.c_str(), r.cases, r.worst_ratio, r.pass ? "ok" : "FAIL");
      EXPECT_TRUE(r.pass) << r.id << " " << r.variant << " " << r.check << ": " << r.worst_at << " (" << r.cases
                          << " cases); replay with " << test::replay_line();
    }
  }
}

}  // namespace
}  // namespace menagerie
