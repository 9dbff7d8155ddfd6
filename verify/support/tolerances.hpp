// The one table of tolerance floors (DESIGN.md §4): a GPU result passes when
//   relerr(kernel, oracle) <= factor * relerr(yardstick, oracle) + floor(dtype, kind)
// with factor 2 for forward outputs and 3 for gradients. The oracle is the reference in double (Mp is too slow at
// the tested lengths) on the kernel's rounded inputs; the yardstick is the reference in float on the same inputs,
// for bf16 kernels with the GEMM operands they round (attention: P and dS) rounded to bf16 as well. The bf16 floors
// cover what the yardstick does not model: bf16 outputs (a relative rounding of 2^-9), and P rounded before its
// normalisation (the kernels') rather than after (the yardstick's). Where a result is a cancellation of terms
// far larger than itself (attention's dq and dk at extreme scores, nearly one-hot rows), its relerr is measured
// against the norm of its terms' magnitudes (sum of |term|) instead of its own, for kernel and yardstick alike: no
// kernel that rounds the terms can do better, and the yardstick's own luck (exact cancellation where its Delta is
// the same sum as its dP) is not a precision.
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

inline double tolerance(Dtype d, bool gradient, double yardstick_relerr) {
  const Floor f = floor_of(d);
  return gradient ? 3 * yardstick_relerr + f.gradient : 2 * yardstick_relerr + f.forward;
}

}  // namespace menagerie::test
