// Softmax attention between two projections, in fp32 on the GPU: what Zoology's MHA (core/mixers/mha.hpp) and
// SlidingAttn (core/mixers/sliding_attn.hpp) share, their composed_fp32 variants being this with heads = 1 and a
// window for the second. u [B, T, d] -> y [B, T, d], H heads of D = d / H, window w (< 0: full causal):
//   q = u Wq^T + bq,  k = u Wk^T + bk,  v = u Wv^T + bv     (Wq, Wk, Wv: rows [0, d), [d, 2d), [2d, 3d) of
//                                                            Wqkv.weight [3d, d]; b likewise of Wqkv.bias [3d])
//   o = softmax_attention(q, k, v; scale 1/sqrt(D), window w)   viewing q, k, v, o [M = B T, d] as [B, T, H, D]
//   y = o Wo^T + bo                                          (out_proj.weight [d, d], out_proj.bias [d])
// Backward (dy):  dWo = dy^T o,  dbo = column sums of dy,  do = dy Wo;  dq, dk, dv = the operator's backward;
//   dWqkv.weight rows of x = dx^T u,  dWqkv.bias of x = column sums of dx (x = q, k, v);
//   du = dq Wq + dk Wk + dv Wv
// The attention is the softmax_attention operator's fp32 variant that its dispatcher chooses (choose(p, f32):
// gemm_cublas_fp32 for one head at T <= 1024 and D <= 512, else flash_tiled_fp32 for D <= 128), both with the
// window in their masks. Projections by cuBLAS FP32 SGEMM (optimized/common/gemm.hpp).
// Names (DeviceArgs): the contracts' tensors ("u", "Wqkv.weight", "Wqkv.bias", "out_proj.weight", "out_proj.bias",
// "y" and their "d" gradients); saved "q", "k", "v", "o" [B, T, d], "lse" and "attn_saved" (the operator's);
// scratch "workspace".
// Attention dropout (training; the mixer contracts carry none): the overloads taking a DropoutMask
// (optimized/softmax_attention/dropout_mask.hpp) apply it to the attention probabilities, P' = P keep / (1 - p),
// by the gemm_cublas_fp32 attention whatever the dispatcher would choose (gemm_cublas_dropout.hpp: the mask regenerated
// from Philox in the forward's and the backward's row kernels). Their scratch is "dropout_workspace"
// (dropout_buffers(), allocated by whoever trains with dropout); "lse" and "q", "k", "v", "o" are shared with the
// plain path; "attn_saved" is not read. A mask that is off runs the plain path. Supported: T <= 1024, d / heads <= 512.
// A mixer whose composed_fp32 is this specialises WithDropout with its Shape (optimized/<id>/dropout.hpp).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "core/ops/softmax_attention.hpp"
#include "optimized/common/variant.hpp"
#include "optimized/softmax_attention/dropout_mask.hpp"

namespace menagerie::opt::projected_attention {

struct Shape {
  std::int64_t B = 1, T = 1, d = 1, heads = 1, window = -1;
};

ops::softmax_attention::Problem attention_problem(const Shape& s);
// One line naming the value and what is supported (prefixed by `who`), empty when supported.
std::string unsupported(const Shape& s, const std::string& who);
std::vector<BufferSpec> buffers(const Shape& s);
void forward(const Shape& s, const DeviceArgs& a, cudaStream_t stream);
void backward(const Shape& s, const DeviceArgs& a, cudaStream_t stream);

using softmax_attention::DropoutMask;
std::string unsupported_dropout(const Shape& s, const std::string& who);
std::vector<BufferSpec> dropout_buffers(const Shape& s);  // {"dropout_workspace"}
void forward(const Shape& s, const DeviceArgs& a, const DropoutMask& mask, cudaStream_t stream);
void backward(const Shape& s, const DeviceArgs& a, const DropoutMask& mask, cudaStream_t stream);

// Specialised as { static Shape shape(const Problem&); } by each mixer whose composed_fp32 is projected attention.
template <class Problem>
struct WithDropout;

}  // namespace menagerie::opt::projected_attention
