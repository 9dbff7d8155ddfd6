// The oracle scalar: 50 significant decimal digits (Boost cpp_bin_float_50), expression templates off so that
// templated references written for float/double compile unchanged. The only place Boost.Multiprecision is named;
// it never reaches nvcc (reference/ is host-only).
#pragma once
#include <boost/multiprecision/cpp_bin_float.hpp>

namespace menagerie {

using Mp = boost::multiprecision::number<boost::multiprecision::cpp_bin_float<50>, boost::multiprecision::et_off>;

}  // namespace menagerie
