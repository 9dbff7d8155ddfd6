// The selective scan backward's per-lane dB and dC terms (optimized/selective_scan/scan.cu), with every rounding
// written out, header-only and free of CUDA so that verify/selective_scan_lane_sums_test.cpp forms the same values.
// Per token t of a thread's 8 (i = t % 8), state index n and channel (the lane):
//   dB term  lam_t du_t,          du_t = delta_t x_t, lam_t the adjoint;
//   dC term  dy_t h_t,            h_t = a_t h_{t-1} + u_t, u_t = du_t B[t,n],
// each rounded once, then summed over the 32 lanes by additions rounded once each (warp_sum16). What these must
// reproduce is the old kernels' compiled code (verify/support/selective_scan_chunked_baseline.cuh, whose results the
// rewrite keeps bit for bit), where the source's plain a * hp + u left the choice to the compiler. Its SASS (nvcc
// 13.0 -O3 -arch=sm_90; nvdisasm of the backward kernel, float and bf16 alike; docs/recurrent-kernels.md, "dC's
// h_t, pinned") forms h_t for dC as
//   token i = 0 of the warp, n = 0..14:  fma(du_0, B[t,n], round(a_0 h_{t-1}))   (ptxas fused u_0's product, which
//                                                                             cicc had recomputed next to the add)
//   every other (i, n), n = 15 included: round(round(a_i h_{t-1}) + u_i)
// and the products lam du, dy h and the first shuffle-add as separate roundings (FMUL, then FADD). The rewrite's
// source let ptxas round u_0 + a_0 h_{t-1} separately for n < 15 as well: dC differed from the old kernels by an ulp
// in the sums of tokens 8w (H100, build of main with h-scanfast). So the choice is made here, explicitly.
#pragma once
#include <cmath>

#include "optimized/selective_scan/segment.hpp"

namespace menagerie::opt::selective_scan {

// The highest n whose token-0 state was fused in the old kernels (their last unrolled copy, n = 15, was not).
inline constexpr int kLastFusedN = 14;

MENAGERIE_SCAN_HD float mul_rn(float x, float y) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(x, y);
#else
  return x * y;
#endif
}

MENAGERIE_SCAN_HD float add_rn(float x, float y) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(x, y);
#else
  return x + y;
#endif
}

MENAGERIE_SCAN_HD float fma_rn(float x, float y, float z) {
#if defined(__CUDA_ARCH__)
  return __fmaf_rn(x, y, z);
#else
  return std::fma(x, y, z);
#endif
}

// h_t as dC uses it: ah = round(a_t h_{t-1}) (the same value the kernel's ddelta and dA use), then
// fma(du, Bv, ah) for token 0 of a warp and n <= kLastFusedN, round(ah + u) otherwise (u = round(du Bv)).
MENAGERIE_SCAN_HD float dc_state(int n, int i, float ah, float u, float du, float Bv) {
  return i == 0 && n <= kLastFusedN ? fma_rn(du, Bv, ah) : add_rn(ah, u);
}

}  // namespace menagerie::opt::selective_scan
