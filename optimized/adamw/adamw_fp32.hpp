// AdamW on the device, fused over one flat fp32 arena of parameters (the GPU trainer's optimizer step). For every
// element i of the arena, at step t = 1, 2, ... (moments 0 before the first), exactly as train/adamw.cpp (torch's
// non-fused AdamW):
//   bc1 = 1 - β1^t,  bc2 = 1 - β2^t,  step_size = lr / bc1,  decay = 1 - lr wd          (on the host, in double)
//   p <- p decay;  m <- β1 m + (1 - β1) g;  v <- β2 v + (1 - β2) g^2
//   p <- p - step_size m / (sqrt(v) / sqrt(bc2) + ε)
// param, m and v are stored as fp32 and read-modified-written in place; grad is read. Each element's update is computed
// in double, as the CPU code computes it, and rounded once on each store, so the kernel differs from the CPU code in
// float only by the rounding of the stored moments. One thread per element (a grid-stride loop): no reduction, the
// same bits on every run. Frozen parameters stay outside the arena (neither stepped nor decayed).
// The launcher takes a stream, never allocates and never synchronises.
#pragma once
#include <cstdint>

#include <cuda_runtime.h>

namespace menagerie::opt::adamw {

struct Hyper {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
};

// One AdamW step (t = step >= 1, after this update) over n elements.
void step_fp32(std::int64_t n, const Hyper& h, std::int64_t step, float* param, const float* grad, float* m, float* v,
               cudaStream_t stream);

}  // namespace menagerie::opt::adamw
