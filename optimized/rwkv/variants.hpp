// GPU variant of the RWKV-4 time mixer (contract: core/mixers/rwkv.hpp), u [B, T, d] -> y [B, T, d]:
//   x' = u shifted one token (0 at t = 0);  xk = mu_k u + (1 - mu_k) x' (xv, xr likewise)
//   k, v, r = xk Wk^T, xv Wv^T, xr Wr^T;  y = (sigmoid(r) ⊙ WKV(k, v)) Wo^T
//   composed_fp32   fp32: the four projections and their gradients through cuBLAS (optimized/common/gemm.hpp), WKV
//                   through the recurrent family's wkv split_fp32 forward and backward, pointwise kernels for the
//                   token shift, the gate and their adjoints. optimized/rwkv/composed_fp32.cu has the order.
// Launchers take a stream, never allocate (beyond cuBLAS's handle on first use) and never synchronise.
#pragma once
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

}  // namespace menagerie::opt::rwkv

template <>
struct menagerie::opt::VariantTable<menagerie::mixers::rwkv::Problem> {
  static std::span<const opt::rwkv::Variant> get() { return opt::rwkv::variants(); }
};
