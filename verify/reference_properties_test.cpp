// Generic properties of every operator and mixer reference in core/registry.hpp over each contract's test grid,
// through the checks of reference/conformance.hpp (the same ones `menagerie verify --cpu` prints): causality by
// perturbation (non-vacuous: a later output must change), batch independence, backward = Mp finite differences,
// float/double vs Mp, recurrent = parallel, linearity in v and time invariance where the traits declare them, and
// inputs left unmodified by forward, backward and the recurrent form. A check that does not apply is skipped with
// its reason; one that applies but examines nothing fails.
#include <gtest/gtest.h>

#include "core/registry.hpp"
#include "reference/all.hpp"
#include "reference/conformance.hpp"
#include "verify/support/env.hpp"

namespace menagerie::test {
namespace {

template <class L> struct ToTypes;
template <class... C> struct ToTypes<TypeList<C...>> { using type = ::testing::Types<C...>; };

template <class C>
class ReferenceProperties : public ::testing::Test {
 protected:
  static auto grid() { return C::test_grid(tier() == Tier::full); }
  static void expect(const ref::CheckResult& r) {
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

TYPED_TEST(ReferenceProperties, Causality) { this->expect(ref::check_causality<TypeParam>(this->grid(), test_seed())); }

TYPED_TEST(ReferenceProperties, BatchElementsAreIndependent) {
  this->expect(ref::check_batch_independence<TypeParam>(this->grid(), test_seed()));
}

TYPED_TEST(ReferenceProperties, BackwardMatchesFiniteDifferencesInMp) {
  this->expect(ref::check_gradients<TypeParam>(this->grid(), test_seed(), tier() == Tier::full ? 24 : 6));
}

TYPED_TEST(ReferenceProperties, FloatAndDoubleAgreeWithMp) {
  this->expect(ref::check_precision<TypeParam>(this->grid(), test_seed()));
}

TYPED_TEST(ReferenceProperties, RecurrentFormEqualsParallelForm) {
  this->expect(ref::check_recurrent<TypeParam>(this->grid(), test_seed()));
}

TYPED_TEST(ReferenceProperties, LinearInV) { this->expect(ref::check_linear_in_v<TypeParam>(this->grid(), test_seed())); }

TYPED_TEST(ReferenceProperties, TimeInvariant) {
  this->expect(ref::check_time_invariance<TypeParam>(this->grid(), test_seed()));
}

TYPED_TEST(ReferenceProperties, InputsLeftUnmodified) {
  this->expect(ref::check_inputs_unmodified<TypeParam>(this->grid(), test_seed()));
}

}  // namespace
}  // namespace menagerie::test
