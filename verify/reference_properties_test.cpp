// Generic properties of every operator and mixer reference in core/registry.hpp over each contract's test grid,
// through reference/conformance_suite.hpp (the checks `menagerie verify --cpu` prints, compiled once): causality by
// perturbation (non-vacuous: a later output must change), batch independence, backward = Mp finite differences,
// float/double vs Mp, recurrent = parallel, every other form the reference lists = its forward, linearity in v and
// time invariance where the traits declare them, and inputs left unmodified by forward, backward and the other forms. A check that does not apply is skipped with
// its reason; one that applies but examines nothing fails.
#include <gtest/gtest.h>

#include "core/registry.hpp"
#include "reference/conformance_suite.hpp"
#include "verify/support/env.hpp"

namespace menagerie::test {
namespace {

template <class L> struct ToTypes;
template <class... C> struct ToTypes<TypeList<C...>> { using type = ::testing::Types<C...>; };

template <class C>
class ReferenceProperties : public ::testing::Test {
 protected:
  static void expect(ref::Check check) {
    const ref::CheckResult r = ref::run_check(C::id, check, tier() == Tier::full, test_seed());
    if (r.skipped) GTEST_SKIP() << r.id << ": " << r.check << " does not apply: " << r.detail;
    EXPECT_GT(r.cases, 0) << r.id << ": " << r.check << " examined nothing"
                          << (r.void_cases ? cat(" (", r.void_cases, " void cases: the perturbation changed no output",
                                                 " it could have changed)")
                                           : std::string(" (no case changed an input)"));
    EXPECT_TRUE(r.pass) << r.id << " " << r.check << ": worst " << r.worst << " > tolerance " << r.tolerance
                        << "; first failure: " << r.detail;
  }
};
struct ContractName {
  template <class C>
  static std::string GetName(int) { return std::string(C::id); }
};
TYPED_TEST_SUITE(ReferenceProperties, ToTypes<AllContracts>::type, ContractName);

TYPED_TEST(ReferenceProperties, Causality) { this->expect(ref::Check::causality); }
TYPED_TEST(ReferenceProperties, BatchElementsAreIndependent) { this->expect(ref::Check::batch); }
TYPED_TEST(ReferenceProperties, BackwardMatchesFiniteDifferencesInMp) { this->expect(ref::Check::gradients); }
TYPED_TEST(ReferenceProperties, FloatAndDoubleAgreeWithMp) { this->expect(ref::Check::precision); }
TYPED_TEST(ReferenceProperties, RecurrentFormEqualsParallelForm) { this->expect(ref::Check::recurrent); }
TYPED_TEST(ReferenceProperties, OtherFormsEqualForward) { this->expect(ref::Check::forms); }
TYPED_TEST(ReferenceProperties, LinearInV) { this->expect(ref::Check::linear_v); }
TYPED_TEST(ReferenceProperties, TimeInvariant) { this->expect(ref::Check::shift); }
TYPED_TEST(ReferenceProperties, InputsLeftUnmodified) { this->expect(ref::Check::inputs); }

}  // namespace
}  // namespace menagerie::test
