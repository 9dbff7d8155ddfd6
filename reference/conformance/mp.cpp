// The conformance checks in Mp and in units of eps (reference/conformance.hpp: gradients against finite differences,
// float and double against Mp, recurrent against parallel, other forms against the forward, linearity in v, time
// invariance), instantiated for every contract of core/registry.hpp.
#include "reference/conformance/dispatch.hpp"

namespace menagerie::ref::detail {

CheckResult run_gradients(std::string_view id, bool full, std::uint64_t seed) {
  return for_contract(id, [&]<class C>() { return check_gradients<C>(C::test_grid(full), seed, full ? 24 : 6); });
}

CheckResult run_precision(std::string_view id, bool full, std::uint64_t seed) {
  return for_contract(id, [&]<class C>() { return check_precision<C>(C::test_grid(full), seed); });
}

CheckResult run_recurrent(std::string_view id, bool full, std::uint64_t seed) {
  return for_contract(id, [&]<class C>() { return check_recurrent<C>(C::test_grid(full), seed); });
}

CheckResult run_forms(std::string_view id, bool full, std::uint64_t seed) {
  return for_contract(id, [&]<class C>() { return check_forms<C>(C::test_grid(full), seed); });
}

CheckResult run_linear_v(std::string_view id, bool full, std::uint64_t seed) {
  return for_contract(id, [&]<class C>() { return check_linear_in_v<C>(C::test_grid(full), seed); });
}

CheckResult run_shift(std::string_view id, bool full, std::uint64_t seed) {
  return for_contract(id, [&]<class C>() { return check_time_invariance<C>(C::test_grid(full), seed); });
}

}  // namespace menagerie::ref::detail
