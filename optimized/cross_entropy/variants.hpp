// GPU variant of the mean softmax cross-entropy over labelled rows (contract: core/ops/cross_entropy.hpp),
// logits [B,T,V], labels [B,T] (ignore_index = -100 where unlabelled) -> loss []:
//   per labelled row r:  m = max_v logits[r,v],  lse[r] = m + log sum_v exp(logits[r,v] - m)
//                        term[r] = lse[r] - logits[r, labels[r]]
//   n = |labelled rows|,  loss = (1/n) sum_r term[r]
//   backward: dlogits[r,v] = dloss/n (exp(logits[r,v] - lse[r]) - [v = labels[r]]) on labelled rows, 0 elsewhere
//   labelled_fp32   fp32. Forward: one 256-thread block per row; an unlabelled row reads no logit and writes
//                   lse = 0, term = 0; a labelled row reduces max and the sum of exponentials by a fixed tree in shared
//                   memory. Then one block sums the terms and counts the labelled rows in a fixed order (each thread a
//                   strided run, then the tree) and writes loss and n: bitwise reproducible, no atomics.
//                   Backward: one block per row writes every element of its row (zeros where unlabelled), reading
//                   dloss and the saved n on the device. n = 0 (possible only through the *_labels launchers: the
//                   contract rejects it) gives loss 0 and a zero gradient rather than 0/0.
// The labels are data in the Problem (a host vector): the Problem's launchers upload them (int64, cudaMemcpyAsync)
// into the scratch buffer "labels" on the launch's stream; the *_labels launchers take them already on the device.
// Launchers take a stream, never allocate and never synchronise.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "core/ops/cross_entropy.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::cross_entropy {

using ops::cross_entropy::Problem;
using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

namespace labelled_fp32 {
std::string unsupported(const Problem& p);
// saved: "lse" [B T] (0 on unlabelled rows), "count" [1] int32 (n); scratch: "labels" [B T] int64, "terms" [B T].
std::vector<BufferSpec> buffers(const Problem& p);
void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
void backward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);

// rows = B T labels on the device, each in [0, V) or -100.
void forward_labels(std::int64_t rows, std::int64_t V, const std::int64_t* labels, const float* logits, float* loss,
                    float* lse, float* terms, int* count, cudaStream_t stream);
void backward_labels(std::int64_t rows, std::int64_t V, const std::int64_t* labels, const float* logits,
                     const float* lse, const int* count, const float* dloss, float* dlogits, cudaStream_t stream);
}  // namespace labelled_fp32

}  // namespace menagerie::opt::cross_entropy

template <>
struct menagerie::opt::VariantTable<menagerie::ops::cross_entropy::Problem> {
  static std::span<const opt::cross_entropy::Variant> get() { return opt::cross_entropy::variants(); }
};
