// GPU variant of the RWKV-4 time mixer (contract: core/mixers/rwkv.hpp), u [B, T, d] -> y [B, T, d]:
//   x' = u shifted one token (0 at t = 0);  xk = mu_k u + (1 - mu_k) x' (xv, xr likewise)
//   k, v, r = xk Wk^T, xv Wv^T, xr Wr^T;  y = (sigmoid(r) ⊙ WKV(k, v)) Wo^T
//   composed_fp32   fp32: the four projections and their gradients through cuBLAS (optimized/common/gemm.hpp), WKV
//                   through the recurrent family's wkv split_fp32 forward and backward, pointwise kernels for the
//                   token shift, the gate and their adjoints. optimized/rwkv/composed_fp32.cu has the order.
//   step_fp32       the recurrent form, one token at a time with the carried state (the previous token and WKV's
//                   (p, q, o) of each sequence): per token four GEMMs over the B rows, a mix kernel and one WKV step
//                   kernel with the gate (WKV's stable step of optimized/wkv/stable_step.cuh: o in fp64). Its forward
//                   runs step() over the T tokens from the empty state: what decoding costs. Forward only.
// Launchers take a stream, never allocate (beyond cuBLAS's handle on first use) and never synchronise.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "core/mixers/rwkv.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::rwkv {

using mixers::rwkv::Problem;
using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

namespace composed_fp32 {
std::string unsupported(const Problem& p);
// saved: "k", "v", "r", "wkv" [B,T,d] and "wkv_state" (wkv split_fp32's checkpoints); scratch: "workspace".
std::vector<BufferSpec> buffers(const Problem& p);
void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
void backward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
}  // namespace composed_fp32

namespace step_fp32 {
std::string unsupported(const Problem& p);
std::size_t state_bytes(const Problem& p);      // [5, B, d] floats: the previous token, then WKV's p, q, o (hi, lo)
std::size_t workspace_bytes(const Problem& p);  // one token's scratch: xk, xv, xr, k, v, r (then g) [B, d]
// The empty state: every sequence before its first token (previous token 0, p = q = 0, o = −inf).
void reset(const Problem& p, float* state, cudaStream_t stream);
// One token of the B sequences: u_t [B, d] with row stride ld_u -> y_t [B, d] with row stride ld_y; the parameters
// come from a by the contract's names; advances state.
void step(const Problem& p, const DeviceArgs& a, float* state, const float* u_t, std::int64_t ld_u, float* y_t,
          std::int64_t ld_y, float* workspace, cudaStream_t stream);
// buffers: "state" and "workspace" (scratch); forward: reset, then step() for t = 0 .. T − 1
// (optimized/common/step_form.hpp).
std::vector<BufferSpec> buffers(const Problem& p);
void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
}  // namespace step_fp32

}  // namespace menagerie::opt::rwkv

template <>
struct menagerie::opt::VariantTable<menagerie::mixers::rwkv::Problem> {
  static std::span<const opt::rwkv::Variant> get() { return opt::rwkv::variants(); }
};
