// Numerical checks of the ingredients of the lower bounds (docs/theory.md §4.6).
//
// Degree (Based Thm 3.2 / 3.4, JRT Thms G.6, G.7, G.11): each formal BaseConv layer multiplies two affine maps of
// its input, so an L-layer stack's output along a ray λ·u is a polynomial in λ of degree <= 2^L, and for generic
// weights exactly 2^L. Check: a random (N, L, d) formal BaseConv (dense W, per-position biases B^B, B^K, filters
// of length N, entries uniform in [-1, 1] from Philox streams) evaluated in Mp (50 digits) through
// base_conv_formal at λ = 0, 1, ..., 2^L + 1; the k-th forward difference
//   Δ^k f(0) = sum_{i=0..k} (-1)^{k-i} C(k, i) f(i)
// is k! times the leading coefficient for k = degree and 0 for k > degree. Reported relative to max |f(i)|.
//
// Capacity (Based Thm 3.1, Zoology App. H.6; an illustration, not a proof): a bounded-state model, shift + linear
// attention (reference linear_attention, identity map, no normalisation, run in its recurrent form in float) with
// random ±1/sqrt(m) key codes of dimension m and ±1 value codes of b = ceil(log2(c/2)) bits, has a state S [m, b]
// of 32 m b bits. MQAR needs D log2(c/2) bits of it; the sweep shows the accuracy (exact value recovered from the
// sign of each bit) against state bits and D.
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"
#include "theory/common.hpp"

namespace menagerie::theory {

struct DegreeCheck {
  std::int64_t layers = 0, degree = 0;  // degree = 2^layers, the claimed exact degree
  double rel_at_degree = 0;             // max over outputs |Δ^degree f(0)| / max |f|   (nonzero)
  double rel_above_degree = 0;          // max over outputs |Δ^{degree+1} f(0)| / max |f|  (0 up to Mp rounding)
};

DegreeCheck degree_along_ray(std::int64_t layers, std::int64_t N, std::int64_t d, std::uint64_t seed);

struct CapacityPoint {
  std::int64_t m = 0, D = 0, state_bits = 0, needed_bits = 0;  // 32 m b and D ceil(log2(c/2))
  Outcome outcome;
};

// The model's accuracy on clean MQAR instances with D pairs, key-code dimension m.
CapacityPoint capacity_point(std::int64_t c, std::int64_t D, std::int64_t m, const Tensor<std::int64_t>& inputs,
                             const Tensor<std::int64_t>& labels, std::uint64_t seed);

}  // namespace menagerie::theory
