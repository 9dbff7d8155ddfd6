// GPU variant of the Mamba mixer (contract: core/mixers/mamba.hpp), u [B, T, d] -> y [B, T, d], E = expand d:
//   x, z = u Win^T (the two halves);  xs = SiLU(conv1d(x));  [dt B C] = xs Wx^T;  delta = softplus(dt Wdt^T + bdt)
//   ys = selective_scan(xs, delta, A = −exp(A_log), B, C, D);  y = (ys ⊙ SiLU(z)) Wout^T
//   composed_fp32   fp32: the four projections through cuBLAS (optimized/common/gemm.hpp), the causal conv1d through
//                   short_conv direct_fp32, the scan through selective_scan scan_fp32, element-wise kernels for SiLU,
//                   softplus, the gate and the splits. optimized/mamba/composed_fp32.cu has the order of operations.
//   step_fp32       the recurrent form, one token at a time with the carried state (the conv's last K − 1 inputs and
//                   the scan state h [E, N] of each sequence): per token four GEMMs over the B rows and two fused
//                   kernels (conv + SiLU; softplus + the scan's step + the gate). Its forward runs step() over the T
//                   tokens from the empty state: what decoding costs. Forward only. optimized/mamba/step_fp32.cu.
// Launchers take a stream, never allocate (beyond cuBLAS's handle on first use) and never synchronise.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "core/mixers/mamba.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::mamba {

using mixers::mamba::Problem;
using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

namespace composed_fp32 {
std::string unsupported(const Problem& p);
// saved: "x", "z", "xc", "xs", "delta", "ys" [B,T,E] (conv input, gate input, conv output before SiLU, after it,
// the step sizes, the scan's output); "dbc" [B,T,R+2N] (x_proj's output); "Bm", "Cm" [B,T,N]; "A" [E,N]; "scan_state"
// (the scan's checkpoints); scratch: "workspace".
std::vector<BufferSpec> buffers(const Problem& p);
void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
void backward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
}  // namespace composed_fp32

namespace step_fp32 {
std::string unsupported(const Problem& p);
std::size_t state_bytes(const Problem& p);      // [B, E, K − 1 + N] floats: conv window (oldest first), then h
std::size_t workspace_bytes(const Problem& p);  // one token's scratch: x, z, xs, delta, g [B, E] and [dt B C] [B, W]
// The empty state: every sequence before its first token.
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

}  // namespace menagerie::opt::mamba

template <>
struct menagerie::opt::VariantTable<menagerie::mixers::mamba::Problem> {
  static std::span<const opt::mamba::Variant> get() { return opt::mamba::variants(); }
};
