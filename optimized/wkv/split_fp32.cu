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
//   -g_t y_t e^{..}/Z_t and the same weighted by (t-1-s), scaled by e^{-og}. Over a segment of n tokens the true sums
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
#include "optimized/wkv/variants.hpp"

namespace menagerie::opt::wkv::split_fp32 {
namespace {

constexpr int kLanes = 32, kWarps = 8, kItems = static_cast<int>(kSegment), kThreads = kLanes * kWarps, kC = kWarps * kItems;

struct State {
  float p, q, o;
};

// One token's state update and output (with the max m and the scaled denominator den the adjoint needs), the order
// of operations of scan_fp32's step.
__device__ __forceinline__ float step(float kt, float vt, float w, float u, State& s, float& m, float& den) {
  const float bk = __fadd_rn(u, kt);
  m = fmaxf(s.o, bk);
  const float e_old = expf(s.o - m), e_new = expf(bk - m);
  den = fmaf(e_old, s.q, e_new);
  const float y = __fdiv_rn(fmaf(e_old, s.p, __fmul_rn(e_new, vt)), den);
  const float ow = __fsub_rn(s.o, w);
  const float m2 = fmaxf(ow, kt);
  const float a = expf(ow - m2), b = expf(kt - m2);
  s.p = fmaf(a, s.p, __fmul_rn(b, vt));
  s.q = fmaf(a, s.q, b);
  s.o = m2;
  return y;
}

__device__ __forceinline__ float step(float kt, float vt, float w, float u, State& s) {
  float m, den;
  return step(kt, vt, w, u, s, m, den);
}

// The state s followed by a segment of kItems tokens whose own state from zero is l (w8 = 8w: the segment's decay).
__device__ __forceinline__ State compose(State s, State l, float w8) {
  const float od = s.o - w8;
  const float o = fmaxf(od, l.o);
  if (o == -INFINITY) return s;  // both empty
  const float a = expf(od - o), b = expf(l.o - o);
  return {fmaf(a, s.p, b * l.p), fmaf(a, s.q, b * l.q), o};
}

__global__ void __launch_bounds__(kThreads)
    forward_kernel(const float* __restrict__ k, const float* __restrict__ v, const float* __restrict__ time_decay,
                   const float* __restrict__ time_first, float* __restrict__ y, float* __restrict__ state,
                   std::int64_t T, std::int64_t D, std::int64_t nseg) {
  __shared__ float sp[kWarps][kLanes], sq[kWarps][kLanes], so[kWarps][kLanes];
  const int lane = threadIdx.x % kLanes, wi = threadIdx.x / kLanes;
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * kLanes + lane, b = blockIdx.y;
  const bool valid = c < D;
  const std::int64_t off = b * T * D + c;
  const float w = valid ? expf(__ldg(time_decay + c)) : 0.f, u = valid ? __ldg(time_first + c) : 0.f;
  const float w8 = static_cast<float>(kItems) * w;
  State carry{0.f, 0.f, -INFINITY};
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
    State l{0.f, 0.f, -INFINITY};
#pragma unroll
    for (int i = 0; i < kItems; ++i)
      if (tw + i < T) step(kr[i], vr[i], w, u, l);
    sp[wi][lane] = l.p, sq[wi][lane] = l.q, so[wi][lane] = l.o;
    __syncthreads();
    State s = carry, mine = carry;
#pragma unroll
    for (int x = 0; x < kWarps; ++x) {
      if (x == wi) mine = s;
      s = compose(s, {sp[x][lane], sq[x][lane], so[x][lane]}, w8);
    }
    carry = s;
    __syncthreads();  // the exchange buffers are rewritten by the next chunk
    if (!valid || tw >= T) continue;
    float* st = state + (b * nseg + tw / kItems) * 3 * D + c;
    st[0] = mine.p, st[D] = mine.q, st[2 * D] = mine.o;
#pragma unroll
    for (int i = 0; i < kItems; ++i)
      if (tw + i < T) y[off + (tw + i) * D] = step(kr[i], vr[i], w, u, mine);
  }
}

// The adjoint carry of scan_fp32's backward: sums over the later tokens scaled by e^{-og}.
struct Adjoint {
  float gp, gq, rp, rq, og;
};

// One token of scan_fp32's adjoint step (the same operations): the carry c holds the sums over t > s; returns dk, dv
// and the token's dtime_first and S terms, and advances c past s.
__device__ __forceinline__ void adjoint_step(float kt, float vt, float yt, float m, float den, float gt, float w,
                                             float u, Adjoint& c, float& dk, float& dv, float& gu, float& sterm) {
  const float gz = __fdiv_rn(gt, den);
  const float a = gz * expf(__fadd_rn(u, kt) - m);
  const float ek = expf(kt + c.og);
  const float vy = vt - yt;
  dv = fmaf(ek, c.gp, a);
  dk = fmaf(a, vy, ek * fmaf(c.gp, vt, c.gq));
  gu = a * vy;
  sterm = ek * fmaf(c.rp, vt, c.rq);
  const float ow = c.og - w;
  const float o2 = fmaxf(ow, -m);
  const float A = expf(ow - o2), Bt = gz * expf(-m - o2);
  c.rp = A * (c.rp + c.gp);
  c.rq = A * (c.rq + c.gq);
  c.gp = fmaf(A, c.gp, Bt);
  c.gq = fmaf(A, c.gq, -Bt * yt);
  c.og = o2;
}

// The carry c of the later tokens followed (backwards in time) by a segment of kItems tokens whose own carry from zero
// is l.
__device__ __forceinline__ Adjoint compose_adjoint(Adjoint c, Adjoint l, float w8) {
  const float od = c.og - w8;
  const float o = fmaxf(od, l.og);
  if (o == -INFINITY) return c;  // both empty
  const float a = expf(od - o), b = expf(l.og - o), n = static_cast<float>(kItems);
  return {fmaf(a, c.gp, b * l.gp), fmaf(a, c.gq, b * l.gq), fmaf(a, fmaf(n, c.gp, c.rp), b * l.rp),
          fmaf(a, fmaf(n, c.gq, c.rq), b * l.rq), o};
}

// grid (ceil(D / 32), B); partial [2, B, D]: the dtime_first terms and the sum S of dtime_decay = -w S.
__global__ void __launch_bounds__(kThreads)
    backward_kernel(const float* __restrict__ k, const float* __restrict__ v, const float* __restrict__ time_decay,
                    const float* __restrict__ time_first, const float* __restrict__ state,
                    const float* __restrict__ dy, float* __restrict__ dk, float* __restrict__ dv,
                    float* __restrict__ partial, std::int64_t Bn, std::int64_t T, std::int64_t D, std::int64_t nseg) {
  __shared__ float sx[5][kWarps][kLanes];
  const int lane = threadIdx.x % kLanes, wi = threadIdx.x / kLanes;
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * kLanes + lane, b = blockIdx.y;
  const bool valid = c < D;
  const std::int64_t off = b * T * D + c;
  const float w = valid ? expf(__ldg(time_decay + c)) : 0.f, u = valid ? __ldg(time_first + c) : 0.f;
  const float w8 = static_cast<float>(kItems) * w;
  Adjoint carry{0.f, 0.f, 0.f, 0.f, -INFINITY};
  float gu_total = 0.f, s_total = 0.f;
  const std::int64_t nchunks = (T + kC - 1) / kC;
  for (std::int64_t j = nchunks - 1; j >= 0; --j) {
    const std::int64_t tw = j * kC + wi * kItems;
    const bool seg = valid && tw < T;
    float kr[kItems], vr[kItems], gr[kItems], yr[kItems], mr[kItems], dr[kItems];
#pragma unroll
    for (int i = 0; i < kItems; ++i) {
      const bool in = valid && tw + i < T;
      kr[i] = in ? __ldg(k + off + (tw + i) * D) : 0.f;
      vr[i] = in ? __ldg(v + off + (tw + i) * D) : 0.f;
      gr[i] = in ? __ldg(dy + off + (tw + i) * D) : 0.f;
    }
    State st{0.f, 0.f, -INFINITY};
    if (seg) {
      const float* sp = state + (b * nseg + tw / kItems) * 3 * D + c;
      st = {sp[0], sp[D], sp[2 * D]};
    }
#pragma unroll
    for (int i = 0; i < kItems; ++i) {
      yr[i] = 0.f, mr[i] = 0.f, dr[i] = 1.f;
      if (seg && tw + i < T) yr[i] = step(kr[i], vr[i], w, u, st, mr[i], dr[i]);
    }
    Adjoint l{0.f, 0.f, 0.f, 0.f, -INFINITY};
    float dkv, dvv, gu, sterm;
#pragma unroll
    for (int i = kItems - 1; i >= 0; --i)
      if (seg && tw + i < T) adjoint_step(kr[i], vr[i], yr[i], mr[i], dr[i], gr[i], w, u, l, dkv, dvv, gu, sterm);
    sx[0][wi][lane] = l.gp, sx[1][wi][lane] = l.gq, sx[2][wi][lane] = l.rp, sx[3][wi][lane] = l.rq;
    sx[4][wi][lane] = l.og;
    __syncthreads();
    Adjoint a = carry, mine = carry;
#pragma unroll
    for (int x = kWarps - 1; x >= 0; --x) {
      if (x == wi) mine = a;
      a = compose_adjoint(a, {sx[0][x][lane], sx[1][x][lane], sx[2][x][lane], sx[3][x][lane], sx[4][x][lane]}, w8);
    }
    carry = a;
    __syncthreads();  // the exchange buffers are rewritten by the next chunk
    float gu_seg = 0.f, s_seg = 0.f;
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
    float g = 0.f, t = 0.f;
    for (int x = 0; x < kWarps; ++x) g += sx[0][x][lane], t += sx[1][x][lane];
    partial[b * D + c] = g;
    partial[(Bn + b) * D + c] = t;
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
  return static_cast<std::size_t>(p.B * segments(p) * 3 * p.D) * sizeof(float);
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
