// split_fp32: RWKV-4's WKV forward (core/ops/wkv.hpp) in fp32 with time split among the warps of a block, for
// occupancy. scan_fp32 (scan_fp32.cu, which has the stable recurrence) runs one thread per (b, d): at B = 8, D = 1024
// that is 8192 threads, two warps per SM, and the scan ran at 17% of the copy ceiling. Here a block holds 32
// neighbouring channels (lane = channel, coalesced loads) and 8 warps; a chunk of 64 tokens gives warp w tokens
// 8w..8w+7 in registers. Per chunk:
//   1. each thread folds its 8 tokens into the stable state from zero, (pl, ql, ol): the numerator and denominator
//      sums of its segment scaled by e^{-ol};
//   2. the 8 segments meet in shared memory and each thread composes them in warp order from the carried state
//      (p, q, o): n = 8 tokens of decay e^{-w} each scale the old sums by e^{-8w}, so
//        o' = max(o - 8w, ol),  p' = e^{o-8w-o'} p + e^{ol-o'} pl,  q' = e^{o-8w-o'} q + e^{ol-o'} ql
//      (every exponent <= 0 after its max, as in the sequential form); the composition over all 8 is the next
//      chunk's carry, computed identically by every thread;
//   3. each thread reruns its tokens from its incoming state with scan_fp32's step and writes y.
// The state before every 16th token is the checkpoint scan_fp32's backward reads ([B, ceil(T/16), 3, D]): the even
// warps' incoming states. So this variant's backward is scan_fp32's, unchanged; it recomputes y from the checkpoints
// by the sequential step, which agrees with this forward's y to rounding (the gradient needs no bitwise agreement).
#include <cstdint>
#include <string>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/wkv/variants.hpp"

namespace menagerie::opt::wkv::split_fp32 {
namespace {

constexpr int kLanes = 32, kWarps = 8, kItems = 8, kThreads = kLanes * kWarps, kC = kWarps * kItems;
constexpr int kCk = static_cast<int>(scan_fp32::kChunk);
static_assert(kCk % kItems == 0 && kC % kCk == 0);

struct State {
  float p, q, o;
};

// One token's state update and output, the order of operations of scan_fp32's step.
__device__ __forceinline__ float step(float kt, float vt, float w, float u, State& s) {
  const float bk = __fadd_rn(u, kt);
  const float m = fmaxf(s.o, bk);
  const float e_old = expf(s.o - m), e_new = expf(bk - m);
  const float y = __fdiv_rn(fmaf(e_old, s.p, __fmul_rn(e_new, vt)), fmaf(e_old, s.q, e_new));
  const float ow = __fsub_rn(s.o, w);
  const float m2 = fmaxf(ow, kt);
  const float a = expf(ow - m2), b = expf(kt - m2);
  s.p = fmaf(a, s.p, __fmul_rn(b, vt));
  s.q = fmaf(a, s.q, b);
  s.o = m2;
  return y;
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
                   std::int64_t T, std::int64_t D, std::int64_t nck) {
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
    if (tw % kCk == 0) {
      float* st = state + (b * nck + tw / kCk) * 3 * D + c;
      st[0] = mine.p, st[D] = mine.q, st[2 * D] = mine.o;
    }
#pragma unroll
    for (int i = 0; i < kItems; ++i)
      if (tw + i < T) y[off + (tw + i) * D] = step(kr[i], vr[i], w, u, mine);
  }
}

}  // namespace

std::string unsupported(const Problem& p) {
  std::string why = scan_fp32::unsupported(p);
  if (!why.empty()) why.replace(0, why.find(':'), "wkv split_fp32");
  return why;
}

void forward(const Problem& p, const scan_fp32::Inputs& in, float* y, float* state, cudaStream_t s) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  const dim3 grid{static_cast<unsigned>((p.D + kLanes - 1) / kLanes), static_cast<unsigned>(p.B)};
  forward_kernel<<<grid, kThreads, 0, s>>>(in.k, in.v, in.time_decay, in.time_first, y, state, p.T, p.D,
                                           scan_fp32::chunks(p));
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace menagerie::opt::wkv::split_fp32
