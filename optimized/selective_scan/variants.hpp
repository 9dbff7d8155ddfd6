// GPU variant of Mamba's selective scan (contract: core/ops/selective_scan.hpp), per (b, d), state h [N] from 0:
//   h_t[n] = exp(delta[t,d] A[d,n]) h_{t-1}[n] + delta[t,d] B[t,n] x[t,d],   y[t,d] = sum_n C[t,n] h_t[n] + D[d] x[t,d]
//   scan_fp32   fp32 tensors, arithmetic and state; a block holds 32 channels (one per lane, so every load of a
//               token's channels is coalesced) and 8 warps that split each 64-token chunk of the sequence in time:
//               each warp folds its 8 tokens into (decay product, state from zero), the warps exchange these through
//               shared memory and each resumes from its exact incoming state. The forward saves the state before
//               every chunk; the backward recomputes each chunk's states from it and runs the adjoint recurrence
//               backwards the same way. N <= 16 (the state lives in registers). optimized/selective_scan/scan_fp32.cu
//               has the algorithm.
// Launchers take a stream, never allocate and never synchronise.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include <cuda_runtime.h>

#include "core/ops/selective_scan.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::selective_scan {

using ops::selective_scan::Problem;
using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

namespace scan_fp32 {

inline constexpr std::int64_t kChannels = 32;  // channels per block, one per lane
inline constexpr std::int64_t kChunk = 64;     // tokens per chunk (and per checkpoint): 8 warps x 8 tokens
inline constexpr std::int64_t kMaxN = 16;      // the largest state size per channel

struct Inputs {
  const float* x;      // [B, T, D]
  const float* delta;  // [B, T, D]
  const float* A;      // [D, N]
  const float* B;      // [B, T, N]
  const float* C;      // [B, T, N]
  const float* D;      // [D]
};
struct Grads {
  float* x;      // [B, T, D]
  float* delta;  // [B, T, D]
  float* A;      // [D, N]
  float* B;      // [B, T, N]
  float* C;      // [B, T, N]
  float* D;      // [D]
};

std::string unsupported(const Problem& p);
std::int64_t chunks(const Problem& p);          // checkpoints per sequence, ceil(T / kChunk)
std::int64_t channel_blocks(const Problem& p);  // ceil(D / kChannels)
std::size_t state_bytes(const Problem& p);      // saved: checkpoints [B, chunks, N, D] (the state before each chunk)
// scratch: per-channel-block partials of dB and dC [2, channel_blocks, B, T, N], of dA [B, D, N] and of dD [B, D]
std::size_t workspace_bytes(const Problem& p);
// y [B, T, D]; state as above (written, read by the backward).
void forward(const Problem& p, const Inputs& in, float* y, float* state, cudaStream_t stream);
// dy [B, T, D]; writes every element of the six gradients.
void backward(const Problem& p, const Inputs& in, const float* state, const float* dy, const Grads& out,
              float* workspace, cudaStream_t stream);

}  // namespace scan_fp32

}  // namespace menagerie::opt::selective_scan

template <>
struct menagerie::opt::VariantTable<menagerie::ops::selective_scan::Problem> {
  static std::span<const opt::selective_scan::Variant> get() { return opt::selective_scan::variants(); }
};
