// Numerical helpers of the conformance checks (reference/conformance.hpp, verify/): converting named tensors
// between scalars, seeded O(1) inputs drawn from each spec's range, and the relative L2 error
// relerr(x, ref) = ||x - ref||_2 / ||ref||_2 computed in Mp.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>

#include "core/contract.hpp"
#include "core/random.hpp"
#include "reference/mp.hpp"

namespace menagerie::ref {

template <class U, class T>
Tensor<U> convert(const Tensor<T>& x) {
  Tensor<U> y(x.shape());
  for (std::int64_t i = 0; i < x.numel(); ++i) y.data()[i] = static_cast<U>(x.data()[i]);
  return y;
}

template <class U, class T>
Named<U> convert(const Named<T>& m) {
  Named<U> out;
  for (const auto& [name, t] : m) out.emplace(name, convert<U>(t));
  return out;
}

// Inputs and params of a contract, uniform in each spec's [lo, hi], one Philox stream per tensor.
inline Named<double> random_inputs(const std::vector<TensorSpec>& specs, std::uint64_t seed) {
  Named<double> out;
  std::uint64_t stream = 0;
  for (const auto& s : specs) {
    ++stream;
    if (s.role == Role::output) continue;
    Tensor<double> t(s.shape);
    fill_uniform(t.view(), seed, stream, s.lo, s.hi);
    out.emplace(s.name, std::move(t));
  }
  return out;
}

template <class T>
double relerr(const Tensor<T>& x, const Tensor<Mp>& ref) {
  Mp num = 0, den = 0;
  for (std::int64_t i = 0; i < ref.numel(); ++i) {
    const Mp d = Mp(x.data()[i]) - ref.data()[i];
    num += d * d;
    den += ref.data()[i] * ref.data()[i];
  }
  if (den == 0) return num == 0 ? 0.0 : INFINITY;
  return static_cast<double>(sqrt(num / den));
}

template <class T>
bool all_finite(const Tensor<T>& x) {
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    using std::isfinite;
    if (!isfinite(static_cast<double>(x.data()[i]))) return false;
  }
  return true;
}

}  // namespace menagerie::ref
