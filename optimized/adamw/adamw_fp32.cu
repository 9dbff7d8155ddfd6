// step_fp32: the fused AdamW step (adamw_fp32.hpp has the math). The bias corrections are formed once on the host in
// double, as train/adamw.cpp forms them; each thread updates its elements in double and rounds p, m, v once.
#include <cmath>
#include <cstdint>

#include "core/errors.hpp"
#include "optimized/adamw/adamw_fp32.hpp"
#include "optimized/common/check.hpp"

namespace menagerie::opt::adamw {
namespace {

constexpr int kThreads = 256;
constexpr unsigned kMaxBlocks = 65535u * 16u;

struct Coefficients {
  double beta1, beta2, one_minus_beta1, one_minus_beta2, eps, step_size, bc2_sqrt, decay;
};

__global__ void __launch_bounds__(kThreads) step_kernel(std::int64_t n, Coefficients c, float* __restrict__ p,
                                                        const float* __restrict__ g, float* __restrict__ m,
                                                        float* __restrict__ v) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * kThreads;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < n; i += stride) {
    const double gi = static_cast<double>(g[i]);
    double pi = static_cast<double>(p[i]) * c.decay;
    const double mi = c.beta1 * static_cast<double>(m[i]) + c.one_minus_beta1 * gi;
    const double vi = c.beta2 * static_cast<double>(v[i]) + c.one_minus_beta2 * gi * gi;
    pi -= c.step_size * mi / (sqrt(vi) / c.bc2_sqrt + c.eps);
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
    p[i] = static_cast<float>(pi);
  }
}

}  // namespace

void step_fp32(std::int64_t n, const Hyper& h, std::int64_t step, float* param, const float* grad, float* m, float* v,
               cudaStream_t stream) {
  require<InputError>(step >= 1, "adamw step_fp32: step = ", step, " must be >= 1");
  require<ShapeError>(n >= 0, "adamw step_fp32: n = ", n, " must be >= 0");
  if (n == 0) return;
  const double bc1 = 1 - std::pow(h.beta1, static_cast<double>(step));
  const double bc2 = 1 - std::pow(h.beta2, static_cast<double>(step));
  const Coefficients c{h.beta1, h.beta2, 1 - h.beta1, 1 - h.beta2, h.eps, h.lr / bc1, std::sqrt(bc2),
                       1 - h.lr * h.weight_decay};
  const std::int64_t want = (n + kThreads - 1) / kThreads;
  const unsigned blocks = want < kMaxBlocks ? static_cast<unsigned>(want) : kMaxBlocks;
  step_kernel<<<blocks, kThreads, 0, stream>>>(n, c, param, grad, m, v);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace menagerie::opt::adamw
