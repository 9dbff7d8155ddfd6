// GPU variants of Zoology's SlidingAttn mixer (contract: core/mixers/sliding_attn.hpp), u [B, T, d] -> y [B, T, d],
// one head of D = d, window w (query t sees keys s in [max(0, t - w), t]):
//   q, k, v = u Wqkv^T + b (split by thirds);  o = softmax_attention(q, k, v; window w);  y = o Wo^T + bo
//   composed_fp32   fp32: the projections through cuBLAS (optimized/common/gemm.hpp), the windowed attention
//                   through the softmax_attention operator's fp32 variant its dispatcher chooses (both have the
//                   window in their masks: gemm_cublas_fp32 for T <= 1024 and d <= 512, flash_tiled_fp32 for
//                   d <= 128), element-wise bias kernels; optimized/common/projected_attention.{hpp,cu}.
//   step_fp32       the recurrent (decoding) form, one token at a time against a ring of the last w + 1 keys and
//                   values of each sequence: per token one GEMM for q, k, v over the B rows, one kernel writing k, v
//                   into the ring and attending over it, the output GEMM. Forward only. optimized/sliding_attn/
//                   step_fp32.cu. The reference has no recurrent form of this mixer, so the variant is checked with
//                   the parallel form's float reference as yardstick (Variant::recurrent off): the same oracle.
// Launchers take a stream, never allocate (beyond cuBLAS's handle on first use) and never synchronise.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "core/mixers/sliding_attn.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::sliding_attn {

using mixers::sliding_attn::Problem;
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

namespace step_fp32 {
std::string unsupported(const Problem& p);
// Per sequence: the ring of keys [w + 1, d], of values [w + 1, d], then the count of tokens seen (one int32 in a
// float's slot): B (2 (w + 1) d + 1) floats.
std::size_t state_bytes(const Problem& p);
std::size_t workspace_bytes(const Problem& p);  // one token's scratch: qkv [B, 3d], o [B, d]
// The empty state (zeros: no token seen).
void reset(const Problem& p, float* state, cudaStream_t stream);
// One token of the B sequences: u_t [B, d] with row stride ld_u -> y_t [B, d] with row stride ld_y; advances state.
void step(const Problem& p, const DeviceArgs& a, float* state, const float* u_t, std::int64_t ld_u, float* y_t,
          std::int64_t ld_y, float* workspace, cudaStream_t stream);
// buffers: "state" and "workspace" (scratch); forward: reset, then step() for t = 0 .. T - 1
// (optimized/common/step_form.hpp).
std::vector<BufferSpec> buffers(const Problem& p);
void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
}  // namespace step_fp32

}  // namespace menagerie::opt::sliding_attn

template <>
struct menagerie::opt::VariantTable<menagerie::mixers::sliding_attn::Problem> {
  static std::span<const opt::sliding_attn::Variant> get() { return opt::sliding_attn::variants(); }
};
