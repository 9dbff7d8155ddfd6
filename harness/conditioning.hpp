// Which gradients carry the conditioning term of the tolerance rule (harness/tolerance.hpp), and their terms' norms.
// A gradient that is a sum over (b, t) of terms of mixed sign (a parameter gradient of a recurrence) may cancel to far
// below its terms, and then its relative error is a random walk of the terms' roundings that one yardstick draw does
// not measure. An operator opts in per gradient by specialising Conditioning<Problem>:
//   static std::map<std::string, double> term_norms(p, in, d_out)
// returning, for each opted-in input name x (the gradient dx), ||terms||_2 over all summed terms and dx's elements,
// computed in double by the oracle's arithmetic on the same inputs (harness::check_accuracy adds
// conditioning_term(||terms||_2, ||oracle||_2) to that gradient's tolerance). No operator opts in by default.
//   wkv: dtime_first and dtime_decay (reference/wkv_terms.hpp: the sums and their terms).
#pragma once
#include <map>
#include <string>

#include "core/contract.hpp"
#include "core/ops/wkv.hpp"
#include "reference/wkv_terms.hpp"

namespace menagerie::harness {

template <class P>
struct Conditioning {};

template <>
struct Conditioning<ops::wkv::Problem> {
  static std::map<std::string, double> term_norms(const ops::wkv::Problem& p, const Named<double>& in,
                                                  const Named<double>& d_out) {
    const auto n = ops::wkv::parameter_term_norms(p, in, d_out);
    return {{"time_first", n.time_first}, {"time_decay", n.time_decay}};
  }
};

template <class P>
constexpr bool has_conditioning =
    requires(const P& p, const Named<double>& m) { Conditioning<P>::term_norms(p, m, m); };

// ||terms||_2 of each opted-in gradient of p (input name -> norm); empty where the operator has none.
template <class P>
std::map<std::string, double> conditioned_term_norms(const P& p, const Named<double>& in, const Named<double>& d_out) {
  if constexpr (has_conditioning<P>)
    return Conditioning<P>::term_norms(p, in, d_out);
  else
    return {};
}

}  // namespace menagerie::harness
