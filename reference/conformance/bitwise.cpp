// The bitwise conformance checks (reference/conformance.hpp: causality, batch independence, inputs unmodified), in
// double, instantiated for every contract of core/registry.hpp.
#include "reference/conformance/dispatch.hpp"

namespace menagerie::ref::detail {

CheckResult run_causality(std::string_view id, bool full, std::uint64_t seed) {
  return for_contract(id, [&]<class C>() { return check_causality<C>(C::test_grid(full), seed); });
}

CheckResult run_batch(std::string_view id, bool full, std::uint64_t seed) {
  return for_contract(id, [&]<class C>() { return check_batch_independence<C>(C::test_grid(full), seed); });
}

CheckResult run_inputs(std::string_view id, bool full, std::uint64_t seed) {
  return for_contract(id, [&]<class C>() { return check_inputs_unmodified<C>(C::test_grid(full), seed); });
}

}  // namespace menagerie::ref::detail
