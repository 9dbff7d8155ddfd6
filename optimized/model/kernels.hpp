// The GPU trainer's model-level kernels (train/gpu/): the parts of train/lm.hpp's model that no operator contract covers
// (the operators' GPU variants do the rest: layer_norm rowwise_fp32, embedding gather_fp32, lm_head gemm_fp32,
// cross_entropy labelled_fp32, adamw step_fp32). fp32 storage:
//   embed_finish     s0[i, e] = drop_e(s0[i, e] + P[i mod T, e]), s0 holding the word embeddings' gather (P may be
//                    null); drop_e(x) = x keep / (1 - p), keep by Philox word(seed, 0, i d + e) >= p 2^32
//                    (core/philox.hpp), the reference's masks (Dropout::keep); `seed` points to the step's seed in
//                    device memory (read by the kernel, so a captured CUDA graph replays with each step's seed)
//   embed_grad       g = drop_e'(ds) (the same masks and scale) and, when dP is given, dP[t, :] = sum over b of
//                    g[b T + t, :] in a fixed order (optimized/common/column_sums.cuh)
//   rms_forward      MambaBlock's RMSNorm y = x rstd ⊙ w, rstd = 1/sqrt(mean_e x² + eps); saves rstd
//   rms_backward     dx = rstd (dy ⊙ w − xhat mean(dy ⊙ w ⊙ xhat)), xhat = x rstd; dw = Σ_rows dy xhat by a
//                    fixed-order two-pass column sum (chunks of rows, then column_sums.cuh; overwritten)
//   gather_rows / scatter_rows   the labelled rows in and out of the compact [n, d] the head works on
//   argmax_rows      per row, the first index of the largest logit (torch.argmax's tie rule on the CPU)
// Row-wise kernels use one warp per row with fixed-order butterflies: every result is bitwise reproducible.
#pragma once
#include <cstdint>

#include <cuda_runtime.h>

namespace menagerie::opt::model {

void embed_finish(const float* P, std::int64_t rows, std::int64_t T, std::int64_t d, double p_drop,
                  const std::uint64_t* seed, float* s0, cudaStream_t stream);
void embed_grad(const float* ds, std::int64_t rows, std::int64_t T, std::int64_t d, double p_drop,
                const std::uint64_t* seed, float* g, float* dP, cudaStream_t stream);

// partial: >= rms_partial_floats(rows, d) floats of scratch.
std::int64_t rms_partial_floats(std::int64_t rows, std::int64_t d);
void rms_forward(const float* x, const float* w, std::int64_t rows, std::int64_t d, double eps, float* y, float* rstd,
                 cudaStream_t stream);
void rms_backward(const float* dy, const float* x, const float* w, const float* rstd, std::int64_t rows,
                  std::int64_t d, float* dx, float* dw, float* partial, cudaStream_t stream);

// out[i] = a[i] + b[i].
void add(const float* a, const float* b, float* out, std::int64_t n, cudaStream_t stream);
// dst[k, :] = src[rows[k], :] (gather), or, scatter, dst[rows[k], :] = src[k, :] (other rows untouched).
void gather_rows(const float* src, const std::int32_t* rows, std::int64_t n, std::int64_t d, float* dst,
                 cudaStream_t stream);
void scatter_rows(const float* src, const std::int32_t* rows, std::int64_t n, std::int64_t d, float* dst,
                  cudaStream_t stream);
void argmax_rows(const float* z, std::int64_t n, std::int64_t V, std::int32_t* best, cudaStream_t stream);

}  // namespace menagerie::opt::model
