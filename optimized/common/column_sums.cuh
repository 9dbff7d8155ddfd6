// Fixed-order column sums on the GPU, for the reductions over rows that the backward passes end with (a layer
// norm's or RMSNorm's weight gradient over its row chunks, a position table's gradient over the batch, a short
// convolution's taps over its chunks):
//   out[c] = sum over r < rows of a[r cols + c],  a [rows, cols] row-major fp32,
// by blocks of kColumnTile columns x kColumnLanes lanes: lane y sums r = y, y + kColumnLanes, ... in increasing r, and
// the lanes' sums are added in the order y = 0, 1, ...: the same bits on every run, with kColumnLanes times the
// parallelism of one thread per column (which left a few dozen threads each a few hundred dependent loads).
// Store is a device functor store(c, value) (StoreTo writes out[c]), so that a caller can convert or scatter.
#pragma once
#include <cstdint>

#include <cuda_runtime.h>

#include "optimized/common/check.hpp"

namespace menagerie::opt {

inline constexpr int kColumnTile = 32, kColumnLanes = 8;

struct StoreTo {
  float* out;
  __device__ void operator()(std::int64_t c, float v) const { out[c] = v; }
};

template <class Store>
__global__ void __launch_bounds__(kColumnTile* kColumnLanes)
    fixed_column_sums_kernel(const float* __restrict__ a, std::int64_t rows, std::int64_t cols, Store store) {
  __shared__ float part[kColumnLanes][kColumnTile];
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * kColumnTile + threadIdx.x;
  float acc = 0.f;
  if (c < cols)
    for (std::int64_t r = threadIdx.y; r < rows; r += kColumnLanes) acc += a[r * cols + c];
  part[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y != 0 || c >= cols) return;
  float s = part[0][threadIdx.x];
  for (int y = 1; y < kColumnLanes; ++y) s += part[y][threadIdx.x];
  store(c, s);
}

template <class Store>
void fixed_column_sums(const float* a, std::int64_t rows, std::int64_t cols, Store store, cudaStream_t stream) {
  const auto tiles = static_cast<unsigned>((cols + kColumnTile - 1) / kColumnTile);
  fixed_column_sums_kernel<<<tiles, dim3(kColumnTile, kColumnLanes), 0, stream>>>(a, rows, cols, store);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace menagerie::opt
