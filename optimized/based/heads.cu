// The column blocks of a Based head (optimized/based/blocks.hpp has the rule and the layout): the operator problem of
// H nc heads of Dv / nc values; q and k repeated over the blocks, and their gradients summed back:
//   xr[r, h, c, j] = x[r, h, j];   x[r, h, j] = sum_{c < nc} xr[r, h, c, j]  (c ascending).
#include <cstdint>

#include "optimized/based/blocks.hpp"
#include "optimized/based/variants.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/pointwise.hpp"

namespace menagerie::opt::based {
namespace {

__global__ void repeat_kernel(const float* __restrict__ x, float* __restrict__ xr, std::int64_t f, std::int64_t nc,
                              std::int64_t n) {
  const std::int64_t i = element_index();
  if (i < n) xr[i] = x[repeat_source(i, f, nc)];
}

__global__ void sum_kernel(const float* __restrict__ xr, float* __restrict__ x, std::int64_t f, std::int64_t nc,
                           std::int64_t n) {
  const std::int64_t i = element_index();
  if (i >= n) return;
  const float* src = xr + sum_first(i, f, nc);
  float acc = 0.f;
  for (std::int64_t c = 0; c < nc; ++c) acc += src[c * f];
  x[i] = acc;
}

}  // namespace

std::int64_t column_blocks(const Problem& p) { return column_blocks(p.head_dim()); }

ops::linear_attention::Problem blocked_problem(const Problem& p) {
  auto la = mixers::based::attention_problem(p);
  const std::int64_t nc = column_blocks(p);
  la.H *= nc;
  la.Dv /= nc;
  return la;
}

void repeat_heads(const Problem& p, std::int64_t rows, const float* x, float* xr, cudaStream_t s) {
  const std::int64_t nc = column_blocks(p), n = rows * p.heads * nc * p.f;
  repeat_kernel<<<pointwise_blocks(n), kPointwiseThreads, 0, s>>>(x, xr, p.f, nc, n);
  MENAGERIE_LAUNCH_CHECK();
}

void sum_heads(const Problem& p, std::int64_t rows, const float* xr, float* x, cudaStream_t s) {
  const std::int64_t nc = column_blocks(p), n = rows * p.heads * p.f;
  sum_kernel<<<pointwise_blocks(n), kPointwiseThreads, 0, s>>>(xr, x, p.f, nc, n);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace menagerie::opt::based
