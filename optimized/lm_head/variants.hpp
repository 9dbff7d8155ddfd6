// GPU variant of the tied language-model head (contract: core/ops/lm_head.hpp), h [B,T,D], weight [V,D] -> logits:
//   logits = h weight^T                     [B T, V]
//   backward: dh = dlogits weight   [B T, D];   dweight = dlogits^T h   [V, D]
//   gemm_fp32   three row-major FP32 GEMMs through cuBLAS (optimized/common/gemm.hpp: no TF32, cuBLAS's fixed
//               summation order, bitwise reproducible on one architecture). A row of logits depends on its row of h
//               only, so the map is causal bitwise for a fixed shape.
// backward_rows takes beta for dweight: 1 adds the head's gradient into the embedding's (the tied weight, one tensor
// with two uses), 0 overwrites. Launchers take a stream, never allocate (beyond cuBLAS's handle on first use) and
// never synchronise.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "core/ops/lm_head.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::lm_head {

using ops::lm_head::Problem;
using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

namespace gemm_fp32 {
std::string unsupported(const Problem& p);
std::vector<BufferSpec> buffers(const Problem& p);  // none
void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
void backward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);

void forward_rows(std::int64_t rows, std::int64_t D, std::int64_t V, const float* h, const float* weight,
                  float* logits, cudaStream_t stream);
void backward_rows(std::int64_t rows, std::int64_t D, std::int64_t V, const float* h, const float* weight,
                   const float* dlogits, float* dh, float* dweight, float beta_dweight, cudaStream_t stream);
}  // namespace gemm_fp32

}  // namespace menagerie::opt::lm_head

template <>
struct menagerie::opt::VariantTable<menagerie::ops::lm_head::Problem> {
  static std::span<const opt::lm_head::Variant> get() { return opt::lm_head::variants(); }
};
