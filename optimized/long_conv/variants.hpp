// GPU variants of the causal long convolution (contract: core/ops/long_conv.hpp), per channel c:
//   y[b,t,c] = sum_{s<=t} h[c,s] u[b,t-s,c],  u [B, T, D], h [D, L] (L >= T; taps s >= T never reach an output)
// evaluated as a product of spectra of length n = 2T (zero padding makes the circular convolution causal):
//   y = irfft( rfft(pad_n(u)) * rfft(pad_n(h[:, :T])) )[:T]
// Backward (correlations, the same padding keeps them exact): du = irfft(DY * conj(H))[:T],
//   dh[:, s] = irfft(sum_b DY_b * conj(U_b))[s] for s < T, 0 for T <= s < L.
//   fft_cufft      fp32; cuFFT's batched real FFTs (plans cached per size and stream, created on first use), with
//                  the padding, the [B,T,D] <-> [B*D, n] transposes, the pointwise products and the 1/n scale fused
//                  into one small kernel each side of the transforms; any T
//   direct_fp32    fp32; the defining sums, one thread per output (O(T) each; O(B T) per filter tap), for T <= 256:
//                  cheaper than the FFTs at short T and with the direct sum's error; bitwise causal
//   fft_tc_bf16    bf16 storage: the FFT of size n done as small DFT matrix products with twiddles on tensor cores
//                  (FlashFFTConv's method), padding, product with the filter's spectrum and inverse fused, nothing of
//                  size 2T per sequence in HBM (optimized/long_conv/fft_tc_bf16.cu has the algorithm and its limits)
// Launchers take a stream and never synchronise; fft_cufft's plans allocate once per (size, stream) on first use
// (warm them outside a CUDA graph capture).
#pragma once
#include <cstddef>
#include <span>
#include <string>

#include <cuda_runtime.h>

#include "core/ops/long_conv.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::long_conv {

using ops::long_conv::Problem;
using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

namespace fft_cufft {
std::string unsupported(const Problem& p);
std::size_t workspace_bytes(const Problem& p);
// u [B, T, D], h [D, L], y [B, T, D]; workspace of workspace_bytes(p).
void forward(const Problem& p, const float* u, const float* h, float* y, void* workspace, cudaStream_t stream);
// dy [B, T, D] -> du [B, T, D], dh [D, L].
void backward(const Problem& p, const float* u, const float* h, const float* dy, float* du, float* dh,
              void* workspace, cudaStream_t stream);
}  // namespace fft_cufft

namespace direct_fp32 {
inline constexpr std::int64_t kMaxT = 256;
std::string unsupported(const Problem& p);
// u [B, T, D], h [D, L], y [B, T, D]; no workspace.
void forward(const Problem& p, const float* u, const float* h, float* y, cudaStream_t stream);
// dy [B, T, D] -> du [B, T, D], dh [D, L]; workspace of workspace_bytes(p) (dh's partial sums over batch slices).
std::size_t workspace_bytes(const Problem& p);
void backward(const Problem& p, const float* u, const float* h, const float* dy, float* du, float* dh, void* workspace,
              cudaStream_t stream);
}  // namespace direct_fp32

namespace fft_tc_bf16 {
std::string unsupported(const Problem& p);
std::size_t workspace_bytes(const Problem& p);
// bf16 tensors: u [B, T, D], h [D, L], y [B, T, D]; workspace of workspace_bytes(p).
void forward(const Problem& p, const void* u, const void* h, void* y, void* workspace, cudaStream_t stream);
// dy [B, T, D] -> du [B, T, D], dh [D, L] (bf16).
void backward(const Problem& p, const void* u, const void* h, const void* dy, void* du, void* dh, void* workspace,
              cudaStream_t stream);
}  // namespace fft_tc_bf16

}  // namespace menagerie::opt::long_conv

template <>
struct menagerie::opt::VariantTable<menagerie::ops::long_conv::Problem> {
  static std::span<const opt::long_conv::Variant> get() { return opt::long_conv::variants(); }
};
