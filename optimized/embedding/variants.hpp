// GPU variant of the token embedding lookup (contract: core/ops/embedding.hpp), ids [B,T], weight [V,D] -> y [B,T,D]:
//   y[r,:] = weight[ids[r],:]                               (r = b T + t)
//   backward: dweight[v,:] = sum over r with ids[r] = v of dy[r,:], in increasing r (0 where v occurs nowhere)
//   gather_fp32   fp32. Forward: one thread per element of y, a gather. Backward without float atomics: the
//                 positions are sorted by id with CUB's stable radix sort (keys = ids, values = positions, so each
//                 id's positions stay in increasing order), each id's segment [start, end) of the sorted order found
//                 by comparing neighbours, then one thread per element of dweight sums its id's rows of dy in
//                 position order and writes every element (zeros for absent ids): bitwise reproducible.
// The ids are data in the Problem (a host vector): the Problem's launchers upload them (int64, cudaMemcpyAsync) into
// the scratch buffer "ids" on the launch's stream before their kernels; the *_ids launchers take the ids already on
// the device (the trainer's batches). Launchers take a stream, never allocate and never synchronise.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "core/ops/embedding.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::opt::embedding {

using ops::embedding::Problem;
using Variant = opt::Variant<Problem>;
std::span<const Variant> variants();

namespace gather_fp32 {
std::string unsupported(const Problem& p);
// scratch: "ids" [B T] int64 (the uploaded ids), "workspace" (workspace_bytes: the sort's keys, values, CUB's
// temporary storage, the segments and the chunk partial sums).
std::vector<BufferSpec> buffers(const Problem& p);
void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);
void backward(const Problem& p, const DeviceArgs& a, cudaStream_t stream);

// rows = B T ids in [0, V) on the device. workspace_bytes asks CUB for its temporary storage (a query, no launch).
std::size_t workspace_bytes(std::int64_t rows, std::int64_t V, std::int64_t D);
void forward_ids(std::int64_t rows, std::int64_t D, const std::int64_t* ids, const float* weight, float* y,
                 cudaStream_t stream);
void backward_ids(std::int64_t rows, std::int64_t V, std::int64_t D, const std::int64_t* ids, const float* dy,
                  float* dweight, void* workspace, cudaStream_t stream);
}  // namespace gather_fp32

}  // namespace menagerie::opt::embedding

template <>
struct menagerie::opt::VariantTable<menagerie::ops::embedding::Problem> {
  static std::span<const opt::embedding::Variant> get() { return opt::embedding::variants(); }
};
