// The GPU backend of train/backend.hpp (run config "backend": "gpu"): the model of train/lm.hpp in fp32 on one GPU,
// its mixers through their GPU variants (train/gpu/). Built with CUDA only; a cpu-only build's make_gpu_backend
// (train/gpu_backend_none.cpp) refuses with an InputError saying so.
#pragma once
#include <memory>

#include "train/backend.hpp"

namespace menagerie::train {

std::unique_ptr<Backend> make_gpu_backend(const RunConfig& config);

}  // namespace menagerie::train
