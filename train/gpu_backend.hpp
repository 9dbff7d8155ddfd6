// The GPU backend of train/backend.hpp (run config "backend": "gpu"): the model of train/lm.hpp in fp32 on one GPU,
// its mixers through their GPU variants (train/gpu/); "precision": "float" (cuBLAS GEMMs in fp32), "tf32" or "bf16"
// (the same storage, the GEMMs of optimized/common/gemm.hpp on tensor cores). Built with CUDA only; a cpu-only
// build's make_gpu_backend (train/gpu_backend_none.cpp) refuses with an InputError saying so.
#pragma once
#include <cstdint>
#include <memory>

#include "core/provenance.hpp"
#include "train/backend.hpp"

namespace menagerie::train {

std::unique_ptr<Backend> make_gpu_backend(const RunConfig& config);

// The GPU backends' CUDA graphs so far, in this process (all backends; "cuda_graph": true, docs/gpu-trainer.md):
// graphs captured, steps replayed from one (the capturing step included), and the nodes of the last one captured.
struct CudaGraphCounts {
  std::int64_t captured = 0, replayed = 0, nodes = 0;
};
CudaGraphCounts cuda_graph_counts();

// Whether a GPU backend has run in this process and its CUDA context is now unusable (a sticky error, e.g. an illegal
// address in any thread's kernel): train/gpu/stream_pool.hpp's context_lost(). Always false without CUDA.
bool gpu_context_lost();

// The provenance of results trained on `backend`: the GPU's (name, CUDA runtime and driver) for "gpu", the host's
// otherwise.
Provenance backend_provenance(const std::string& backend);

}  // namespace menagerie::train
