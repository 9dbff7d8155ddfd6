// The online-softmax step shared by the bf16 flash forwards, on a score tile held as mma.m16n8 accumulators: per
// thread two rows (row0 = its group row g, and row0 + 8) and NB 8-key blocks, s[j][e] the score of row
// row0 + 8 (e >> 1), key k0 + 8j + 2c + (e & 1) (c = lane % 4; a row's keys are spread over the lane's quad).
// In log2 units (x = scale log2(e) s):
//   m' = max(m, rowmax x);  P = exp2(x - m');  l = l exp2(m - m') + rowsum P;  alpha = exp2(m - m'),
// the factor by which O must be rescaled before P V is added. A row with no visible key yet keeps m = -inf and
// P = 0 (exp2 of -inf is +0).
#pragma once
#include <cmath>

namespace menagerie::opt::softmax_attention {

// exp2 on the MUFU unit (ex2.approx.ftz: 2 ulp, flushes subnormal results; exp2(-inf) = +0).
__device__ __forceinline__ float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

// When `mask`, scores outside the causal band (key > t), past T or before the window (key < t - window) become
// -inf first; the caller passes mask = false for tiles wholly inside the band.
template <int NB>
__device__ __forceinline__ void softmax_tile(float (&s)[NB][4], float (&m)[2], float (&l)[2], float (&alpha)[2],
                                             bool mask, int k0, int row0, int c, int T, int window,
                                             float scale_log2) {
  if (mask) {
#pragma unroll
    for (int j = 0; j < NB; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int key = k0 + j * 8 + 2 * c + (e & 1), t = row0 + (e >> 1) * 8;
        const bool ok = key <= t && key < T && (window < 0 || key >= t - window);
        if (!ok) s[j][e] = -INFINITY;
      }
  }
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float mx = -INFINITY;
#pragma unroll
    for (int j = 0; j < NB; ++j) mx = fmaxf(mx, fmaxf(s[j][2 * r], s[j][2 * r + 1]));
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
    const float m_new = fmaxf(m[r], mx * scale_log2);
    const float m_use = m_new == -INFINITY ? 0.f : m_new;
    alpha[r] = fast_exp2(m[r] - m_use);
    float sum = 0.f;
#pragma unroll
    for (int j = 0; j < NB; ++j)
#pragma unroll
      for (int e = 2 * r; e < 2 * r + 2; ++e) {
        const float p = fast_exp2(fmaf(s[j][e], scale_log2, -m_use));
        s[j][e] = p;
        sum += p;
      }
    l[r] = l[r] * alpha[r] + sum;
    m[r] = m_new;
  }
}

// O *= alpha, row by row (O in the same accumulator layout, ND 8-column blocks).
template <int ND>
__device__ __forceinline__ void rescale(float (&acc)[ND][4], const float (&alpha)[2]) {
#pragma unroll
  for (int j = 0; j < ND; ++j) {
    acc[j][0] *= alpha[0];
    acc[j][1] *= alpha[0];
    acc[j][2] *= alpha[1];
    acc[j][3] *= alpha[1];
  }
}

}  // namespace menagerie::opt::softmax_attention
