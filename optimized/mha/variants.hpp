// GPU variant of Zoology's MHA mixer (contract: core/mixers/mha.hpp), u [B, T, d] -> y [B, T, d], H heads of D = d/H:
//   q, k, v = u Wqkv^T + b split "(three h D)";  o = causal softmax_attention(q, k, v);  y = o Wo^T + bo
//   composed_fp32   fp32: the projections through cuBLAS (optimized/common/gemm.hpp), the attention through the
//                   softmax_attention operator's fp32 variant its dispatcher chooses (gemm_cublas_fp32 for one head
//                   at T <= 1024, D <= 512; flash_tiled_fp32 for D <= 128 otherwise), element-wise bias kernels.
//                   optimized/common/projected_attention.{hpp,cu} has the order of operations (shared with
//                   sliding_attn).
// Launchers take a stream, never allocate (beyond cuBLAS's handle on first use) and never synchronise.
#pragma once
#include <span>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "core/mixers/mha.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::mha {

using mixers::mha::Problem;
using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

namespace composed_fp32 {
std::string unsupported(const Problem& p);
// saved: "q", "k", "v", "o" [B,T,d] (after the biases; the attention's output), "lse" and "attn_saved" (the attention
// operator's); scratch: "workspace".
std::vector<BufferSpec> buffers(const Problem& p);
void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
void backward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
}  // namespace composed_fp32

}  // namespace menagerie::opt::mha

template <>
struct menagerie::opt::VariantTable<menagerie::mixers::mha::Problem> {
  static std::span<const opt::mha::Variant> get() { return opt::mha::variants(); }
};
