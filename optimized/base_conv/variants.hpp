// GPU variant of Zoology's BaseConv mixer (contract: core/mixers/base_conv.hpp), u [B, T, D] -> y [B, T, D]:
//   y = c ⊙ (u W^T + b) + u,   c = conv(u): the short depthwise conv, or h ∗ u + u with an explicit filter h or the
//   implicit one (h[:, t] = W2 relu(W1 z[t] + b1) + b2, t < T)
//   composed_fp32   fp32: the projection, its gradients and the implicit filter's MLP through cuBLAS
//                   (optimized/common/gemm.hpp), the convolution through the conv family's own kernels (short_conv
//                   direct_fp32, long_conv fft_cufft), one fused pointwise kernel each side for the gate, the biases
//                   and the residuals. optimized/base_conv/composed_fp32.cu has the order of operations.
//   step_fp32       the short conv's recurrent (decoding) form, one token per call with the last K - 1 inputs of
//                   each sequence as state: one GEMM for the gate over the B rows, one kernel for the conv tap sum,
//                   the ring's shift, the gate and the residual. Forward only; short conv only.
//                   optimized/base_conv/step_fp32.cu.
// Launchers take a stream, never allocate (beyond cuBLAS's handle and cuFFT's plans on first use) and never synchronise.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "core/mixers/base_conv.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::base_conv {

using mixers::base_conv::Problem;
using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

namespace composed_fp32 {
std::string unsupported(const Problem& p);
// saved: "gate" [B,T,D] (u W^T + b), "conv" [B,T,D] (c); for the implicit filter also "filter" [D,T] and
// "hidden" [T,16] (W1 z + b1, before the ReLU); scratch: "workspace".
std::vector<BufferSpec> buffers(const Problem& p);
void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
void backward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
}  // namespace composed_fp32

namespace step_fp32 {
std::string unsupported(const Problem& p);
std::size_t state_bytes(const Problem& p);      // [B, D, K - 1] floats: the last K - 1 inputs, oldest first
std::size_t workspace_bytes(const Problem& p);  // one token's gate [B, D]
void reset(const Problem& p, float* state, cudaStream_t stream);  // zeros: no token seen
// One token of the B sequences: u_t [B, D] with row stride ld_u -> y_t [B, D] with row stride ld_y; advances state.
void step(const Problem& p, const DeviceArgs& a, float* state, const float* u_t, std::int64_t ld_u, float* y_t,
          std::int64_t ld_y, float* workspace, cudaStream_t stream);
// buffers: "state" and "workspace" (scratch); forward: reset, then step() for t = 0 .. T - 1
// (optimized/common/step_form.hpp).
std::vector<BufferSpec> buffers(const Problem& p);
void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
}  // namespace step_fp32

}  // namespace menagerie::opt::base_conv

template <>
struct menagerie::opt::VariantTable<menagerie::mixers::base_conv::Problem> {
  static std::span<const opt::base_conv::Variant> get() { return opt::base_conv::variants(); }
};
