// GPU variant of H3's shift-SSM filter (contract: core/ops/shift_ssm_kernel.hpp), a per-channel correlation
//   filter[c,τ] = sum_{n=0..N−1−τ} B[c,n] C[c,n+τ]   for τ < min(N, T);  0 for N <= τ < T
//   direct_fp32   fp32; forward, backward (dB, dC) each one thread per output element summing in index order:
//                 deterministic, no atomics (optimized/shift_ssm_kernel/direct_fp32.cu)
// Launchers take a stream, never allocate and never synchronise.
#pragma once
#include <span>
#include <string>

#include <cuda_runtime.h>

#include "core/ops/shift_ssm_kernel.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::shift_ssm_kernel {

using ops::shift_ssm_kernel::Problem;
using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

namespace direct_fp32 {
std::string unsupported(const Problem& p);
// B, C [D, N] -> filter [D, T]
void forward(const Problem& p, const float* B, const float* C, float* filter, cudaStream_t stream);
// dfilter [D, T] -> dB, dC [D, N]
void backward(const Problem& p, const float* B, const float* C, const float* dfilter, float* dB, float* dC,
              cudaStream_t stream);
}  // namespace direct_fp32

}  // namespace menagerie::opt::shift_ssm_kernel

template <>
struct menagerie::opt::VariantTable<menagerie::ops::shift_ssm_kernel::Problem> {
  static std::span<const opt::shift_ssm_kernel::Variant> get() { return opt::shift_ssm_kernel::variants(); }
};
