// run_check (reference/conformance_suite.hpp): the check's translation unit for a check name.
#include "reference/conformance_suite.hpp"

#include "core/errors.hpp"

namespace menagerie::ref {

CheckResult run_check(std::string_view contract_id, Check check, bool full, std::uint64_t seed) {
  switch (check) {
    case Check::causality: return detail::run_causality(contract_id, full, seed);
    case Check::batch: return detail::run_batch(contract_id, full, seed);
    case Check::gradients: return detail::run_gradients(contract_id, full, seed);
    case Check::precision: return detail::run_precision(contract_id, full, seed);
    case Check::recurrent: return detail::run_recurrent(contract_id, full, seed);
    case Check::forms: return detail::run_forms(contract_id, full, seed);
    case Check::linear_v: return detail::run_linear_v(contract_id, full, seed);
    case Check::shift: return detail::run_shift(contract_id, full, seed);
    case Check::inputs: return detail::run_inputs(contract_id, full, seed);
  }
  throw Error("run_check: unknown check");
}

}  // namespace menagerie::ref
