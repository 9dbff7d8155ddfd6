// A training step's device work as one CUDA graph (run config "cuda_graph": true, docs/gpu-trainer.md).
// capture(stream, issue) runs `issue` with `stream` in capture mode (cudaStreamBeginCapture,
// cudaStreamCaptureModeThreadLocal: this thread may make no potentially unsafe call meanwhile, so a cudaMalloc, a
// synchronisation or a pageable copy inside the step fails the capture instead of being recorded wrongly), ends the
// capture and instantiates the graph (cudaGraphInstantiate); launch(stream) replays it (cudaGraphLaunch): the same
// kernels, with the same arguments and the same device pointers, in the same order, as one submission instead of
// one per kernel. Everything a replay must see change per step (the batch, the dropout seed) therefore lives in
// device memory the graph reads, written before the launch. A failed capture leaves the stream out of capture mode
// and throws the CudaError of the call that broke it (or of cudaStreamEndCapture).
// Move-only; the executable graph is destroyed with the object.
#pragma once
#include <cstddef>
#include <functional>

#include "optimized/common/stream.hpp"  // cudaStream_t (train/ reaches CUDA through optimized/)

namespace menagerie::train::gpu {

class StepGraph {
 public:
  StepGraph() = default;
  ~StepGraph();
  StepGraph(const StepGraph&) = delete;
  StepGraph& operator=(const StepGraph&) = delete;
  StepGraph(StepGraph&& o) noexcept;
  StepGraph& operator=(StepGraph&& o) noexcept;

  void capture(cudaStream_t stream, const std::function<void()>& issue);
  bool ready() const { return exec_ != nullptr; }
  void launch(cudaStream_t stream) const;
  std::size_t nodes() const { return nodes_; }  // the captured graph's nodes: kernels, memsets, copies

 private:
  cudaGraphExec_t exec_ = nullptr;
  std::size_t nodes_ = 0;
};

}  // namespace menagerie::train::gpu
