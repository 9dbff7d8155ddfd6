// split_fp32: RWKV-4's WKV (core/ops/wkv.hpp) in fp32 with time split among the warps of a block, for occupancy.
// scan_fp32 (scan_fp32.cu, which has the stable recurrence and its adjoint) runs one thread per (b, d): at B = 8,
// D = 1024 that is 8192 threads, two warps per SM, and the scan ran at 17% of the copy ceiling. Here a block holds 32
// neighbouring channels (lane = channel, coalesced loads) and 8 warps; a chunk of 64 tokens gives warp w tokens
// 8w..8w+7 in registers.
// Forward, per chunk:
//   1. each thread folds its 8 tokens into the stable state from zero, (pl, ql, ol): the numerator and denominator
//      sums of its segment scaled by e^{-ol};
//   2. the 8 segments meet in shared memory and each thread composes them in warp order from the carried state
//      (p, q, o): n = 8 tokens of decay e^{-w} each scale the old sums by e^{-8w}, so
//        o' = max(o - 8w, ol),  p' = e^{o-8w-o'} p + e^{ol-o'} pl,  q' = e^{o-8w-o'} q + e^{ol-o'} ql
//      (every exponent <= 0 after its max, as in the sequential form); the composition over all 8 is the next
//      chunk's carry, computed identically by every thread;
//   3. each thread saves its incoming state (the checkpoint of its segment, state[b, t/8, 0..2, d]), reruns its
//      tokens from it with scan_fp32's step and writes y.
// Backward: scan_fp32's adjoint carries (gp, gq, rp, rq, og), the sums over later tokens t of g_t e^{-(t-1-s)w}/Z_t,
//   -g_t y_t e^{..}/Z_t and the same weighted by (t-1-s), scaled by e^{-og} (fp64 sums: stable_step.cuh says why). Over a segment of n tokens the true sums
//   compose linearly, G_out = e^{-nw} G_in + G_loc and R_out = e^{-nw} (R_in + n G_in) + R_loc, so in scaled form
//     og' = max(og - nw, ogl),  a = e^{og-nw-og'},  b = e^{ogl-og'}
//     gp' = a gp + b gpl,  gq' = a gq + b gql,  rp' = a (rp + n gp) + b rpl,  rq' = a (rq + n gq) + b rql.
//   Per chunk (last first): each thread recomputes its segment's forward from its checkpoint (y, m, den per token),
//   folds its segment's adjoint from zero, the segments meet in shared memory and are composed in reverse warp order
//   from the carry of the later chunks, and each thread walks its tokens backwards from its incoming carry with
//   scan_fp32's adjoint step, writing dk, dv and summing its parameter-gradient terms. Those are summed per block over
//   the warps in order and written as per-sequence partials for scan_fp32's fixed-order reduction over b.
// The math of both compositions was checked against the direct formula and autograd in float64 before the kernels
// were written (a Python transcription of this algorithm; relative errors <= 5e-15 for T = 1..150).
#include <cstdint>
#include <string>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/wkv/stable_step.cuh"
#include "optimized/wkv/variants.hpp"

namespace menagerie::opt::wkv::split_fp32 {
namespace {

constexpr int kLanes = 32, kWarps = 8, kItems = static_cast<int>(kSegment), kThreads = kLanes * kWarps, kC = kWarps * kItems;

__device__ __forceinline__ float step(float kt, float vt, float w, float u, StableState& s) {
  double m;
  float den;
  return stable_step(kt, vt, w, u, s, m, den);
}

// The state s followed by a segment of kItems tokens whose own state from zero is l (w8 = 8w: the segment's decay).
__device__ __forceinline__ StableState compose(StableState s, StableState l, float w8) {
  const double od = s.o - w8;
  const double o = fmax(od, l.o);
  if (o == -INFINITY) return s;  // both empty
  const float a = exp_diff(od, o), b = exp_diff(l.o, o);
  return {fmaf(a, s.p, b * l.p), fmaf(a, s.q, b * l.q), o};
}

__global__ void __launch_bounds__(kThreads)
    forward_kernel(const float* __restrict__ k, const float* __restrict__ v, const float* __restrict__ time_decay,
                   const float* __restrict__ time_first, float* __restrict__ y, float* __restrict__ state,
                   std::int64_t T, std::int64_t D, std::int64_t nseg) {
  __shared__ float sp[kWarps][kLanes], sq[kWarps][kLanes];
  __shared__ double so[kWarps][kLanes];
  const int lane = threadIdx.x % kLanes, wi = threadIdx.x / kLanes;
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * kLanes + lane, b = blockIdx.y;
  const bool valid = c < D;
  const std::int64_t off = b * T * D + c;
  const float w = valid ? expf(__ldg(time_decay + c)) : 0.f, u = valid ? __ldg(time_first + c) : 0.f;
  const float w8 = static_cast<float>(kItems) * w;
  StableState carry = empty_state();
  const std::int64_t nchunks = (T + kC - 1) / kC;
  for (std::int64_t j = 0; j < nchunks; ++j) {
    const std::int64_t tw = j * kC + wi * kItems;
    float kr[kItems], vr[kItems];
#pragma unroll
    for (int i = 0; i < kItems; ++i) {
      const bool in = valid && tw + i < T;
      kr[i] = in ? __ldg(k + off + (tw + i) * D) : 0.f;
      vr[i] = in ? __ldg(v + off + (tw + i) * D) : 0.f;
    }
    StableState l = empty_state();
#pragma unroll
    for (int i = 0; i < kItems; ++i)
      if (tw + i < T) step(kr[i], vr[i], w, u, l);
    sp[wi][lane] = l.p, sq[wi][lane] = l.q, so[wi][lane] = l.o;
    __syncthreads();
    StableState s = carry, mine = carry;
#pragma unroll
    for (int x = 0; x < kWarps; ++x) {
      if (x == wi) mine = s;
      s = compose(s, {sp[x][lane], sq[x][lane], so[x][lane]}, w8);
    }
    carry = s;
    __syncthreads();  // the exchange buffers are rewritten by the next chunk
    if (!valid || tw >= T) continue;
    save_state(state + (b * nseg + tw / kItems) * kStateFloats * D + c, D, mine);
#pragma unroll
    for (int i = 0; i < kItems; ++i)
      if (tw + i < T) y[off + (tw + i) * D] = step(kr[i], vr[i], w, u, mine);
  }
}

// The carry c of the later tokens followed (backwards in time) by a segment of kItems tokens whose own carry from zero
// is l.
__device__ __forceinline__ AdjointCarry compose_adjoint(AdjointCarry c, AdjointCarry l, float w8) {
  const double od = c.og - w8;
  const double o = fmax(od, l.og);
  if (o == -INFINITY) return c;  // both empty
  const double a = exp_diff(od, o), b = exp_diff(l.og, o), n = kItems;
  return {fma(a, c.gp, b * l.gp), fma(a, c.gq, b * l.gq), fma(a, fma(n, c.gp, c.rp), b * l.rp),
          fma(a, fma(n, c.gq, c.rq), b * l.rq), o};
}

// grid (ceil(D / 32), B); partial [2, B, D]: the dtime_first terms and the sum S of dtime_decay = -w S.
__global__ void __launch_bounds__(kThreads)
    backward_kernel(const float* __restrict__ k, const float* __restrict__ v, const float* __restrict__ time_decay,
                    const float* __restrict__ time_first, const float* __restrict__ state,
                    const float* __restrict__ dy, float* __restrict__ dk, float* __restrict__ dv,
                    float* __restrict__ partial, std::int64_t Bn, std::int64_t T, std::int64_t D, std::int64_t nseg) {
  __shared__ double sx[4][kWarps][kLanes];
  __shared__ double sog[kWarps][kLanes];
  const int lane = threadIdx.x % kLanes, wi = threadIdx.x / kLanes;
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * kLanes + lane, b = blockIdx.y;
  const bool valid = c < D;
  const std::int64_t off = b * T * D + c;
  const float w = valid ? expf(__ldg(time_decay + c)) : 0.f, u = valid ? __ldg(time_first + c) : 0.f;
  const float w8 = static_cast<float>(kItems) * w;
  AdjointCarry carry = empty_adjoint();
  double gu_total = 0.0, s_total = 0.0;  // fp64 sums (stable_step.cuh says why)
  const std::int64_t nchunks = (T + kC - 1) / kC;
  for (std::int64_t j = nchunks - 1; j >= 0; --j) {
    const std::int64_t tw = j * kC + wi * kItems;
    const bool seg = valid && tw < T;
    float kr[kItems], vr[kItems], gr[kItems], yr[kItems], dr[kItems];
    double mr[kItems];
#pragma unroll
    for (int i = 0; i < kItems; ++i) {
      const bool in = valid && tw + i < T;
      kr[i] = in ? __ldg(k + off + (tw + i) * D) : 0.f;
      vr[i] = in ? __ldg(v + off + (tw + i) * D) : 0.f;
      gr[i] = in ? __ldg(dy + off + (tw + i) * D) : 0.f;
    }
    StableState st = empty_state();
    if (seg) st = load_state(state + (b * nseg + tw / kItems) * kStateFloats * D + c, D);
#pragma unroll
    for (int i = 0; i < kItems; ++i) {
      yr[i] = 0.f, mr[i] = 0.f, dr[i] = 1.f;
      if (seg && tw + i < T) yr[i] = stable_step(kr[i], vr[i], w, u, st, mr[i], dr[i]);
    }
    AdjointCarry l = empty_adjoint();
    float dkv, dvv, gu, sterm;
#pragma unroll
    for (int i = kItems - 1; i >= 0; --i)
      if (seg && tw + i < T) adjoint_step(kr[i], vr[i], yr[i], mr[i], dr[i], gr[i], w, u, l, dkv, dvv, gu, sterm);
    sx[0][wi][lane] = l.gp, sx[1][wi][lane] = l.gq, sx[2][wi][lane] = l.rp, sx[3][wi][lane] = l.rq;
    sog[wi][lane] = l.og;
    __syncthreads();
    AdjointCarry a = carry, mine = carry;
#pragma unroll
    for (int x = kWarps - 1; x >= 0; --x) {
      if (x == wi) mine = a;
      a = compose_adjoint(a, {sx[0][x][lane], sx[1][x][lane], sx[2][x][lane], sx[3][x][lane], sog[x][lane]}, w8);
    }
    carry = a;
    __syncthreads();  // the exchange buffers are rewritten by the next chunk
    double gu_seg = 0.0, s_seg = 0.0;
#pragma unroll
    for (int i = kItems - 1; i >= 0; --i)
      if (seg && tw + i < T) {
        adjoint_step(kr[i], vr[i], yr[i], mr[i], dr[i], gr[i], w, u, mine, dkv, dvv, gu, sterm);
        dk[off + (tw + i) * D] = dkv;
        dv[off + (tw + i) * D] = dvv;
        gu_seg += gu;
        s_seg += sterm;
      }
    gu_total += gu_seg;
    s_total += s_seg;
  }
  // The block's warps in order, into the per-sequence partials.
  sx[0][wi][lane] = gu_total, sx[1][wi][lane] = s_total;
  __syncthreads();
  if (wi == 0 && valid) {
    double g = 0.0, t = 0.0;
    for (int x = 0; x < kWarps; ++x) g += sx[0][x][lane], t += sx[1][x][lane];
    partial[b * D + c] = static_cast<float>(g);
    partial[(Bn + b) * D + c] = static_cast<float>(t);
  }
}

dim3 grid(const Problem& p) {
  return {static_cast<unsigned>((p.D + kLanes - 1) / kLanes), static_cast<unsigned>(p.B)};
}

}  // namespace

std::string unsupported(const Problem& p) {
  std::string why = scan_fp32::unsupported(p);
  if (!why.empty()) why.replace(0, why.find(':'), "wkv split_fp32");
  return why;
}

std::int64_t segments(const Problem& p) { return (p.T + kItems - 1) / kItems; }

std::size_t state_bytes(const Problem& p) {
  return static_cast<std::size_t>(p.B * segments(p) * kStateFloats * p.D) * sizeof(float);
}

void forward(const Problem& p, const scan_fp32::Inputs& in, float* y, float* state, cudaStream_t s) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  forward_kernel<<<grid(p), kThreads, 0, s>>>(in.k, in.v, in.time_decay, in.time_first, y, state, p.T, p.D,
                                              segments(p));
  MENAGERIE_LAUNCH_CHECK();
}

void backward(const Problem& p, const scan_fp32::Inputs& in, const float* state, const float* dy,
              const scan_fp32::Grads& out, float* workspace, cudaStream_t s) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  backward_kernel<<<grid(p), kThreads, 0, s>>>(in.k, in.v, in.time_decay, in.time_first, state, dy, out.k, out.v,
                                               workspace, p.B, p.T, p.D, segments(p));
  MENAGERIE_LAUNCH_CHECK();
  scan_fp32::reduce_parameter_partials(p, in.time_decay, workspace, out, s);
}

}  // namespace menagerie::opt::wkv::split_fp32
