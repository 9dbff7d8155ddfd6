// The tolerance rule (docs/gpu-harness.md), the one place its numbers live. A GPU result passes when
//   relerr(kernel, oracle) <= factor * relerr(yardstick, oracle) + floor
//   factor = 2 for forward outputs, 3 for gradients (FlashAttention's rule)
//   oracle    = the reference in double on the kernel's rounded inputs (Mp is too slow at the tested lengths)
//   yardstick = the reference in float on the same inputs, modelling the kernel's precision: its outputs rounded
//               to the kernel's storage dtype (bf16 outputs carry a relative rounding of up to 2^-9), and for bf16
//               kernels the GEMM operands they round (attention: P and dS) rounded too (harness/yardstick.hpp)
//   floor     = 2^-22, two units of fp32 rounding in the normalised error: what separates "exact" from "exact up
//               to summation order" where the yardstick happens to be exact (softmax at T = 1, a zero gradient
//               measured against the problem's gradient scale). Nothing else: the dtype's rounding and the
//               problem's magnitudes enter through the yardstick, so the rule binds at every size: a kernel whose
//               error is 5x the yardstick's fails wherever the yardstick's error exceeds 2^-22 / 3 (checked by
//               verify/tolerance_rule_test.cpp).
// Where an oracle is identically zero (a gradient no input influences, e.g. dq at T = 1), errors are measured
// against the root mean square of all the problem's gradient oracles instead of its own norm.
// The extreme-score regime of softmax attention (scores ~1e4, nearly one-hot rows) measures dq and dk against their
// terms' magnitudes (harness/attention_oracle.hpp) and allows factor_extreme plus extreme_floor(max |score|): one
// fp32 rounding unit of the largest score, 2^-24 max|s|, the absolute error of a rounded score that exp() turns into a
// relative error of P. The yardstick cannot model it: it computes P once, while a flash backward recomputes P from
// saved row statistics and takes Delta from the forward's o, so at |s| ~ 1e4 their P differ by that much (the H100
// run: flash bf16 dq, dk 2e-4 to 3.5e-4 of their terms against a float yardstick of 1e-8 to 5e-7).
// Conditioning term, opt-in per operator and gradient (harness/conditioning.hpp; WKV's dtime_first and dtime_decay):
// a gradient that is a sum of many terms of mixed sign over (b, t) gets
//   tolerance += conditioning_term = factor_conditioning 2^-24 ||terms||_2 / ||oracle||_2
// Derivation: each term x_i is computed with a relative error of a few units of fp32 rounding, |d_i| <= c 2^-24,
// independent between terms, so the sum's error is a random walk of size about c 2^-24 ||x||_2; relative to the
// result that is c 2^-24 ||x||_2 / ||sum x||_2, large where the terms cancel. The yardstick is one draw of that walk
// and can be lucky: on the H100's failing draw (WKV, B 3, T 17, D 1) the float reference's own algorithm failed the
// 3x rule for 42% of valid expf (docs/recurrent-kernels.md, "WKV's dtime_first on a cancelling sum"). c = 8
// (factor_extreme's value): in host emulations of the kernels' dtime_first arithmetic with valid expf, 0 failures in
// 3600 runs (worst ratio 0.88) at the shapes where the sum cancels; c = 4 gave 6. Where the terms share a sign,
// ||x||_2 <= |sum x| and the term is at most 8 units of fp32 rounding (4.8e-7): the loss of sensitivity is confined
// to sums that cancel.
// TF32 and bf16 GEMMs (the GPU trainer's "precision": "tf32" / "bf16", verify/train_gpu_test.cpp): each GEMM operand
// is rounded to 10 (TF32, by cuBLAS) or 7 (bf16, by gemm_rm) mantissa bits, unit roundoff 2^-11 or 2^-8 against
// fp32's 2^-24, and the products accumulate in fp32. The float yardstick's error is made of fp32 roundings; a computation whose every rounding were
// TF32's (bf16's) would err up to 2^13 (2^16) times more, so such a result passes when relerr <= factor x
// tolerance(...), the whole rule (its floor too) scaled. An upper bound, since the non-GEMM arithmetic stays fp32: it
// catches an operand or a mode gone wrong (errors of O(1)), not an error a few times the format's own.
#pragma once

namespace menagerie::harness {

inline constexpr double floor_relerr = 0x1p-22;
inline constexpr double factor_forward = 2, factor_gradient = 3, factor_extreme = 8;

inline constexpr double factor_conditioning = 8;
inline constexpr double factor_tf32 = 0x1p13, factor_bf16 = 0x1p16;

inline double extreme_floor(double max_abs_score) { return 0x1p-24 * max_abs_score; }

// The conditioning term of a sum whose terms have 2-norm terms_norm, relative to `scale` (the oracle's norm, or
// the scale its relerr is measured against); 0 where scale is 0.
inline double conditioning_term(double terms_norm, double scale) {
  return scale > 0 ? factor_conditioning * 0x1p-24 * terms_norm / scale : 0.0;
}

inline double tolerance(bool gradient, double yardstick_relerr, double factor = 0) {
  const double f = factor > 0 ? factor : gradient ? factor_gradient : factor_forward;
  return f * yardstick_relerr + floor_relerr;
}

}  // namespace menagerie::harness
