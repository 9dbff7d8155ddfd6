// StepGraph of train/gpu/step_graph.hpp.
#include "train/gpu/step_graph.hpp"

#include <utility>

#include "optimized/common/check.hpp"

namespace menagerie::train::gpu {

StepGraph::~StepGraph() {
  if (exec_) cudaGraphExecDestroy(exec_);
}

StepGraph::StepGraph(StepGraph&& o) noexcept
    : exec_(std::exchange(o.exec_, nullptr)), nodes_(std::exchange(o.nodes_, 0)) {}

StepGraph& StepGraph::operator=(StepGraph&& o) noexcept {
  if (this != &o) {
    if (exec_) cudaGraphExecDestroy(exec_);
    exec_ = std::exchange(o.exec_, nullptr);
    nodes_ = std::exchange(o.nodes_, 0);
  }
  return *this;
}

void StepGraph::capture(cudaStream_t stream, const std::function<void()>& issue) {
  MENAGERIE_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  cudaGraph_t graph = nullptr;
  try {
    issue();
  } catch (...) {
    cudaStreamEndCapture(stream, &graph);  // leaves capture mode; the (invalidated) capture's error is the one thrown
    if (graph) cudaGraphDestroy(graph);
    cudaGetLastError();
    throw;
  }
  MENAGERIE_CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
  std::size_t nodes = 0;
  cudaGraphExec_t exec = nullptr;
  const cudaError_t counted = cudaGraphGetNodes(graph, nullptr, &nodes);
  const cudaError_t made = counted == cudaSuccess ? cudaGraphInstantiate(&exec, graph, 0) : counted;
  cudaGraphDestroy(graph);  // the executable graph holds its own copy
  MENAGERIE_CUDA_CHECK(made);
  if (exec_) cudaGraphExecDestroy(exec_);
  exec_ = exec;
  nodes_ = nodes;
}

void StepGraph::launch(cudaStream_t stream) const { MENAGERIE_CUDA_CHECK(cudaGraphLaunch(exec_, stream)); }

}  // namespace menagerie::train::gpu
