// make_gpu_backend in a build without CUDA (the cpu-only preset): the backend does not exist here.
#include "train/gpu_backend.hpp"

namespace menagerie::train {

std::unique_ptr<Backend> make_gpu_backend(const RunConfig&) {
  throw InputError("backend \"gpu\": this build has no CUDA (configure with MENAGERIE_WITH_CUDA=ON, the release preset)");
}

Provenance backend_provenance(const std::string&) { return host_provenance(); }

CudaGraphCounts cuda_graph_counts() { return {}; }  // no backend, no graph

bool gpu_context_lost() { return false; }  // no backend, no context

}  // namespace menagerie::train
