// decay_fast(x): segment.hpp's decay() for the scan kernels, bit for bit, with expm1f replaced by expm1_half.
// expm1_half: expm1f restricted to |x| < 1/2, bit for bit the result of CUDA's expm1f (libdevice __nv_expm1f, CUDA 13.0) there,
// with the special cases that cannot occur in that range left out. The library computes, for any x,
//   j = |x| < 0.41 ? 0 : rint(x log2 e)            (0x3ED1EB85 = 0.41; here j is -1, 0 or 1)
//   f = (x - j c1) - j c2                           (c1 = 0x3F317200, c2 = 0x35BFBE8E: ln 2 in two parts, by fma)
//   p = f + f^2 (1/2 + f (c3 + f (c4 + f (c5 + f c6))))   (Horner by fma; the last step fma(f p', f, f))
//   r = fma(p, 2^j, 2^j - 1)                        (2^j by ex2.approx, exact at an integer)
// and then selects for j = 128 (doubles r), 2^j overflow (+inf), j < -25 (-1) and x = 0 (x + x, keeping -0's sign).
// For |x| < 1/2, |x log2 e| < 0.73, so j is never 128, > 128 or < -25 and those selects are the identity: what is
// left is the code below, each operation the library's, in its order, with its rounding (mul.f32 and add.f32 in the
// library's PTX are written as plain * and + here, as there, so that the compiler sees the same contractible
// operations; the fmas are the library's fma.rn).
// Cost: 19 PTX instructions against the library's 29 (constants not counted).
// verify/selective_scan_fast_gpu_test.cu compares the two on every float in (-1/2, 1/2), and decay_fast with decay()
// on every float.
#pragma once

#include "optimized/selective_scan/segment.hpp"

namespace menagerie::opt::selective_scan {

__device__ __forceinline__ float ex2_approx(float x) {
  float r;
  asm("ex2.approx.f32 %0, %1;" : "=f"(r) : "f"(x));
  return r;
}

__device__ __forceinline__ float expm1_half(float x) {
  const float t = x * __int_as_float(0x3FB8AA3B);
  const float j = fabsf(x) < __int_as_float(0x3ED1EB85) ? 0.f : rintf(t);
  const float nj = -j;
  const float f = __fmaf_rn(nj, __int_as_float(0x35BFBE8E), __fmaf_rn(nj, __int_as_float(0x3F317200), x));
  float p = __fmaf_rn(__int_as_float(0x3AB5EBE6), f, __int_as_float(0x3C095663));
  p = __fmaf_rn(p, f, __int_as_float(0x3D2AABE3));
  p = __fmaf_rn(p, f, __int_as_float(0x3E2AA9F6));
  p = __fmaf_rn(p, f, __int_as_float(0x3EFFFFFE));
  const float q = __fmaf_rn(f * p, f, f);
  const float s = ex2_approx(j);
  const float r = __fmaf_rn(q, s, s + -1.f);
  return x == 0.f ? x + x : r;
}

// decay() of segment.hpp, bit for bit, with expm1f replaced by expm1_half where |x| < 1/2 (the same bits, 19
// instructions instead of 29). x >= 1/2 (delta A > 0, outside the contract's use) takes decay() itself.
__device__ __forceinline__ Decay decay_fast(float x) {
  if (x >= 0.5f) return decay(x);
  if (x > -0.5f) {
    const float e = expm1_half(x);
    return {1.f + e, e};
  }
  const float a = expf(x);
  return {a, a - 1.f};
}

}  // namespace menagerie::opt::selective_scan
