// GPU variants of Zoology's Based mixer (contract: core/mixers/based.hpp: Taylor feature map, H heads of feature dim f
// and value dim Dv = d / H, no biases), u [B, T, d] -> y [B, T, d]:
//   q = u Wq^T, k = u Wk^T [B, T, H, f];  v = u Wv^T [B, T, H, Dv];  o = linear_attention(q, k, v; taylor_exp,
//   normalize, eps);  y = o Wo^T
// The contract has no sliding-window or short-conv part (Based Fig. 2's hybrid stacks a base_conv layer before it);
// so neither has this mixer. Both variants run the linear attention operator's kernels, which take Dv <= 64
// (chunked_smem; quadratic takes 127) or <= 255 (recurrent_step): a head of Dv > 64 is run as nc column blocks of
// Dc = Dv / nc <= 64 (nc the least divisor of Dv with Dv / nc <= 64), each block a head of its own with the same q
// and k (so v, o [B, T, H, Dv] are already [B, T, H nc, Dc], q and k are repeated nc times, and dq, dk are the sums
// over the blocks): o's columns depend on v's own columns only, and the denominator is the blocks' common one.
//   composed_fp32   fp32: the projections through cuBLAS (optimized/common/gemm.hpp), the linear attention
//                   through linear_attention quadratic (f <= 64) or, beyond T = 512, chunked_smem where it takes
//                   f (8 or 16), element-wise kernels repeating q, k and summing dq, dk over the column blocks.
//                   optimized/based/composed_fp32.cu.
//   step_fp32       the recurrent form (the linear view), one token at a time with the carried state (S [H nc, F',
//                   Dc] and z [H nc, F'] per sequence, F' = 1 + f + f^2): per token three GEMMs over the B rows,
//                   linear_attention recurrent_step, the output GEMM. Forward only. optimized/based/step_fp32.cu.
// Launchers take a stream, never allocate (beyond cuBLAS's handle on first use) and never synchronise.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "core/mixers/based.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::based {

using mixers::based::Problem;
using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

// The column blocks of a head (optimized/based/blocks.hpp): the least nc dividing Dv with Dv / nc <= 64.
std::int64_t column_blocks(const Problem& p);
// The linear attention problem the kernels run: H nc heads of value dim Dv / nc.
ops::linear_attention::Problem blocked_problem(const Problem& p);
// x [rows, H, f] -> xr [rows, H, nc, f] (each head's row repeated), or with `sum` x [rows, H, f] = sum over the nc
// blocks of xr (fixed order).
void repeat_heads(const Problem& p, std::int64_t rows, const float* x, float* xr, cudaStream_t stream);
void sum_heads(const Problem& p, std::int64_t rows, const float* xr, float* x, cudaStream_t stream);

namespace composed_fp32 {
std::string unsupported(const Problem& p);
// saved: "q", "k" [B,T,H f], "v", "o" [B,T,d], "den" [B, H nc, T] (the operator's denominator); scratch: "workspace".
std::vector<BufferSpec> buffers(const Problem& p);
void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
void backward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
}  // namespace composed_fp32

namespace step_fp32 {
std::string unsupported(const Problem& p);
// [B, H nc, F', Dc] (S) then [B, H nc, F'] (z) floats: F' (d + H nc) per sequence.
std::size_t state_bytes(const Problem& p);
std::size_t workspace_bytes(const Problem& p);  // one token's scratch: q, k [B, H f], v, o [B, d], repeated q, k
// The empty state (zeros).
void reset(const Problem& p, float* state, cudaStream_t stream);
// One token of the B sequences: u_t [B, d] with row stride ld_u -> y_t [B, d] with row stride ld_y; advances state.
void step(const Problem& p, const DeviceArgs& a, float* state, const float* u_t, std::int64_t ld_u, float* y_t,
          std::int64_t ld_y, float* workspace, cudaStream_t stream);
// buffers: "state" and "workspace" (scratch); forward: reset, then step() for t = 0 .. T - 1
// (optimized/common/step_form.hpp).
std::vector<BufferSpec> buffers(const Problem& p);
void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
}  // namespace step_fp32

}  // namespace menagerie::opt::based

template <>
struct menagerie::opt::VariantTable<menagerie::mixers::based::Problem> {
  static std::span<const opt::based::Variant> get() { return opt::based::variants(); }
};
