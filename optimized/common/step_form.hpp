// What the mixers' step variants (optimized/<mixer>/step_fp32.cu) share: a step form is the size of the carried state,
// the scratch of one token, the empty state and one token's step. Its variant's buffers are "state" and "workspace"
// (both scratch), and its forward runs the step over the T tokens of u [B, T, width] from the empty state, writing
// y [B, T, width] one token's rows at a time (row stride T width): the recurrent form, as decoding evaluates it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include <cuda_runtime.h>

#include "optimized/common/variant.hpp"

namespace menagerie::opt {

template <class Problem>
struct StepForm {
  std::size_t (*state_bytes)(const Problem&);
  std::size_t (*workspace_bytes)(const Problem&);
  void (*reset)(const Problem&, float* state, cudaStream_t);
  void (*step)(const Problem&, const DeviceArgs&, float* state, const float* u_t, std::int64_t ld_u, float* y_t,
               std::int64_t ld_y, float* workspace, cudaStream_t);
};

template <class Problem>
std::vector<BufferSpec> step_buffers(const StepForm<Problem>& f, const Problem& p) {
  return {{"state", f.state_bytes(p), false}, {"workspace", f.workspace_bytes(p), false}};
}

template <class Problem>
void run_steps(const StepForm<Problem>& f, const Problem& p, std::int64_t T, std::int64_t width, const DeviceArgs& a,
               cudaStream_t s) {
  float *state = a.as<float>("state"), *ws = a.as<float>("workspace"), *y = a.as<float>("y");
  const float* u = a.as<float>("u");
  f.reset(p, state, s);
  for (std::int64_t t = 0; t < T; ++t) f.step(p, a, state, u + t * width, T * width, y + t * width, T * width, ws, s);
}

}  // namespace menagerie::opt
