// GPU variants of causal softmax attention (contract: core/ops/softmax_attention.hpp): the variant table in the
// shape of optimized/common/variant.hpp, and the dispatcher.
//   flash_tiled_bf16  bf16 q, k, v, o; mma.sync m16n8k16 tensor cores, fp32 accumulation; D == Dv in {64, 128}
//   flash_wgmma_bf16  flash_tiled_bf16 with its forward on Hopper's warpgroup MMA (wgmma; sm_90a devices only)
//   flash_tiled_fp32  fp32 everywhere, FFMA on CUDA cores (no TF32); any D, Dv <= 128
//   gemm_cublas       one head's S = QK^T, P and O = PV through cuBLAS strided-batched GEMMs (T x T in a workspace);
//                     fp32 (no TF32) or bf16 with fp32 accumulation; T <= 1024, D, Dv <= 512 (the Zoology shape)
// All tensors are device pointers in the contract's layout: q, k [B, T, H, D], v, o [B, T, H, Dv], contiguous.
// Buffers beyond the contract's tensors (the table's `buffers`): lse [B, H, T] (fp32), the natural log-sum-exp of
// each query's scaled scores, and `saved` (saved_bytes()), what a forward keeps for its own backward beyond o and
// lse; `workspace` is scratch (forward_workspace_bytes / backward_workspace_bytes, the larger of the two).
// The kernels' own entry points below take ForwardArgs / BackwardArgs; variants.cpp adapts them to the table.
// Launchers take a stream, never allocate and never synchronise. A problem a variant does not support throws
// ShapeError naming the value and what is supported.
#pragma once
#include <cstddef>
#include <span>
#include <string>

#include <cuda_runtime.h>

#include "core/ops/softmax_attention.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::softmax_attention {

using ops::softmax_attention::Problem;

struct ForwardArgs {
  const void* q;  // [B, T, H, D]
  const void* k;  // [B, T, H, D]
  const void* v;  // [B, T, H, Dv]
  void* o;        // [B, T, H, Dv]
  float* lse;     // [B, H, T]
  void* saved;    // saved_bytes(p), written here, read by backward
  void* workspace;
};

struct BackwardArgs {
  const void* q;   // [B, T, H, D]
  const void* k;   // [B, T, H, D]
  const void* v;   // [B, T, H, Dv]
  const void* o;   // [B, T, H, Dv]  (the forward's output)
  const void* dO;  // [B, T, H, Dv]
  const float* lse;  // [B, H, T]  (the forward's)
  const void* saved;  // the forward's
  void* dq;        // [B, T, H, D]
  void* dk;        // [B, T, H, D]
  void* dv;        // [B, T, H, Dv]
  void* workspace;
};

using Variant = opt::Variant<Problem>;

// fp32: exact (no TF32); bf16: bf16 storage, fp32 accumulation.
std::span<const Variant> variants();
// The variant named `name`; ShapeError when it does not support p, InputError for an unknown name.
const Variant& variant(std::string_view name, const Problem& p);
// The fastest supporting variant of the precision (flash kernels first; gemm_cublas where only it applies or where
// it measured faster: a single head at T <= 1024); ShapeError listing every variant's reason when none supports p.
const Variant& choose(const Problem& p, DType dtype);

// Kernel entry points (one per .cu file).
namespace flash_bf16 {
std::string unsupported(const Problem& p);
std::size_t saved_bytes(const Problem& p);
std::size_t backward_workspace_bytes(const Problem& p);
void forward(const Problem& p, const ForwardArgs& a, cudaStream_t stream);
void backward(const Problem& p, const BackwardArgs& a, cudaStream_t stream);
}  // namespace flash_bf16
namespace flash_wgmma {
std::string unsupported(const Problem& p);
void forward(const Problem& p, const ForwardArgs& a, cudaStream_t stream);
}  // namespace flash_wgmma
namespace flash_fp32 {
std::string unsupported(const Problem& p);
std::size_t saved_bytes(const Problem& p);
std::size_t backward_workspace_bytes(const Problem& p);
void forward(const Problem& p, const ForwardArgs& a, cudaStream_t stream);
void backward(const Problem& p, const BackwardArgs& a, cudaStream_t stream);
}  // namespace flash_fp32
namespace gemm_cublas {
std::string unsupported(const Problem& p);
std::size_t forward_workspace_bytes(const Problem& p);
std::size_t backward_workspace_bytes(const Problem& p);
void forward_fp32(const Problem& p, const ForwardArgs& a, cudaStream_t stream);
void backward_fp32(const Problem& p, const BackwardArgs& a, cudaStream_t stream);
void forward_bf16(const Problem& p, const ForwardArgs& a, cudaStream_t stream);
void backward_bf16(const Problem& p, const BackwardArgs& a, cudaStream_t stream);
}  // namespace gemm_cublas

}  // namespace menagerie::opt::softmax_attention

template <>
struct menagerie::opt::VariantTable<menagerie::ops::softmax_attention::Problem> {
  static std::span<const opt::softmax_attention::Variant> get() { return opt::softmax_attention::variants(); }
};
