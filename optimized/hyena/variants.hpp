// GPU variant of Zoology's Hyena mixer (contract: core/mixers/hyena.hpp), u [B, T, D] -> y [B, T, D]:
//   P = u Win^T + bin;  Q = short_conv(P) over 3D channels;  x1, x2, v = Q's thirds;  v1 = v ⊙ x1
//   h [D, T] = W6 Sin(W4 Sin(W2 Sin(W0 z + b0) + b2) + b4) ⊙ exp(−tt |δ|)   (the implicit filter, Sin(a) = sin(ω a))
//   w = h ∗ v1 + Dh ⊙ v1;  y = (w ⊙ x2) Wout^T + bout
//   composed_fp32   fp32: the projections and the filter's MLP through cuBLAS (optimized/common/gemm.hpp), the
//                   convolutions through the conv family's kernels (short_conv direct_fp32 over the 3D channels,
//                   long_conv direct_fp32 for T <= 64, fft_cufft above), element-wise kernels for the gates, the
//                   sines and the modulation; the filter's MLP and its gradients in fp64.
//                   optimized/hyena/composed_fp32.cu has the order of operations.
// Launchers take a stream, never allocate (beyond cuBLAS's handle and cuFFT's plans on first use) and never synchronise.
#pragma once
#include <span>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "core/mixers/hyena.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::hyena {

using mixers::hyena::Problem;
using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

namespace composed_fp32 {
std::string unsupported(const Problem& p);
// saved: "P", "Q" [B,T,3D] (before and after the short conv), "v1", "w", "g" [B,T,D] (v ⊙ x1, the long conv's
// output with Dh ⊙ v1, w ⊙ x2), "h" [D,T] (the filter), "a", "s" [3,T,F] (each Sin layer's input and output);
// scratch: "workspace".
std::vector<BufferSpec> buffers(const Problem& p);
void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
void backward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
}  // namespace composed_fp32

}  // namespace menagerie::opt::hyena

template <>
struct menagerie::opt::VariantTable<menagerie::mixers::hyena::Problem> {
  static std::span<const opt::hyena::Variant> get() { return opt::hyena::variants(); }
};
