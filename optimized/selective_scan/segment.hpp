// The selective scan's per-segment arithmetic (optimized/selective_scan/scan.cu), header-only and free of CUDA so
// that a CPU test (verify/selective_scan_segments_test.cpp) runs the same fp32 operations. The scan is the linear
// recurrence h_t = a_t h_{t-1} + u_t, a_t = exp(delta_t A) in (0, 1]; over a segment of tokens it composes as
//   h_end = P h_start + hl,   P = prod a_t,   hl = the segment's state folded from h_start = 0,
// and the kernel folds its 8-token segments in parallel, then composes them in order. Near a = 1 (delta A ~ -1e-5) the
// composition needs 1 - P to its own relative precision, which an fp32 product of the a_t does not give (below).
#pragma once
#include <cmath>

#if defined(__CUDACC__)
#define MENAGERIE_SCAN_HD __host__ __device__ __forceinline__
#else
#define MENAGERIE_SCAN_HD inline
#endif

namespace menagerie::opt::selective_scan {

// The decay a = exp(x), x = delta A <= 0, and e = a - 1, each correctly rounded near 1: expf's error of up to 2
// units in the last place is a relative error of up to 2^-22 / |x| in the decay rate 1 - a, which at delta ~ 1e-4
// (decays near 1, a memory of thousands of tokens) biased the scan (an H100 measured y 6x and the gradients 12x the
// float yardstick's error at delta x 1e-3), so above x = -1/2 a = 1 + expm1f(x), rounded once from a quantity exact
// to an ulp; below, expf (1 + expm1f would cancel) and e = a - 1 (exact there: a >= 1/2 by Sterbenz where Q is used).
struct Decay {
  float a, e;
};
MENAGERIE_SCAN_HD Decay decay(float x) {
  if (x > -0.5f) {
    const float e = expm1f(x);
    return {1.f + e, e};
  }
  const float a = expf(x);
  return {a, a - 1.f};
}

// A segment's decay product P = prod a_t, and Q = P - 1 (to which the composition is sensitive where P is near 1).
// The fp32 product of decays near 1 is biased: (1 - e1)(1 - e2) = 1 - e1 - e2 + e1 e2 rounds e1 e2 away whenever it is
// below half a unit of 1 (2^-25), so each multiplication shrinks P by about e1 e2, always downwards. At delta x 1e-3,
// A x 0.1 (e ~ 4e-5; 1 - P ~ 3.4e-4 over 8 tokens) the mean relative error of P is -3.3e-8 per segment (host emulation of
// this kernel's arithmetic): a bias of the same sign in each of the 512 segments of T = 4096 through which the oldest
// tokens' contributions are carried, and the scan's y came out 3x, its gradients 5x the float reference's error (on
// the H100: y 4.2x, ddelta 4.9x, dA 5.7x). Q <- Q + e + Q e accumulates P - 1 with relative rounding in 1 - P itself,
// unbiased (its mean relative error -1e-10 in the same emulation).
MENAGERIE_SCAN_HD void segment_decay(const Decay& d, float& P, float& Q) {
  P *= d.a;
  Q = fmaf(Q, d.e, Q + d.e);
}

// The composition H_out = P H + hl of a segment onto its incoming state (or adjoint). Where P >= 1/2 it is formed as
// H + (Q H + hl) from Q = P - 1, which carries no rounding of P (the sequential scan's roundings are those of h itself);
// below 1/2 P is relatively exact and so is P H.
MENAGERIE_SCAN_HD float compose(float P, float Q, float H, float hl) {
  return P >= 0.5f ? H + fmaf(Q, H, hl) : fmaf(P, H, hl);
}

}  // namespace menagerie::opt::selective_scan
