// gemm_cublas: softmax attention for the Zoology shape (few heads, D up to 512, T <= 1024), where the T x T score
// matrix of one head fits a workspace and cuBLAS's GEMMs are the fast part. Per head h, batched over b:
//   forward   S = Q K^T (fp32)  ->  row kernel: P = softmax(scale S) over the visible band, lse  ->  O = P V
//   backward  S = Q K^T again, dP = dO V^T  ->  row kernel: P = exp(scale S - lse), Delta = rowsum(P dP),
//             dS = P (dP - Delta)  ->  dV = P^T dO,  dQ = scale dS K,  dK = scale dS^T Q
// Row-major [T, D] blocks with row pitch H D are cuBLAS's column-major D x T matrices, so every product is one
// strided-batched GEMM (stride T H D between batches). fp32: fp32 storage and compute on a pedantic-math handle
// (no TF32), or TF32 operands (CUBLAS_COMPUTE_32F_FAST_TF32) on a stream whose GEMM precision is tf32 (the GPU
// trainer's "precision": "tf32", as PyTorch's allow_tf32 does for every matmul; a permission cuBLAS may decline: at
// B 2, T 97, H 2, D 64 it ran the fp32 kernels on the H100, at the trainer's T 256-512 the steps got up to 1.54x
// faster, session 25; gemm_work() counts the arithmetic asked for), or, on a stream whose GEMM precision is bf16 (the
// trainer's "precision": "bf16"), every product's fp32 operands (q, k, v, do, P, dS) rounded to bf16 (nearest even)
// into the stream's scratch and multiplied exactly with fp32 accumulation and fp32 S, dP and outputs, as gemm_rm's bf16
// does: the matmuls of PyTorch's bf16 autocast, whose outputs autocast would round too. bf16 data: bf16 q, k, v, P,
// dS and outputs, fp32 S, dP and accumulation. The cuBLAS handle is one per (stream, device), created on first use and kept
// for the process (blas_for). Attention dropout (fp32, training:
// gemm_cublas_dropout.hpp) swaps in the two *_dropout row kernels, which regenerate the Philox mask per row
// (dropout_mask.hpp's for_each_key: each thread takes whole Philox blocks of 4 consecutive keys).
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <string>

#include <cuda_bf16.h>

#include "core/errors.hpp"
#include "optimized/common/bf16_pack.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/cublas_handle.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/softmax_attention/gemm_cublas_dropout.hpp"
#include "optimized/softmax_attention/variants.hpp"

namespace menagerie::opt::softmax_attention::gemm_cublas {
namespace {

using bf16 = __nv_bfloat16;
constexpr int kRowThreads = 256;
constexpr std::int64_t kMaxT = 1024, kMaxD = 512;

template <class X>
constexpr cudaDataType_t data_type() {
  return std::is_same_v<X, float> ? CUDA_R_32F : CUDA_R_16BF;
}

// The handle and arithmetic of a launch's GEMMs, for fp32 data on a stream whose GEMM precision
// (optimized/common/gemm.hpp) is tf32 (FAST_TF32 compute) or bf16 (operands rounded into the stream's bf16 scratch).
struct Blas {
  cublasHandle_t handle;
  cudaStream_t stream;
  bool tf32, bf16;
};

// One handle per (stream, device), bound to its stream once: a handle's workspace then never serves two streams at
// once (cublasSetStream on a shared handle would hand the workspace to the new stream while the old one may still
// be using it), and no handle is destroyed (cublasDestroy synchronises the device) when a host thread exits. Only
// the math mode changes per call (pedantic for fp32 data in fp32, default otherwise); a stream is driven by one host
// thread at a time. fp32 data follow the stream's GEMM precision, as the projections around them do.
Blas blas_for(cudaStream_t stream, bool fp32) {
  static std::mutex mutex;
  static auto* handles = new std::map<std::pair<std::uintptr_t, int>, cuda::CublasHandle>;  // never destroyed
  int device = 0;
  MENAGERIE_CUDA_CHECK(cudaGetDevice(&device));
  cuda::CublasHandle* h = nullptr;
  {
    const std::lock_guard lock(mutex);
    const auto key = std::make_pair(reinterpret_cast<std::uintptr_t>(stream), device);
    auto it = handles->find(key);
    if (it == handles->end()) it = handles->emplace(key, cuda::CublasHandle(stream, cuda::MathMode::pedantic)).first;
    h = &it->second;
  }
  const auto precision = cuda::gemm_precision(stream);
  const bool tf32 = fp32 && precision == cuda::GemmPrecision::tf32, bf16 = fp32 && precision == cuda::GemmPrecision::bf16;
  const auto mode = fp32 && !tf32 && !bf16 ? cuda::MathMode::pedantic : cuda::MathMode::default_math;
  if (h->math_mode() != mode) h->set_math_mode(mode);
  return {h->get(), stream, tf32, bf16};
}

// A column-major operand of a strided-batched GEMM as memory sees it: `rows` stored columns of `len` elements each,
// `ld` apart, and batch b at b stride. Every operand here has stride = rows ld (the batches follow each other: a head's
// [T, D] block of [B, T, H, D], or one batch's T x T scores), so all batches are one row-major matrix of batch rows
// rows, which pack_bf16 rounds in one launch into a dense copy (ld = len, stride = rows len).
struct Operand {
  const void* data;
  int rows, len, ld;
  std::int64_t stride;
};
const __nv_bfloat16* round_to_bf16(const Blas& b, const Operand& x, int batch, __nv_bfloat16* dst) {
  require<Error>(x.stride == static_cast<std::int64_t>(x.rows) * x.ld, "gemm_cublas (bf16 precision): an operand's ",
                 "batch stride ", x.stride, " is not its ", x.rows, " stored columns x ld ", x.ld);
  cuda::pack_bf16(b.stream, static_cast<std::int64_t>(batch) * x.rows, x.len, static_cast<const float*>(x.data), x.ld,
                  dst);
  return dst;
}

// C = alpha op(A) op(B) for `batch` column-major problems; types: A, B of TA, C of TC; fp32 compute (TF32 operands
// where b.tf32; where b.bf16, fp32 A and B rounded to bf16 first, exact products).
void gemm(const Blas& b, bool ta, bool tb, int m, int n, int k, float alpha, const void* A, cudaDataType_t TA,
          int lda, std::int64_t sa, const void* B, int ldb, std::int64_t sb, void* C, cudaDataType_t TC, int ldc,
          std::int64_t sc, int batch) {
  const float beta = 0.f;
  using cuda::GemmArith;
  cuda::count_gemm(b.tf32                         ? GemmArith::tf32
                   : b.bf16 || TA == CUDA_R_16BF  ? GemmArith::bf16
                   : TA == CUDA_R_32F             ? GemmArith::fp32
                                                  : GemmArith::fp16,
                   m, n, k, batch);
  if (b.bf16) {  // op(A) m x k is stored k x m (ta) or m x k; op(B) k x n is stored n x k (tb) or k x n
    const Operand a{A, ta ? m : k, ta ? k : m, lda, sa}, bb{B, tb ? k : n, tb ? n : k, ldb, sb};
    const std::size_t a_size = (static_cast<std::size_t>(batch) * a.rows * a.len + 127) / 128 * 128;
    __nv_bfloat16* scratch =
        cuda::bf16_operand_scratch(b.stream, a_size + static_cast<std::size_t>(batch) * bb.rows * bb.len);
    const __nv_bfloat16 *A16 = round_to_bf16(b, a, batch, scratch), *B16 = round_to_bf16(b, bb, batch, scratch + a_size);
    MENAGERIE_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
        b.handle, ta ? CUBLAS_OP_T : CUBLAS_OP_N, tb ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, k, &alpha, A16, CUDA_R_16BF,
        a.len, static_cast<std::int64_t>(a.rows) * a.len, B16, CUDA_R_16BF, bb.len,
        static_cast<std::int64_t>(bb.rows) * bb.len, &beta, C, TC, ldc, sc, batch, CUBLAS_COMPUTE_32F,
        CUBLAS_GEMM_DEFAULT));
    return;
  }
  MENAGERIE_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      b.handle, ta ? CUBLAS_OP_T : CUBLAS_OP_N, tb ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, k, &alpha, A, TA, lda, sa, B, TA,
      ldb, sb, &beta, C, TC, ldc, sc, batch, b.tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F,
      CUBLAS_GEMM_DEFAULT));
}

__device__ float block_reduce(float x, bool is_max, float* scratch) {
  for (int off = 16; off > 0; off >>= 1) {
    const float y = __shfl_xor_sync(0xffffffffu, x, off);
    x = is_max ? fmaxf(x, y) : x + y;
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();
  if (lane == 0) scratch[warp] = x;
  __syncthreads();
  x = scratch[0];
  for (int w = 1; w < kRowThreads / 32; ++w) x = is_max ? fmaxf(x, scratch[w]) : x + scratch[w];
  return x;
}

template <class X>
__device__ __forceinline__ X to_x(float v) {
  if constexpr (std::is_same_v<X, float>)
    return v;
  else
    return __float2bfloat16_rn(v);
}

// One block per (t, b): P[b, t, :] from S[b, t, :] (fp32), and lse[b, h, t].
template <class X>
__global__ void softmax_rows(const float* __restrict__ S, X* __restrict__ P, float* __restrict__ lse, int T, int H,
                             int h, int window, float scale) {
  __shared__ float scratch[kRowThreads / 32];
  const int t = blockIdx.x, b = blockIdx.y;
  const std::int64_t row = (static_cast<std::int64_t>(b) * T + t) * T;
  const int lo = window < 0 ? 0 : max(0, t - window);
  float mx = -INFINITY;
  for (int s = lo + threadIdx.x; s <= t; s += kRowThreads) mx = fmaxf(mx, scale * S[row + s]);
  mx = block_reduce(mx, true, scratch);
  float sum = 0.f;
  for (int s = lo + threadIdx.x; s <= t; s += kRowThreads) sum += expf(scale * S[row + s] - mx);
  sum = block_reduce(sum, false, scratch);
  const float inv = 1.f / sum;
  for (int s = threadIdx.x; s < T; s += kRowThreads)
    P[row + s] = to_x<X>(s >= lo && s <= t ? expf(scale * S[row + s] - mx) * inv : 0.f);
  if (threadIdx.x == 0) lse[(static_cast<std::int64_t>(b) * H + h) * T + t] = mx + logf(sum);
}

// One block per (t, b): P = exp(scale S - lse), Delta = sum_s P dP, dS = P (dP - Delta).
template <class X>
__global__ void softmax_backward_rows(const float* __restrict__ S, const float* __restrict__ dP,
                                      const float* __restrict__ lse, X* __restrict__ P, X* __restrict__ dS, int T,
                                      int H, int h, int window, float scale) {
  __shared__ float scratch[kRowThreads / 32];
  const int t = blockIdx.x, b = blockIdx.y;
  const std::int64_t row = (static_cast<std::int64_t>(b) * T + t) * T;
  const int lo = window < 0 ? 0 : max(0, t - window);
  const float l = lse[(static_cast<std::int64_t>(b) * H + h) * T + t];
  float delta = 0.f;
  for (int s = lo + threadIdx.x; s <= t; s += kRowThreads) delta += expf(scale * S[row + s] - l) * dP[row + s];
  delta = block_reduce(delta, false, scratch);
  for (int s = threadIdx.x; s < T; s += kRowThreads) {
    const float p = s >= lo && s <= t ? expf(scale * S[row + s] - l) : 0.f;
    P[row + s] = to_x<X>(p);
    dS[row + s] = to_x<X>(p * (dP[row + s] - delta));
  }
}

// softmax_rows with dropout: the same max, sum and lse (of the undropped P), P' = P keep / (1 - p) written.
__global__ void softmax_rows_dropout(const float* __restrict__ S, float* __restrict__ P, float* __restrict__ lse, int T,
                                     int H, int h, int window, float scale, DropoutMask m) {
  __shared__ float scratch[kRowThreads / 32];
  const int t = blockIdx.x, b = blockIdx.y;
  const std::int64_t row = (static_cast<std::int64_t>(b) * T + t) * T;
  const int lo = window < 0 ? 0 : max(0, t - window);
  float mx = -INFINITY;
  for (int s = lo + threadIdx.x; s <= t; s += kRowThreads) mx = fmaxf(mx, scale * S[row + s]);
  mx = block_reduce(mx, true, scratch);
  float sum = 0.f;
  for (int s = lo + threadIdx.x; s <= t; s += kRowThreads) sum += expf(scale * S[row + s] - mx);
  sum = block_reduce(sum, false, scratch);
  const float inv = 1.f / sum;
  for_each_key(m, DropoutMask::index(b, h, t, 0, H, T), T, lo, t, threadIdx.x, kRowThreads,
               [&](std::int64_t s, float factor) {
                 P[row + s] = factor != 0.f ? expf(scale * S[row + s] - mx) * inv * factor : 0.f;
               });
  if (threadIdx.x == 0) lse[(static_cast<std::int64_t>(b) * H + h) * T + t] = mx + logf(sum);
}

// softmax_backward_rows with dropout. Pass 1: P = exp(scale S - lse), dP = dP' keep/(1-p) (in place), P' = P keep/(1-p)
// written for dV, Delta = sum_s P dP. Pass 2: dS = P (dP - Delta).
__global__ void softmax_backward_rows_dropout(const float* __restrict__ S, float* __restrict__ dP,
                                              const float* __restrict__ lse, float* __restrict__ P,
                                              float* __restrict__ dS, int T, int H, int h, int window, float scale,
                                              DropoutMask m) {
  __shared__ float scratch[kRowThreads / 32];
  const int t = blockIdx.x, b = blockIdx.y;
  const std::int64_t row = (static_cast<std::int64_t>(b) * T + t) * T;
  const int lo = window < 0 ? 0 : max(0, t - window);
  const float l = lse[(static_cast<std::int64_t>(b) * H + h) * T + t];
  float delta = 0.f;
  for_each_key(m, DropoutMask::index(b, h, t, 0, H, T), T, lo, t, threadIdx.x, kRowThreads,
               [&](std::int64_t s, float factor) {
                 const float p = s >= lo && s <= t ? expf(scale * S[row + s] - l) : 0.f;
                 const float dp = dP[row + s] * factor;
                 dP[row + s] = dp;
                 P[row + s] = p * factor;
                 delta += p * dp;
               });
  delta = block_reduce(delta, false, scratch);  // its __syncthreads also publish pass 1's dP to the whole block
  for (int s = threadIdx.x; s < T; s += kRowThreads)
    dS[row + s] = s >= lo && s <= t ? expf(scale * S[row + s] - l) * (dP[row + s] - delta) : 0.f;
}

template <class X>
void forward_impl(const Problem& p, const ForwardArgs& a, cudaStream_t stream, const DropoutMask& m = {}) {
  p.validate();
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  constexpr bool fp32 = std::is_same_v<X, float>;
  const Blas h = blas_for(stream, fp32);
  const int T = static_cast<int>(p.T), D = static_cast<int>(p.D), Dv = static_cast<int>(p.Dv);
  const int H = static_cast<int>(p.H), B = static_cast<int>(p.B);
  const std::int64_t TT = p.T * p.T;
  float* S = static_cast<float*>(a.workspace);
  X* P = reinterpret_cast<X*>(S + p.B * TT);
  const X* q = static_cast<const X*>(a.q);
  const X* k = static_cast<const X*>(a.k);
  const X* v = static_cast<const X*>(a.v);
  X* o = static_cast<X*>(a.o);
  constexpr cudaDataType_t tx = data_type<X>();
  for (int hh = 0; hh < H; ++hh) {
    // S^T (column-major T x T, i.e. S row-major) = K Q^T: op(A) = Kc^T, B = Qc.
    gemm(h, true, false, T, T, D, 1.f, k + hh * D, tx, H * D, p.T * H * D, q + hh * D, H * D, p.T * H * D, S,
         CUDA_R_32F, T, TT, B);
    const dim3 grid(static_cast<unsigned>(T), static_cast<unsigned>(B));
    if constexpr (fp32) {
      if (m.on) {
        softmax_rows_dropout<<<grid, kRowThreads, 0, stream>>>(S, P, a.lse, T, H, hh, static_cast<int>(p.window),
                                                               static_cast<float>(p.softmax_scale()), m);
        MENAGERIE_LAUNCH_CHECK();
      }
    }
    if (!m.on) {
      softmax_rows<X><<<grid, kRowThreads, 0, stream>>>(S, P, a.lse, T, H, hh, static_cast<int>(p.window),
                                                        static_cast<float>(p.softmax_scale()));
      MENAGERIE_LAUNCH_CHECK();
    }
    // O^T (Dv x T) = Vc P^T: A = Vc, B = Pc (column-major P^T).
    gemm(h, false, false, Dv, T, T, 1.f, v + hh * Dv, tx, H * Dv, p.T * H * Dv, P, T, TT, o + hh * Dv, tx, H * Dv,
         p.T * H * Dv, B);
  }
}

template <class X>
void backward_impl(const Problem& p, const BackwardArgs& a, cudaStream_t stream, const DropoutMask& m = {}) {
  p.validate();
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  constexpr bool fp32 = std::is_same_v<X, float>;
  const Blas h = blas_for(stream, fp32);
  const int T = static_cast<int>(p.T), D = static_cast<int>(p.D), Dv = static_cast<int>(p.Dv);
  const int H = static_cast<int>(p.H), B = static_cast<int>(p.B);
  const std::int64_t TT = p.T * p.T;
  const float scale = static_cast<float>(p.softmax_scale());
  float* S = static_cast<float*>(a.workspace);
  float* dP = S + p.B * TT;
  X* P = reinterpret_cast<X*>(dP + p.B * TT);
  X* dS = P + p.B * TT;
  const X* q = static_cast<const X*>(a.q);
  const X* k = static_cast<const X*>(a.k);
  const X* v = static_cast<const X*>(a.v);
  const X* dO = static_cast<const X*>(a.dO);
  X* dq = static_cast<X*>(a.dq);
  X* dk = static_cast<X*>(a.dk);
  X* dv = static_cast<X*>(a.dv);
  constexpr cudaDataType_t tx = data_type<X>();
  const std::int64_t sq = p.T * H * D, sv = p.T * H * Dv;
  for (int hh = 0; hh < H; ++hh) {
    gemm(h, true, false, T, T, D, 1.f, k + hh * D, tx, H * D, sq, q + hh * D, H * D, sq, S, CUDA_R_32F, T, TT, B);
    // dP^T column-major (dP row-major) = V dO^T: op(A) = Vc^T, B = dOc.
    gemm(h, true, false, T, T, Dv, 1.f, v + hh * Dv, tx, H * Dv, sv, dO + hh * Dv, H * Dv, sv, dP, CUDA_R_32F, T, TT,
         B);
    const dim3 grid(static_cast<unsigned>(T), static_cast<unsigned>(B));
    if constexpr (fp32) {
      if (m.on) {
        softmax_backward_rows_dropout<<<grid, kRowThreads, 0, stream>>>(S, dP, a.lse, P, dS, T, H, hh,
                                                                        static_cast<int>(p.window), scale, m);
        MENAGERIE_LAUNCH_CHECK();
      }
    }
    if (!m.on) {
      softmax_backward_rows<X><<<grid, kRowThreads, 0, stream>>>(S, dP, a.lse, P, dS, T, H, hh,
                                                                 static_cast<int>(p.window), scale);
      MENAGERIE_LAUNCH_CHECK();
    }
    // dV^T (Dv x T) = dOc Pc^T;  dQ^T (D x T) = scale Kc dSc;  dK^T (D x T) = scale Qc dSc^T.
    gemm(h, false, true, Dv, T, T, 1.f, dO + hh * Dv, tx, H * Dv, sv, P, T, TT, dv + hh * Dv, tx, H * Dv, sv, B);
    gemm(h, false, false, D, T, T, scale, k + hh * D, tx, H * D, sq, dS, T, TT, dq + hh * D, tx, H * D, sq, B);
    gemm(h, false, true, D, T, T, scale, q + hh * D, tx, H * D, sq, dS, T, TT, dk + hh * D, tx, H * D, sq, B);
  }
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.T > kMaxT) return cat("gemm_cublas: T = ", p.T, " unsupported (needs T <= ", kMaxT, ")");
  if (p.D > kMaxD || p.Dv > kMaxD)
    return cat("gemm_cublas: D = ", p.D, ", Dv = ", p.Dv, " unsupported (needs D, Dv <= ", kMaxD, ")");
  if (p.B > 65535) return cat("gemm_cublas: B = ", p.B, " exceeds 65535");
  return {};
}

std::size_t forward_workspace_bytes(const Problem& p) {
  return static_cast<std::size_t>(p.B * p.T * p.T) * (sizeof(float) + sizeof(float));
}
std::size_t backward_workspace_bytes(const Problem& p) {
  return static_cast<std::size_t>(p.B * p.T * p.T) * (4 * sizeof(float));
}

void forward_fp32(const Problem& p, const ForwardArgs& a, cudaStream_t s) { forward_impl<float>(p, a, s); }
void backward_fp32(const Problem& p, const BackwardArgs& a, cudaStream_t s) { backward_impl<float>(p, a, s); }
void forward_bf16(const Problem& p, const ForwardArgs& a, cudaStream_t s) { forward_impl<bf16>(p, a, s); }
void backward_bf16(const Problem& p, const BackwardArgs& a, cudaStream_t s) { backward_impl<bf16>(p, a, s); }
void forward_fp32_dropout(const Problem& p, const ForwardArgs& a, const DropoutMask& m, cudaStream_t s) {
  forward_impl<float>(p, a, s, m);
}
void backward_fp32_dropout(const Problem& p, const BackwardArgs& a, const DropoutMask& m, cudaStream_t s) {
  backward_impl<float>(p, a, s, m);
}

}  // namespace menagerie::opt::softmax_attention::gemm_cublas
