// labelled_fp32: mean softmax cross-entropy over the labelled rows (core/ops/cross_entropy.hpp), fp32.
//   rows kernel    one block of 256 threads per row r. Unlabelled (label -100): lse[r] = term[r] = 0, no logit read.
//                  Labelled: m = max_v z[r,v] and s = sum_v exp(z[r,v] - m), each thread over v = tid, tid + 256, ...
//                  then a fixed tree in shared memory; lse[r] = m + log s, term[r] = lse[r] - z[r, label].
//   mean kernel    one block of 1024 threads: thread i sums term[r] and counts labelled r for r = i, i + 1024, ...,
//                  then fixed trees; loss = sum / n, count = n (loss = 0 when n = 0).
//   backward       one block per row writes all V of its row: dz[r,v] = (dloss / n) (exp(z[r,v] - lse[r]) - [v = label])
//                  on labelled rows, 0 on the others. exp(z - lse) is exactly 1 where a row has one entry (V = 1), so
//                  that case gives exactly 0, as the reference's scale - scale.
// Fixed reduction trees and no atomics: the same bits on every run.
#include <cstdint>
#include <string>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/cross_entropy/variants.hpp"

namespace menagerie::opt::cross_entropy::labelled_fp32 {
namespace {

constexpr int kRowThreads = 256, kMeanThreads = 1024;
constexpr std::int64_t kMax32 = std::int64_t{1} << 31;
constexpr std::int64_t kIgnore = ops::cross_entropy::ignore_index;

// Tree over sh[0, n) (n a power of two) with op; the result in sh[0]. Every thread of the block calls it.
template <int N, class Op>
__device__ void tree(float* sh, Op op) {
#pragma unroll
  for (int stride = N / 2; stride > 0; stride >>= 1) {
    __syncthreads();
    if (static_cast<int>(threadIdx.x) < stride) sh[threadIdx.x] = op(sh[threadIdx.x], sh[threadIdx.x + stride]);
  }
  __syncthreads();
}

struct Max {
  __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};
struct Add {
  __device__ float operator()(float a, float b) const { return a + b; }
};

__global__ void __launch_bounds__(kRowThreads) rows_kernel(const std::int64_t* __restrict__ labels,
                                                           const float* __restrict__ z, float* __restrict__ lse,
                                                           float* __restrict__ terms, std::int64_t V) {
  __shared__ float sh[kRowThreads];
  const std::int64_t r = blockIdx.x;
  const std::int64_t label = labels[r];
  if (label == kIgnore) {
    if (threadIdx.x == 0) lse[r] = 0.f, terms[r] = 0.f;
    return;
  }
  const float* zr = z + r * V;
  float m = -INFINITY;
  for (std::int64_t v = threadIdx.x; v < V; v += kRowThreads) m = fmaxf(m, zr[v]);
  sh[threadIdx.x] = m;
  tree<kRowThreads>(sh, Max{});
  m = sh[0];
  __syncthreads();
  float s = 0.f;
  for (std::int64_t v = threadIdx.x; v < V; v += kRowThreads) s += expf(zr[v] - m);
  sh[threadIdx.x] = s;
  tree<kRowThreads>(sh, Add{});
  if (threadIdx.x == 0) {
    const float l = m + logf(sh[0]);
    lse[r] = l;
    terms[r] = l - zr[label];
  }
}

__global__ void __launch_bounds__(kMeanThreads) mean_kernel(const std::int64_t* __restrict__ labels,
                                                            const float* __restrict__ terms, float* __restrict__ loss,
                                                            int* __restrict__ count, std::int64_t rows) {
  __shared__ float sh[kMeanThreads];
  __shared__ int cnt[kMeanThreads];
  float s = 0.f;
  int c = 0;
  for (std::int64_t r = threadIdx.x; r < rows; r += kMeanThreads) s += terms[r], c += labels[r] != kIgnore;
  sh[threadIdx.x] = s;
  cnt[threadIdx.x] = c;
  for (int stride = kMeanThreads / 2; stride > 0; stride >>= 1) {
    __syncthreads();
    if (static_cast<int>(threadIdx.x) < stride)
      sh[threadIdx.x] += sh[threadIdx.x + stride], cnt[threadIdx.x] += cnt[threadIdx.x + stride];
  }
  if (threadIdx.x == 0) {
    count[0] = cnt[0];
    loss[0] = cnt[0] > 0 ? sh[0] / static_cast<float>(cnt[0]) : 0.f;
  }
}

__global__ void __launch_bounds__(kRowThreads) grad_kernel(const std::int64_t* __restrict__ labels,
                                                           const float* __restrict__ z, const float* __restrict__ lse,
                                                           const int* __restrict__ count,
                                                           const float* __restrict__ dloss, float* __restrict__ dz,
                                                           std::int64_t V) {
  const std::int64_t r = blockIdx.x;
  const std::int64_t label = labels[r];
  float* dr = dz + r * V;
  if (label == kIgnore) {
    for (std::int64_t v = threadIdx.x; v < V; v += kRowThreads) dr[v] = 0.f;
    return;
  }
  const int n = count[0];
  const float scale = n > 0 ? dloss[0] / static_cast<float>(n) : 0.f, l = lse[r];
  const float* zr = z + r * V;
  for (std::int64_t v = threadIdx.x; v < V; v += kRowThreads)
    dr[v] = scale * (expf(zr[v] - l) - (v == label ? 1.f : 0.f));
}

void upload_labels(const Problem& p, const DeviceArgs& a, cudaStream_t stream) {
  MENAGERIE_CUDA_CHECK(cudaMemcpyAsync(a.get("labels"), p.labels.data(), p.labels.size() * sizeof(std::int64_t),
                                       cudaMemcpyHostToDevice, stream));
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.B * p.T >= kMax32) return cat("cross_entropy labelled_fp32: B T = ", p.B * p.T, " rows exceed 2^31 - 1");
  return {};
}

std::vector<BufferSpec> buffers(const Problem& p) {
  const auto rows = static_cast<std::size_t>(p.B * p.T);
  return {{"lse", rows * sizeof(float), true},
          {"count", sizeof(int), true},
          {"labels", rows * sizeof(std::int64_t), false},
          {"terms", rows * sizeof(float), false}};
}

void forward_labels(std::int64_t rows, std::int64_t V, const std::int64_t* labels, const float* logits, float* loss,
                    float* lse, float* terms, int* count, cudaStream_t stream) {
  rows_kernel<<<static_cast<unsigned>(rows), kRowThreads, 0, stream>>>(labels, logits, lse, terms, V);
  MENAGERIE_LAUNCH_CHECK();
  mean_kernel<<<1, kMeanThreads, 0, stream>>>(labels, terms, loss, count, rows);
  MENAGERIE_LAUNCH_CHECK();
}

void backward_labels(std::int64_t rows, std::int64_t V, const std::int64_t* labels, const float* logits,
                     const float* lse, const int* count, const float* dloss, float* dlogits, cudaStream_t stream) {
  grad_kernel<<<static_cast<unsigned>(rows), kRowThreads, 0, stream>>>(labels, logits, lse, count, dloss, dlogits, V);
  MENAGERIE_LAUNCH_CHECK();
}

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  upload_labels(p, a, stream);
  forward_labels(p.B * p.T, p.V, a.as<const std::int64_t>("labels"), a.as<const float>("logits"), a.as<float>("loss"),
                 a.as<float>("lse"), a.as<float>("terms"), a.as<int>("count"), stream);
}

void backward(const Problem& p, const DeviceArgs& a, cudaStream_t stream) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  upload_labels(p, a, stream);
  backward_labels(p.B * p.T, p.V, a.as<const std::int64_t>("labels"), a.as<const float>("logits"),
                  a.as<const float>("lse"), a.as<const int>("count"), a.as<const float>("dloss"),
                  a.as<float>("dlogits"), stream);
}

}  // namespace menagerie::opt::cross_entropy::labelled_fp32
