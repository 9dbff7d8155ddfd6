// What the flash forwards save for their backward (ForwardArgs::saved), and the device helpers that write and read
// it. First, per query row (b, h, t) at [(b H + h) T + t], the forward's final running max m and log2 of its
// normaliser l, both in the kernels' log2 units (x = scale log2(e) q.k); the backward recomputes
//   P = exp2((x - m) - log2 l),
// where x - m is small and exact to a rounding, so P is as accurate as the forward's. (Recomputed from the natural
// lse, P = exp2(x - log2(e) lse), an fp32 lse of magnitude |x| ~ 1e4 carries an absolute rounding of ~5e-4 that
// every P of its row inherits as a relative error.) Then, for the bf16 kernels, o's rounding residual
// o_lo = bf16(o - bf16(o)) [B, T, H, Dv], so that Delta = dO . (o + o_lo) sees o to ~2^-17: from the bf16 o alone,
// a nearly one-hot row's o rounds onto its top value and Delta loses the small terms that dS of that value is
// made of.
#pragma once
#include <cstddef>
#include <cstdint>

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "optimized/softmax_attention/variants.hpp"

namespace menagerie::opt::softmax_attention {

inline std::size_t row_stats_bytes(const Problem& p) {
  return static_cast<std::size_t>(p.B * p.H * p.T) * sizeof(float2);
}
inline std::size_t bf16_saved_bytes(const Problem& p) {
  return row_stats_bytes(p) + static_cast<std::size_t>(p.B * p.T * p.H * p.Dv) * sizeof(__nv_bfloat16);
}
inline __nv_bfloat16* saved_o_lo(const Problem& p, void* saved) {
  return reinterpret_cast<__nv_bfloat16*>(static_cast<unsigned char*>(saved) + row_stats_bytes(p));
}
inline const __nv_bfloat16* saved_o_lo(const Problem& p, const void* saved) {
  return reinterpret_cast<const __nv_bfloat16*>(static_cast<const unsigned char*>(saved) + row_stats_bytes(p));
}

// log2 P of raw score s (q.k, unscaled) under the row's statistics.
__device__ __forceinline__ float log2_p(float s, float scale_log2, float2 stats) {
  return fmaf(s, scale_log2, -stats.x) - stats.y;
}

// lse[row] = ln(2) (m + log2 l), rounded once, and the row statistics.
__device__ __forceinline__ void store_row_stats(float* lse, float2* stats, std::int64_t row, float m, float l) {
  const float log2_l = log2f(l);
  lse[row] = fmaf(m, 0.6931471805599453f, log2_l * 0.6931471805599453f);
  stats[row] = make_float2(m, log2_l);
}

// o[at], o[at + 1] rounded to bf16, and their residuals into o_lo.
__device__ __forceinline__ void store_o_pair(__nv_bfloat16* o, __nv_bfloat16* o_lo, std::int64_t at, float o0,
                                             float o1) {
  const __nv_bfloat162 hi = __floats2bfloat162_rn(o0, o1);
  *reinterpret_cast<__nv_bfloat162*>(o + at) = hi;
  *reinterpret_cast<__nv_bfloat162*>(o_lo + at) =
      __floats2bfloat162_rn(o0 - __low2float(hi), o1 - __high2float(hi));
}

}  // namespace menagerie::opt::softmax_attention
