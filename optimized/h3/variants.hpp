// GPU variant of Zoology's H3 mixer (contract: core/mixers/h3.hpp), u [B, T, D] -> y [B, T, D], head dim P, H = D/P:
//   q, k, v = u W^T + b;  k~ = hs ∗ k + Dk ⊙ k (hs: the shift SSM's filter)
//   kv[i,j,h] = k~[hP+i] v[hP+j];  Y[i,j,h] = K_h ∗ kv[i,j,h] + Dd[h] kv[i,j,h] (K: S4D's kernel)
//   out[jH+h] = Σ_i q[hP+i] Y[i,j,h];  y = out Wo^T + bo
//   composed_fp32   fp32: the projections through cuBLAS (optimized/common/gemm.hpp), both filters and both
//                   convolutions through the operators' kernels (shift_ssm_kernel direct_fp32, s4d_kernel
//                   vandermonde_fp32, long_conv fft_cufft over D and P D channels), element-wise kernels for the
//                   outer products, the D terms and the q contraction. optimized/h3/composed_fp32.cu has the order.
//   step_fp32       the recurrent form (Zoology's H3.step), one token at a time with the carried state (the shift
//                   SSM's [D, N] and the diagonal SSM's complex [P, P, H, N/2] of each sequence): per token four GEMMs
//                   over the B rows, a shift-SSM kernel and one kernel for the kv outer product, the diagonal
//                   recurrence and the q contraction. Its forward runs step() over the T tokens from the empty state:
//                   what decoding costs. Forward only. optimized/h3/step_fp32.cu.
// Launchers take a stream, never allocate (beyond cuBLAS's handle and cuFFT's plans on first use) and never synchronise.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "core/mixers/h3.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::h3 {

using mixers::h3::Problem;
using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

namespace composed_fp32 {
std::string unsupported(const Problem& p);
// saved: "q", "k", "v", "kt", "out" [B,T,D]; "hs" [D,T] (the shift filter); "Kexp" [P P H, T] (S4D's kernel, one row
// per kv channel); "kv", "Y" [B,T,P P H] (channel (i P + j) H + h); scratch: "workspace".
std::vector<BufferSpec> buffers(const Problem& p);
void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
void backward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
}  // namespace composed_fp32

namespace step_fp32 {
std::string unsupported(const Problem& p);
// [B, D N + P P H N] floats: the shift state [B, D, N], then the diagonal state [B, P, P, H, N/2, 2] (re, im)
std::size_t state_bytes(const Problem& p);
std::size_t workspace_bytes(const Problem& p);  // one token's scratch: q, k, v, kt, out [B, D]
// The empty state (zeros): every sequence before its first token.
void reset(const Problem& p, float* state, cudaStream_t stream);
// One token of the B sequences: u_t [B, D] with row stride ld_u -> y_t [B, D] with row stride ld_y; the parameters
// come from a by the contract's names; advances state.
void step(const Problem& p, const DeviceArgs& a, float* state, const float* u_t, std::int64_t ld_u, float* y_t,
          std::int64_t ld_y, float* workspace, cudaStream_t stream);
// buffers: "state" and "workspace" (scratch); forward: reset, then step() for t = 0 .. T − 1
// (optimized/common/step_form.hpp).
std::vector<BufferSpec> buffers(const Problem& p);
void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
}  // namespace step_fp32

}  // namespace menagerie::opt::h3

template <>
struct menagerie::opt::VariantTable<menagerie::mixers::h3::Problem> {
  static std::span<const opt::h3::Variant> get() { return opt::h3::variants(); }
};
