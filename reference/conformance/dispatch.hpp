// for_contract(id, f): f.template operator()<C>() for the contract C of core/registry.hpp whose id is `id`; the one
// place the conformance checks (reference/conformance/*.cpp) go from a run-time id to a contract type.
#pragma once
#include <string>
#include <string_view>

#include "core/errors.hpp"
#include "core/registry.hpp"
#include "reference/all.hpp"
#include "reference/conformance_suite.hpp"

namespace menagerie::ref::detail {

template <class F, class... C>
CheckResult for_contract(std::string_view id, F&& f, TypeList<C...> list) {
  CheckResult r;
  const bool found = ((C::id == id ? (r = f.template operator()<C>(), true) : false) || ...);
  if (!found) throw InputError(cat("contract ", id, ": unknown id, expected one of ", contract_ids(list)));
  return r;
}

template <class F>
CheckResult for_contract(std::string_view id, F&& f) {
  return for_contract(id, f, AllContracts{});
}

}  // namespace menagerie::ref::detail
