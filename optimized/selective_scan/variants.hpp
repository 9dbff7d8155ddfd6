// GPU variant of Mamba's selective scan (contract: core/ops/selective_scan.hpp), per (b, d), state h [N] from 0:
//   h_t[n] = exp(delta[t,d] A[d,n]) h_{t-1}[n] + delta[t,d] B[t,n] x[t,d],   y[t,d] = sum_n C[t,n] h_t[n] + D[d] x[t,d]
//   scan_fp32   fp32 tensors, arithmetic and state; a block holds 32 channels (one per lane, so every load of a
//               token's channels is coalesced) and 8 warps that split each 64-token chunk of the sequence in time:
//               each warp folds its 8 tokens into (decay product, state from zero), the warps exchange these through
//               shared memory and each resumes from its exact incoming state. The forward saves the state before
//               every chunk; the backward recomputes each chunk's states from it and runs the adjoint recurrence
//               backwards the same way. N <= 16 (the state lives in registers). optimized/selective_scan/scan.cu has
//               the algorithm.
//   scan_bf16   the same kernels over bf16 tensors (inputs, outputs, gradients), read into fp32 and rounded once on
//               store; the state, the checkpoints and every sum stay fp32.
// Launchers take a stream, never allocate and never synchronise.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "core/ops/selective_scan.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::selective_scan {

using ops::selective_scan::Problem;
using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

namespace scan {  // scan_fp32 (S = float) and scan_bf16 (S = __nv_bfloat16)

inline constexpr std::int64_t kChannels = 32;  // channels per block, one per lane
inline constexpr std::int64_t kChunk = 64;     // tokens per chunk (and per checkpoint): 8 warps x 8 tokens
inline constexpr std::int64_t kMaxN = 32;      // the largest state size per channel

template <class S>
struct Inputs {
  const S* x;      // [B, T, D]
  const S* delta;  // [B, T, D]
  const S* A;      // [D, N]
  const S* B;      // [B, T, N]
  const S* C;      // [B, T, N]
  const S* D;      // [D]
};
template <class S>
struct Grads {
  S* x;      // [B, T, D]
  S* delta;  // [B, T, D]
  S* A;      // [D, N]
  S* B;      // [B, T, N]
  S* C;      // [B, T, N]
  S* D;      // [D]
};

std::string unsupported(const Problem& p);
std::int64_t chunks(const Problem& p);          // checkpoints per sequence, ceil(T / kChunk)
std::int64_t channel_blocks(const Problem& p);  // ceil(D / kChannels)
std::size_t state_bytes(const Problem& p);      // saved: checkpoints [B, chunks, N, D] (the state before each chunk)
// scratch: per-channel-block partials of dB and dC [2, channel_blocks, B, T, N], of dA [B, D, N] and of dD [B, D]
std::size_t workspace_bytes(const Problem& p);
// y [B, T, D]; state as above (written, read by the backward).
template <class S>
void forward(const Problem& p, const Inputs<S>& in, S* y, float* state, cudaStream_t stream);
// dy [B, T, D]; writes every element of the six gradients.
template <class S>
void backward(const Problem& p, const Inputs<S>& in, const float* state, const S* dy, const Grads<S>& out,
              float* workspace, cudaStream_t stream);

}  // namespace scan

}  // namespace menagerie::opt::selective_scan

template <>
struct menagerie::opt::VariantTable<menagerie::ops::selective_scan::Problem> {
  static std::span<const opt::selective_scan::Variant> get() { return opt::selective_scan::variants(); }
};
