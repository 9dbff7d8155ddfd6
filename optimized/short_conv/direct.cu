// direct_fp32 / direct_bf16: the short depthwise causal convolution (core/ops/short_conv.hpp) by its definition,
//   y[b,t,c] = bias[c] + sum_{j<K} w[c,j] u[b, t-K+1+j, c],   K <= 8 taps (a template argument),
// with fp32 arithmetic over the storage type S (float, or __nv_bfloat16 rounded once on store).
// Forward: one thread per (channel c, run of R = 32 consecutive tokens of one sequence b); the channel axis is
//   innermost, so a warp reads 32 neighbouring channels of a token at once. The thread keeps the last K inputs in
//   registers (a shift register, unrolled over K) and reads each input of its run once, plus K-1 before it.
// Backward, du: the adjoint, an anti-causal window, du[b,τ,c] = sum_j w[c,j] dy[b, τ+K-1-j, c] (dy = 0 at t >= T):
//   the same thread layout walking its run backwards in time.
// Backward, dweight and dbias: dw[c,j] = sum_{b,t} dy[b,t,c] u[b,t-K+1+j,c], db[c] = sum_{b,t} dy[b,t,c]. Pass 1:
//   one thread per (c, chunk of `rows` tokens of one b) accumulates its K+1 partial sums in fp32 and writes them to
//   partial[chunk, j, c]; pass 2: the chunks summed per (j, c) by optimized/common/column_sums.cuh. Fixed order:
//   bitwise reproducible, no atomics.
#include <cuda_bf16.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/column_sums.cuh"
#include "optimized/short_conv/variants.hpp"

namespace menagerie::opt::short_conv {
namespace {

constexpr int kRun = 32, kThreads = 128;
constexpr std::int64_t kTargetChunks = 256;

__device__ __forceinline__ float load(const float* p, std::int64_t i) { return __ldg(p + i); }
__device__ __forceinline__ float load(const __nv_bfloat16* p, std::int64_t i) { return __bfloat162float(p[i]); }
__device__ __forceinline__ void store(float* p, std::int64_t i, float x) { p[i] = x; }
__device__ __forceinline__ void store(__nv_bfloat16* p, std::int64_t i, float x) { p[i] = __float2bfloat16_rn(x); }

// grid (ceil(D / kThreads), ceil(T / kRun), B)
template <int K, class S>
__global__ void __launch_bounds__(kThreads) forward_kernel(const S* __restrict__ u, const S* __restrict__ w,
                                                           const S* __restrict__ bias, S* __restrict__ y,
                                                           std::int64_t T, std::int64_t D) {
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (c >= D) return;
  const std::int64_t t0 = static_cast<std::int64_t>(blockIdx.y) * kRun, b = blockIdx.z;
  const S* ub = u + b * T * D + c;
  S* yb = y + b * T * D + c;
  float wr[K], win[K];
#pragma unroll
  for (int j = 0; j < K; ++j) wr[j] = load(w, c * K + j);
  const float bc = load(bias, c);
#pragma unroll
  for (int j = 0; j < K - 1; ++j) {  // win[j] = u[t0 - K + 1 + j], the inputs before the run
    const std::int64_t t = t0 - K + 1 + j;
    win[j] = t >= 0 ? load(ub, t * D) : 0.f;
  }
  const std::int64_t t_end = t0 + kRun < T ? t0 + kRun : T;
  for (std::int64_t t = t0; t < t_end; ++t) {
    win[K - 1] = load(ub, t * D);
    float acc = bc;
#pragma unroll
    for (int j = 0; j < K; ++j) acc = fmaf(wr[j], win[j], acc);
    store(yb, t * D, acc);
#pragma unroll
    for (int j = 0; j < K - 1; ++j) win[j] = win[j + 1];
  }
}

// du: grid as the forward; the run is walked from its last token down, the window holding dy[τ .. τ+K-1].
template <int K, class S>
__global__ void __launch_bounds__(kThreads) input_grad_kernel(const S* __restrict__ dy, const S* __restrict__ w,
                                                              S* __restrict__ du, std::int64_t T, std::int64_t D) {
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (c >= D) return;
  const std::int64_t t0 = static_cast<std::int64_t>(blockIdx.y) * kRun, b = blockIdx.z;
  const S* gb = dy + b * T * D + c;
  S* db = du + b * T * D + c;
  const std::int64_t t_end = t0 + kRun < T ? t0 + kRun : T;
  float wr[K], win[K];  // win[i] = dy[τ + i]
#pragma unroll
  for (int j = 0; j < K; ++j) wr[j] = load(w, c * K + j);
#pragma unroll
  for (int i = 1; i < K; ++i) {
    const std::int64_t t = t_end - 1 + i;
    win[i] = t < T ? load(gb, t * D) : 0.f;
  }
  for (std::int64_t tau = t_end - 1; tau >= t0; --tau) {
    win[0] = load(gb, tau * D);
    float acc = 0.f;
#pragma unroll
    for (int i = 0; i < K; ++i) acc = fmaf(wr[K - 1 - i], win[i], acc);  // j = K-1-i
    store(db, tau * D, acc);
#pragma unroll
    for (int i = K - 1; i > 0; --i) win[i] = win[i - 1];
  }
}

// Pass 1: grid (ceil(D / kThreads), chunks_per_b, B); partial[(b * chunks_per_b + q), j, c], j = K is the bias.
template <int K, class S>
__global__ void __launch_bounds__(kThreads) param_partial_kernel(const S* __restrict__ u, const S* __restrict__ dy,
                                                                 float* __restrict__ partial, std::int64_t T,
                                                                 std::int64_t D, std::int64_t rows) {
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (c >= D) return;
  const std::int64_t b = blockIdx.z, t0 = static_cast<std::int64_t>(blockIdx.y) * rows;
  const std::int64_t t_end = t0 + rows < T ? t0 + rows : T;
  const S* ub = u + b * T * D + c;
  const S* gb = dy + b * T * D + c;
  float acc[K + 1], win[K];
#pragma unroll
  for (int j = 0; j <= K; ++j) acc[j] = 0.f;
#pragma unroll
  for (int j = 0; j < K - 1; ++j) {
    const std::int64_t t = t0 - K + 1 + j;
    win[j] = t >= 0 ? load(ub, t * D) : 0.f;
  }
  for (std::int64_t t = t0; t < t_end; ++t) {
    win[K - 1] = load(ub, t * D);
    const float g = load(gb, t * D);
#pragma unroll
    for (int j = 0; j < K; ++j) acc[j] = fmaf(g, win[j], acc[j]);
    acc[K] += g;
#pragma unroll
    for (int j = 0; j < K - 1; ++j) win[j] = win[j + 1];
  }
  float* out = partial + ((b * gridDim.y + blockIdx.y) * (K + 1)) * D + c;
#pragma unroll
  for (int j = 0; j <= K; ++j) out[j * D] = acc[j];
}

// Pass 2's store: column i = j D + c of partial [chunks, K + 1, D] is dweight [D, 1, K] at (c, j) for j < K, or
// dbias [D] at c for j = K.
template <typename S>
struct ParamStore {
  S *dw, *dbias;
  std::int64_t D;
  int K;
  __device__ void operator()(std::int64_t i, float v) const {
    const std::int64_t j = i / D, c = i % D;
    if (j < K)
      store(dw, c * K + j, v);
    else
      store(dbias, c, v);
  }
};

std::int64_t rows_per_chunk(const Problem& p) {
  return std::max<std::int64_t>(kRun, (p.B * p.T + kTargetChunks - 1) / kTargetChunks);
}

template <class F>
void dispatch_taps(std::int64_t K, F&& f) {
  switch (K) {
    case 1: return f.template operator()<1>();
    case 2: return f.template operator()<2>();
    case 3: return f.template operator()<3>();
    case 4: return f.template operator()<4>();
    case 5: return f.template operator()<5>();
    case 6: return f.template operator()<6>();
    case 7: return f.template operator()<7>();
    default: return f.template operator()<8>();
  }
}

template <class S>
void forward_typed(const Problem& p, const ForwardArgs& a, cudaStream_t s) {
  const dim3 grid(static_cast<unsigned>((p.D + kThreads - 1) / kThreads), static_cast<unsigned>((p.T + kRun - 1) / kRun),
                  static_cast<unsigned>(p.B));
  dispatch_taps(p.K, [&]<int K>() {
    forward_kernel<K, S><<<grid, kThreads, 0, s>>>(static_cast<const S*>(a.u), static_cast<const S*>(a.weight),
                                                   static_cast<const S*>(a.bias), static_cast<S*>(a.y), p.T, p.D);
    MENAGERIE_LAUNCH_CHECK();
  });
}

template <class S>
void backward_typed(const Problem& p, const BackwardArgs& a, cudaStream_t s) {
  const unsigned cblocks = static_cast<unsigned>((p.D + kThreads - 1) / kThreads);
  const dim3 grid(cblocks, static_cast<unsigned>((p.T + kRun - 1) / kRun), static_cast<unsigned>(p.B));
  const std::int64_t rows = rows_per_chunk(p), per_b = (p.T + rows - 1) / rows;
  const dim3 pgrid(cblocks, static_cast<unsigned>(per_b), static_cast<unsigned>(p.B));
  dispatch_taps(p.K, [&]<int K>() {
    input_grad_kernel<K, S><<<grid, kThreads, 0, s>>>(static_cast<const S*>(a.dy), static_cast<const S*>(a.weight),
                                                      static_cast<S*>(a.du), p.T, p.D);
    MENAGERIE_LAUNCH_CHECK();
    param_partial_kernel<K, S><<<pgrid, kThreads, 0, s>>>(static_cast<const S*>(a.u), static_cast<const S*>(a.dy),
                                                          a.partial, p.T, p.D, rows);
    MENAGERIE_LAUNCH_CHECK();
  });
  fixed_column_sums(a.partial, chunks(p), (p.K + 1) * p.D,
                    ParamStore<S>{static_cast<S*>(a.dweight), static_cast<S*>(a.dbias), p.D, static_cast<int>(p.K)}, s);
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.K < 1 || p.K > kMaxTaps)
    return cat("short_conv direct: K = ", p.K, " taps unsupported (needs 1 <= K <= ", kMaxTaps, ")");
  if (p.B > 65535) return cat("short_conv direct: B = ", p.B, " exceeds 65535");
  if ((p.T + kRun - 1) / kRun > 65535)
    return cat("short_conv direct: T = ", p.T, " exceeds ", 65535 * kRun, " (65535 runs of ", kRun, " tokens)");
  return {};
}

std::int64_t chunks(const Problem& p) {
  const std::int64_t rows = rows_per_chunk(p);
  return p.B * ((p.T + rows - 1) / rows);
}

void forward(const Problem& p, DType dtype, const ForwardArgs& a, cudaStream_t s) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  if (dtype == DType::bf16)
    forward_typed<__nv_bfloat16>(p, a, s);
  else
    forward_typed<float>(p, a, s);
}

void backward(const Problem& p, DType dtype, const BackwardArgs& a, cudaStream_t s) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  if (dtype == DType::bf16)
    backward_typed<__nv_bfloat16>(p, a, s);
  else
    backward_typed<float>(p, a, s);
}

}  // namespace menagerie::opt::short_conv
