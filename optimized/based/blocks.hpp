// The column blocks of a Based head on the GPU (optimized/based/variants.hpp), header-only and free of CUDA so that
// the CPU tests check the same rule and layout (verify/based_blocks_test.cpp). linear_attention chunked_smem takes
// value dims Dv <= 64, so a head of Dv values runs as nc blocks of Dc = Dv / nc, nc the least divisor of Dv with
// Dv / nc <= 64. Block c of head h is head h nc + c of the operator, with the head's own q and k: o's columns c Dc ..
// (c + 1) Dc - 1 depend on v's same columns only, and the denominator sum_s phi(q_t) . phi(k_s) + eps is every
// block's. So v, o [rows, H, Dv] are already [rows, H nc, Dc]; q, k [rows, H, f] are repeated,
//   xr[r, h, c, j] = x[r, h, j]      (flat: xr[i] = x[repeat_source(i, f, nc)]),
// and the gradients of the repeats are summed back:  dx[r, h, j] = sum_{c < nc} dxr[r, h, c, j].
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define MENAGERIE_BASED_HD __host__ __device__
#else
#define MENAGERIE_BASED_HD
#endif

namespace menagerie::opt::based {

inline constexpr std::int64_t kMaxBlock = 64;  // linear_attention chunked_smem's Dv limit

// nc for a head of Dv >= 1 values.
inline std::int64_t column_blocks(std::int64_t Dv) {
  std::int64_t nc = (Dv + kMaxBlock - 1) / kMaxBlock;
  while (Dv % nc != 0) ++nc;
  return nc;
}

// The element of x [rows, H, f] that element i of its repeat xr [rows, H, nc, f] copies.
MENAGERIE_BASED_HD inline std::int64_t repeat_source(std::int64_t i, std::int64_t f, std::int64_t nc) {
  return i / (f * nc) * f + i % f;
}

// The first element of xr [rows, H, nc, f] that the sum for element i of dx [rows, H, f] reads (then every f-th).
MENAGERIE_BASED_HD inline std::int64_t sum_first(std::int64_t i, std::int64_t f, std::int64_t nc) {
  return i / f * nc * f + i % f;
}

}  // namespace menagerie::opt::based
