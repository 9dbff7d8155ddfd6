// scan_fp32: RWKV-4's WKV recurrence (core/ops/wkv.hpp), fp32, by the numerically stable running-maximum recurrence
// of the reference (reference_step) and of RWKV-4's own CUDA kernel. Per (b, d), w = exp(time_decay[d]) > 0,
// u = time_first[d]; the state (p, q, o) holds the numerator and denominator sums over s < t scaled by e^{-o}, o the
// running max exponent (p = q = 0, o = -inf before the first token). Token t, bk = u + k_t:
//   m_t = max(o, bk);  den_t = e^{o-m_t} q + e^{bk-m_t};  y_t = (e^{o-m_t} p + e^{bk-m_t} v_t) / den_t
//   m' = max(o - w, k_t);  p <- e^{o-w-m'} p + e^{k_t-m'} v_t;  q <- e^{o-w-m'} q + e^{k_t-m'};  o <- m'
// Every exponent is <= 0 after its max is subtracted, so nothing overflows for any finite k, u, time_decay with
// exp(time_decay) finite (inputs ~1e3, u = ±1e3 included); q >= 1 after the first token, so den_t >= 1.
// The true normaliser is Z_t = e^{m_t} den_t and P[t,s] = e^{k_s - (t-1-s) w} / Z_t (s < t), P[t,t] = e^{bk_t} / Z_t.
//
// Forward: one thread per (b, d) scans T (coalesced: a warp reads 32 neighbouring channels of one token, the channel
//   axis being innermost); blocks of 64 channels, one grid row per sequence b. Tokens are read in chunks of kChunk = 16
//   into registers, the next chunk's loads issued before the current chunk is computed (double buffering). Before
//   each chunk j the thread writes the state (p, q, o) to the saved buffer state[b, j, 0..3, d]: 4 floats (o as
//   hi + lo, stable_step.cuh) per 16 tokens, a checkpoint per chunk, not per step.
// Backward (dy given), the adjoint recurrence run backwards in time, as RWKV-4's kernel does, but without its per-step
//   arrays: chunks from the last to the first; per chunk the forward is recomputed from its checkpoint in registers
//   (y_t, m_t, den_t of its 16 tokens, bitwise as the forward computed them), then its tokens are walked backwards with
//   stable_step.cuh's adjoint_step, which carries the sums over the later tokens (in fp64: see there why). Bounds:
//   e^{k_s + og} <= P[t*,s] den_{t*} <= T + 1 and |gp| <= sum |g|, so nothing overflows. Nothing per step goes to HBM:
//   the reads are k, v, dy and the checkpoints, the writes dk, dv.
// Parameter gradients, deterministic: each thread sums its sequence's terms (in fp64) per chunk, then the chunk sums
//   in order, and writes its two partials to workspace[2, B, D]; optimized/common/column_sums.cuh sums them over b in
//   a fixed order and writes dtime_first and dtime_decay = -w S. No atomics: bitwise reproducible.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/column_sums.cuh"
#include "optimized/wkv/stable_step.cuh"
#include "optimized/wkv/variants.hpp"

namespace menagerie::opt::wkv::scan_fp32 {
namespace {

constexpr int kThreads = 64;
constexpr int C = static_cast<int>(kChunk);

// r[i] = x[(t0 + i) D] for t0 + i < T (x already offset to the thread's sequence and channel), 0 beyond.
__device__ __forceinline__ void load_chunk(const float* __restrict__ x, std::int64_t t0, std::int64_t T,
                                           std::int64_t D, float (&r)[C]) {
#pragma unroll
  for (int i = 0; i < C; ++i) r[i] = t0 + i < T ? __ldg(x + (t0 + i) * D) : 0.f;
}

// grid (ceil(D / kThreads), B); state [B, nchunks, 3, D].
__global__ void __launch_bounds__(kThreads)
    forward_kernel(const float* __restrict__ k, const float* __restrict__ v, const float* __restrict__ time_decay,
                   const float* __restrict__ time_first, float* __restrict__ y, float* __restrict__ state,
                   std::int64_t T, std::int64_t D, std::int64_t nchunks) {
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (c >= D) return;
  const std::int64_t b = blockIdx.y, off = b * T * D + c;
  const float* kb = k + off;
  const float* vb = v + off;
  float* yb = y + off;
  float* st = state + b * nchunks * kStateFloats * D + c;
  const float w = expf(__ldg(time_decay + c)), u = __ldg(time_first + c);
  StableState s = empty_state();
  float kc[C], vc[C], kn[C] = {}, vn[C] = {};
  load_chunk(kb, 0, T, D, kc);
  load_chunk(vb, 0, T, D, vc);
  for (std::int64_t j = 0; j < nchunks; ++j) {
    const std::int64_t t0 = j * C;
    if (j + 1 < nchunks) {  // the next chunk in flight while this one is computed
      load_chunk(kb, t0 + C, T, D, kn);
      load_chunk(vb, t0 + C, T, D, vn);
    }
    save_state(st + j * kStateFloats * D, D, s);
#pragma unroll
    for (int i = 0; i < C; ++i)
      if (t0 + i < T) {
        double m;
        float den;
        yb[(t0 + i) * D] = stable_step(kc[i], vc[i], w, u, s, m, den);
      }
#pragma unroll
    for (int i = 0; i < C; ++i) kc[i] = kn[i], vc[i] = vn[i];
  }
}

// grid (ceil(D / kThreads), B); partial [2, B, D]: 0 the dtime_first terms, 1 the sum S of dtime_decay = -w S.
__global__ void __launch_bounds__(kThreads)
    backward_kernel(const float* __restrict__ k, const float* __restrict__ v, const float* __restrict__ time_decay,
                    const float* __restrict__ time_first, const float* __restrict__ state,
                    const float* __restrict__ dy, float* __restrict__ dk, float* __restrict__ dv,
                    float* __restrict__ partial, std::int64_t B, std::int64_t T, std::int64_t D,
                    std::int64_t nchunks) {
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (c >= D) return;
  const std::int64_t b = blockIdx.y, off = b * T * D + c;
  const float* kb = k + off;
  const float* vb = v + off;
  const float* gb = dy + off;
  float* dkb = dk + off;
  float* dvb = dv + off;
  const float* st = state + b * nchunks * kStateFloats * D + c;
  const float w = expf(__ldg(time_decay + c)), u = __ldg(time_first + c);

  AdjointCarry carry = empty_adjoint();
  double gu_total = 0.0, s_total = 0.0;  // fp64 sums (stable_step.cuh says why)
  float kc[C], vc[C], gc[C], kn[C] = {}, vn[C] = {}, gn[C] = {};
  const std::int64_t last = nchunks - 1;
  load_chunk(kb, last * C, T, D, kc);
  load_chunk(vb, last * C, T, D, vc);
  load_chunk(gb, last * C, T, D, gc);
  StableState saved = load_state(st + last * kStateFloats * D, D), saved_next = empty_state();
  for (std::int64_t j = last; j >= 0; --j) {
    const std::int64_t t0 = j * C;
    if (j > 0) {  // the previous chunk in flight while this one is computed
      load_chunk(kb, t0 - C, T, D, kn);
      load_chunk(vb, t0 - C, T, D, vn);
      load_chunk(gb, t0 - C, T, D, gn);
      saved_next = load_state(st + (j - 1) * kStateFloats * D, D);
    }
    // Recompute the chunk's forward from its checkpoint.
    float yc[C], dc[C];
    double mc[C];
    {
      StableState s = saved;
#pragma unroll
      for (int i = 0; i < C; ++i) {
        yc[i] = 0.f, mc[i] = 0.f, dc[i] = 1.f;
        if (t0 + i < T) yc[i] = stable_step(kc[i], vc[i], w, u, s, mc[i], dc[i]);
      }
    }
    // The adjoint recurrence over the chunk, last token first.
    double gu_chunk = 0.0, s_chunk = 0.0;
#pragma unroll
    for (int i = C - 1; i >= 0; --i)
      if (t0 + i < T) {
        float dkv, dvv, gu, sterm;
        adjoint_step(kc[i], vc[i], yc[i], mc[i], dc[i], gc[i], w, u, carry, dkv, dvv, gu, sterm);
        dkb[(t0 + i) * D] = dkv;
        dvb[(t0 + i) * D] = dvv;
        gu_chunk += gu;
        s_chunk += sterm;
      }
    gu_total += gu_chunk;
    s_total += s_chunk;
#pragma unroll
    for (int i = 0; i < C; ++i) kc[i] = kn[i], vc[i] = vn[i], gc[i] = gn[i];
    saved = saved_next;
  }
  partial[b * D + c] = static_cast<float>(gu_total);
  partial[(B + b) * D + c] = static_cast<float>(s_total);
}

// The partials [2, B, D] summed over b in a fixed order (optimized/common/column_sums.cuh): dtime_first = the first
// sum, dtime_decay = -w times the second.
struct DecayStore {
  const float* time_decay;
  float* dtime_decay;
  __device__ void operator()(std::int64_t c, float s) const { dtime_decay[c] = -expf(time_decay[c]) * s; }
};

dim3 scan_grid(const Problem& p) {
  return {static_cast<unsigned>((p.D + kThreads - 1) / kThreads), static_cast<unsigned>(p.B)};
}

void check_supported(const Problem& p) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.B < 1 || p.T < 1 || p.D < 1)
    return cat("wkv scan_fp32: B, T, D = ", p.B, ", ", p.T, ", ", p.D, " unsupported (each must be >= 1)");
  if (p.B > 65535) return cat("wkv scan_fp32: B = ", p.B, " exceeds 65535 (one grid row per sequence)");
  if ((p.D + kThreads - 1) / kThreads > std::numeric_limits<int>::max())
    return cat("wkv scan_fp32: D = ", p.D, " exceeds ", std::int64_t{std::numeric_limits<int>::max()} * kThreads,
               " channels");
  return {};
}

std::int64_t chunks(const Problem& p) { return (p.T + kChunk - 1) / kChunk; }

std::size_t state_bytes(const Problem& p) {
  return static_cast<std::size_t>(p.B * chunks(p) * kStateFloats * p.D) * sizeof(float);
}

std::size_t workspace_bytes(const Problem& p) { return static_cast<std::size_t>(2 * p.B * p.D) * sizeof(float); }

void forward(const Problem& p, const Inputs& in, float* y, float* state, cudaStream_t s) {
  check_supported(p);
  forward_kernel<<<scan_grid(p), kThreads, 0, s>>>(in.k, in.v, in.time_decay, in.time_first, y, state, p.T, p.D,
                                                   chunks(p));
  MENAGERIE_LAUNCH_CHECK();
}

void backward(const Problem& p, const Inputs& in, const float* state, const float* dy, const Grads& out,
              float* workspace, cudaStream_t s) {
  check_supported(p);
  backward_kernel<<<scan_grid(p), kThreads, 0, s>>>(in.k, in.v, in.time_decay, in.time_first, state, dy, out.k,
                                                    out.v, workspace, p.B, p.T, p.D, chunks(p));
  MENAGERIE_LAUNCH_CHECK();
  reduce_parameter_partials(p, in.time_decay, workspace, out, s);
}

void reduce_parameter_partials(const Problem& p, const float* time_decay, const float* partial, const Grads& out,
                               cudaStream_t s) {
  fixed_column_sums(partial, p.B, p.D, StoreTo{out.time_first}, s);
  fixed_column_sums(partial + p.B * p.D, p.B, p.D, DecayStore{time_decay, out.time_decay}, s);
}

}  // namespace menagerie::opt::wkv::scan_fp32
