// GPU variants of causal linear attention (contract: core/ops/linear_attention.hpp), fp32 throughout (FFMA):
//   chunked_smem     forward and backward, chunks of C = 32 tokens: masked products inside a chunk, the state
//                    (S [F', Dv], z [F']) carried across chunks in shared memory; taylor_exp with F in {8, 16} (Based),
//                    or identity with F <= 16; Dv <= 64; normalize on or off
//   quadratic        forward and backward in the parallel form: tiles of 64 queries against tiles of 64 keys, the
//                    scores f(q . k) formed on chip and never phi (O(T^2 (F + Dv)) work); any F <= 64, taylor_exp
//                    or identity, Dv <= 127, normalize on or off. For the feature dims chunked_smem's state cannot
//                    hold (Based's F = 24: F' = 601)
//   recurrent_step   one token at a time against a state in global memory (decoding)
// The variant table (optimized/common/variant.hpp) lists chunked_smem, quadratic, and recurrent_step as a forward:
// T steps over the sequence with the state in its workspace (the decoding path checked against the parallel
// reference).
// Device pointers in the contract's layout: q, k [B, T, H, F], v, o [B, T, H, Dv]; den [B, H, T] (a saved buffer)
// is the forward's denominator (sum_s A[t, s] + eps, or 1 without normalize), kept for the backward; chunked_smem and
// quadratic save the same one, so either's backward takes the other's forward. Launchers take a stream, never
// allocate and never synchronise. Unsupported problems throw ShapeError naming the value and what is supported.
#pragma once
#include <span>
#include <string>

#include <cuda_runtime.h>

#include "core/ops/linear_attention.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::linear_attention {

using ops::linear_attention::Problem;

struct ForwardArgs {
  const float* q;  // [B, T, H, F]
  const float* k;  // [B, T, H, F]
  const float* v;  // [B, T, H, Dv]
  float* o;        // [B, T, H, Dv]
  float* den;      // [B, H, T]
};

struct BackwardArgs {
  const float* q;    // [B, T, H, F]
  const float* k;    // [B, T, H, F]
  const float* v;    // [B, T, H, Dv]
  const float* o;    // [B, T, H, Dv]  (the forward's)
  const float* dO;   // [B, T, H, Dv]
  const float* den;  // [B, H, T]      (the forward's)
  float* dq;         // [B, T, H, F]
  float* dk;         // [B, T, H, F]
  float* dv;         // [B, T, H, Dv]
};

// One token for every (b, h): S += phi(k_t) v_t^T, z += phi(k_t), then o_t = phi(q_t)^T S / (phi(q_t) . z + eps).
struct StepArgs {
  const float* q_t;  // [B, H, F]
  const float* k_t;  // [B, H, F]
  const float* v_t;  // [B, H, Dv]
  float* S;          // [B, H, F', Dv]  updated in place
  float* z;          // [B, H, F']      updated in place
  float* o_t;        // [B, H, Dv]
};

using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

namespace chunked_smem {
std::string unsupported(const Problem& p);
void forward(const Problem& p, const ForwardArgs& a, cudaStream_t stream);
void backward(const Problem& p, const BackwardArgs& a, cudaStream_t stream);
}  // namespace chunked_smem

namespace quadratic {
std::string unsupported(const Problem& p);
void forward(const Problem& p, const ForwardArgs& a, cudaStream_t stream);
void backward(const Problem& p, const BackwardArgs& a, cudaStream_t stream);
}  // namespace quadratic

namespace recurrent_step {
std::string unsupported(const Problem& p);
void step(const Problem& p, const StepArgs& a, cudaStream_t stream);
}  // namespace recurrent_step

}  // namespace menagerie::opt::linear_attention

template <>
struct menagerie::opt::VariantTable<menagerie::ops::linear_attention::Problem> {
  static std::span<const opt::linear_attention::Variant> get() { return opt::linear_attention::variants(); }
};
