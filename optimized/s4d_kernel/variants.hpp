// GPU variant of S4D's convolution-kernel generation (contract: core/ops/s4d_kernel.hpp), the Vandermonde product
//   K[h,ℓ] = 2 Re sum_{n < N/2} C′_n Ā_n^ℓ      (Ā, C′ from Δ = exp(log_dt), A = −exp(inv_A_real) + i A_imag, B, C)
//   vandermonde_fp32   fp32 tensors; per-mode quantities in double; forward and backward (S, S′ reductions over ℓ in
//                      a fixed order: deterministic). optimized/s4d_kernel/vandermonde_fp32.cu has the algorithm.
// Launchers take a stream, never allocate and never synchronise.
#pragma once
#include <span>
#include <string>

#include <cuda_runtime.h>

#include "core/ops/s4d_kernel.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::s4d_kernel {

using ops::s4d_kernel::Problem;
using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

namespace vandermonde_fp32 {
struct Params {
  const float* log_dt;      // [H]
  const float* inv_A_real;  // [H, N/2]
  const float* A_imag;      // [H, N/2]
  const float* B;           // [H, N/2, 2]
  const float* C;           // [H, N/2, 2]
};
struct Grads {
  float* log_dt;      // [H]
  float* inv_A_real;  // [H, N/2]
  float* A_imag;      // [H, N/2]
  float* B;           // [H, N/2, 2]
  float* C;           // [H, N/2, 2]
};
std::string unsupported(const Problem& p);
std::size_t workspace_bytes(const Problem& p);
void forward(const Problem& p, const Params& in, float* K, cudaStream_t stream);  // K [H, T]
void backward(const Problem& p, const Params& in, const float* dK, const Grads& out, void* workspace,
              cudaStream_t stream);
}  // namespace vandermonde_fp32

}  // namespace menagerie::opt::s4d_kernel

template <>
struct menagerie::opt::VariantTable<menagerie::ops::s4d_kernel::Problem> {
  static std::span<const opt::s4d_kernel::Variant> get() { return opt::s4d_kernel::variants(); }
};
