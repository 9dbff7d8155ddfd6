// The conformance checks of reference/conformance.hpp, run on any contract of core/registry.hpp by its id.
// Both callers (verify/reference_properties_test.cpp and `menagerie verify --cpu`) go through run_check, so the check
// templates (the heaviest template work of the build) are instantiated once, in reference/conformance/bitwise.cpp
// and mp.cpp, rather than in each caller.
//   run_check(id, check, full, seed): check over C::test_grid(full) for the contract C with C::id == id, with the
//   gradient check sampling 24 elements per problem on the full grid and 6 otherwise.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "reference/conformance.hpp"

namespace menagerie::ref {

enum class Check { causality, batch, gradients, precision, recurrent, forms, linear_v, shift, inputs };
inline constexpr std::array<Check, 9> all_checks = {Check::causality, Check::batch,    Check::gradients,
                                                    Check::precision, Check::recurrent, Check::forms,
                                                    Check::linear_v,  Check::shift,     Check::inputs};

// Throws InputError naming the id and the known ids when no contract has this id.
CheckResult run_check(std::string_view contract_id, Check check, bool full, std::uint64_t seed);

namespace detail {
CheckResult run_causality(std::string_view id, bool full, std::uint64_t seed);
CheckResult run_batch(std::string_view id, bool full, std::uint64_t seed);
CheckResult run_gradients(std::string_view id, bool full, std::uint64_t seed);
CheckResult run_precision(std::string_view id, bool full, std::uint64_t seed);
CheckResult run_recurrent(std::string_view id, bool full, std::uint64_t seed);
CheckResult run_forms(std::string_view id, bool full, std::uint64_t seed);
CheckResult run_linear_v(std::string_view id, bool full, std::uint64_t seed);
CheckResult run_shift(std::string_view id, bool full, std::uint64_t seed);
CheckResult run_inputs(std::string_view id, bool full, std::uint64_t seed);
}  // namespace detail

}  // namespace menagerie::ref
