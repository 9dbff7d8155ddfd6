// The conformance numerics of reference/numerics.hpp (convert, random_inputs, relerr, all_finite), named in the
// tests' namespace.
#pragma once
#include "reference/numerics.hpp"

namespace menagerie::test {

using ref::all_finite;
using ref::convert;
using ref::random_inputs;
using ref::relerr;

}  // namespace menagerie::test
