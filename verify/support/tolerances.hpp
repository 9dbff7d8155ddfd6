// The one table of tolerance floors (DESIGN.md §4): a GPU result passes when
//   relerr(kernel, oracle) <= factor * relerr(yardstick, oracle) + floor(dtype, kind)
// with factor 2 for forward outputs and 3 for gradients. The oracle is the reference in double (Mp is too slow at
// the tested lengths) on the kernel's rounded inputs; the yardstick is the reference in float on the same inputs.
// The bf16 floors cover what no float yardstick sees: P (and dS) rounded to bf16 before the second GEMM, and
// bf16 outputs (a relative rounding of 2^-9).
#pragma once

namespace menagerie::test {

enum class Dtype { f32, bf16 };

struct Floor {
  double forward;
  double gradient;
};

inline constexpr Floor floor_of(Dtype d) {
  switch (d) {
    case Dtype::f32: return {1e-6, 1e-5};
    case Dtype::bf16: return {1e-2, 2e-2};
  }
  return {0, 0};
}

// Backward at extreme scores (|scale q.k| ~ 1e4, verify's ExtremeScoresStayFinite): the saved fp32 log-sum-exp of
// magnitude ~1e4 carries an absolute rounding of ~1e-3, so P = exp(s - lse) recomputed in the backward is off by
// ~1e-3 relative whatever the kernel does (the float yardstick recomputes nothing); bf16 adds dS rounded to bf16
// and multiplied by keys of magnitude ~175. The rule's floor there is this one.
inline constexpr double extreme_gradient_floor(Dtype d) { return d == Dtype::f32 ? 2e-3 : 0.15; }

inline double tolerance(Dtype d, bool gradient, double yardstick_relerr) {
  const Floor f = floor_of(d);
  return gradient ? 3 * yardstick_relerr + f.gradient : 2 * yardstick_relerr + f.forward;
}

}  // namespace menagerie::test
