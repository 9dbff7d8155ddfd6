// gemm_fp32: the tied head (core/ops/lm_head.hpp) as row-major FP32 GEMMs through cuBLAS (optimized/common/gemm.hpp),
// with R = B T rows:
//   logits [R, V] = h [R, D] weight[V, D]^T                      gemm_rm(N, T)
//   dh     [R, D] = dlogits [R, V] weight [V, D]                 gemm_rm(N, N)
//   dweight [V, D] = dlogits^T [V, R] h [R, D]  (+ beta dweight)  gemm_rm(T, N)
// No kernel of its own: host code only (a .cpp), every launch cuBLAS's.
#include <cstdint>
#include <limits>
#include <string>

#include "core/errors.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/lm_head/variants.hpp"

namespace menagerie::opt::lm_head::gemm_fp32 {

using cuda::Op;

std::string unsupported(const Problem& p) {
  constexpr std::int64_t kMax = std::numeric_limits<int>::max();
  if (p.B * p.T > kMax || p.D > kMax || p.V > kMax)
    return cat("lm_head gemm_fp32: B T = ", p.B * p.T, ", D = ", p.D, ", V = ", p.V,
               " must each fit cuBLAS's int (<= 2^31 - 1)");
  return {};
}

std::vector<BufferSpec> buffers(const Problem&) { return {}; }

void forward_rows(std::int64_t rows, std::int64_t D, std::int64_t V, const float* h, const float* weight,
                  float* logits, cudaStream_t stream) {
  cuda::gemm_rm(stream, Op::N, Op::T, rows, V, D, 1.f, h, D, weight, D, 0.f, logits);
}

void backward_rows(std::int64_t rows, std::int64_t D, std::int64_t V, const float* h, const float* weight,
                   const float* dlogits, float* dh, float* dweight, float beta_dweight, cudaStream_t stream) {
  cuda::gemm_rm(stream, Op::N, Op::N, rows, D, V, 1.f, dlogits, V, weight, D, 0.f, dh);
  cuda::gemm_rm(stream, Op::T, Op::N, V, D, rows, 1.f, dlogits, V, h, D, beta_dweight, dweight);
}

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  forward_rows(p.B * p.T, p.D, p.V, a.as<const float>("h"), a.as<const float>("weight"), a.as<float>("logits"),
               stream);
}

void backward(const Problem& p, const DeviceArgs& a, cudaStream_t stream) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  backward_rows(p.B * p.T, p.D, p.V, a.as<const float>("h"), a.as<const float>("weight"),
                a.as<const float>("dlogits"), a.as<float>("dh"), a.as<float>("dweight"), 0.f, stream);
}

}  // namespace menagerie::opt::lm_head::gemm_fp32
