// GPU variant of RWKV-4's WKV recurrence (contract: core/ops/wkv.hpp):
//   y[b,t,d] = ( sum_{s<t} e^{-(t-1-s) w_d + k_s} v_s + e^{u_d + k_t} v_t ) / ( same sums without v ),
//   w = exp(time_decay), u = time_first
//   scan_fp32   fp32 tensors and arithmetic; the stable running-maximum recurrence of the reference (reference_step),
//               one thread per (b, channel) scanning T; the forward saves the state (p, q, o) every kChunk tokens,
//               the backward recomputes each chunk's forward from its checkpoint in registers and runs the adjoint
//               recurrence backwards in time. optimized/wkv/scan_fp32.cu has the math and the algorithm.
//   split_fp32  the same recurrence and adjoint with time split among a block's 8 warps (32 channels per block, 8 tokens
//               per warp; the warps' segment states, forward and adjoint, composed through shared memory): 8x the
//               threads of scan_fp32, for occupancy; a checkpoint per 8-token segment. optimized/wkv/split_fp32.cu.
// Launchers take a stream, never allocate and never synchronise.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include <cuda_runtime.h>

#include "core/ops/wkv.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::wkv {

using ops::wkv::Problem;
using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

namespace scan_fp32 {

inline constexpr std::int64_t kChunk = 16;  // tokens per checkpoint (and per register-resident recompute)

struct Inputs {
  const float* k;           // [B, T, D]
  const float* v;           // [B, T, D]
  const float* time_decay;  // [D]
  const float* time_first;  // [D]
};
struct Grads {
  float* k;           // [B, T, D]
  float* v;           // [B, T, D]
  float* time_decay;  // [D]
  float* time_first;  // [D]
};

std::string unsupported(const Problem& p);
std::int64_t chunks(const Problem& p);           // checkpoints per sequence, ceil(T / kChunk)
std::size_t state_bytes(const Problem& p);       // saved: checkpoints [B, chunks, 4, D] (p, q, o as hi + lo, before each chunk)
std::size_t workspace_bytes(const Problem& p);   // scratch: parameter-gradient partials [2, B, D]
// y [B, T, D]; state as above (written, read by the backward).
void forward(const Problem& p, const Inputs& in, float* y, float* state, cudaStream_t stream);
// dy [B, T, D]; writes every element of the four gradients.
void backward(const Problem& p, const Inputs& in, const float* state, const float* dy, const Grads& out,
              float* workspace, cudaStream_t stream);
// dtime_first and dtime_decay from per-sequence partials [2, B, D] (the dtime_first terms, the sum S of
// dtime_decay = -w S), summed over b in index order.
void reduce_parameter_partials(const Problem& p, const float* time_decay, const float* partial, const Grads& out,
                               cudaStream_t stream);

}  // namespace scan_fp32

namespace split_fp32 {
inline constexpr std::int64_t kSegment = 8;  // tokens per warp segment, and per checkpoint
std::string unsupported(const Problem& p);
std::int64_t segments(const Problem& p);      // ceil(T / kSegment)
std::size_t state_bytes(const Problem& p);    // saved: checkpoints [B, segments, 4, D] (p, q, o as hi + lo, before each segment)
// workspace: scan_fp32::workspace_bytes (parameter-gradient partials [2, B, D])
void forward(const Problem& p, const scan_fp32::Inputs& in, float* y, float* state, cudaStream_t stream);
void backward(const Problem& p, const scan_fp32::Inputs& in, const float* state, const float* dy,
              const scan_fp32::Grads& out, float* workspace, cudaStream_t stream);
}  // namespace split_fp32

}  // namespace menagerie::opt::wkv

template <>
struct menagerie::opt::VariantTable<menagerie::ops::wkv::Problem> {
  static std::span<const opt::wkv::Variant> get() { return opt::wkv::variants(); }
};
