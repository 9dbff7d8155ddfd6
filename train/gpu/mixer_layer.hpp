// One layer's sequence mixer inside the GPU backend: the registry's mixer contract whose id the layer names, run by
// its GPU variant (optimized/<id>/variants.hpp) with every tensor bound once, at a fixed (B, T), to device memory:
//   "u" the mixer's input, "y" its output, "dy" the upstream gradient, "du" the input gradient;
//   each parameter <name> and its gradient "d<name>" inside the backend's parameter and gradient arenas;
//   the variant's own buffers (saved state and scratch, BufferSpec) allocated here, one set per layer.
// The variant is `composed_fp32` where the table has it, else the table's first one with a backward that is not the
// recurrent (step) form. A mixer without a GPU variant, or whose variants do not support the problem, is an
// InputError naming the mixer and what exists.
// Attention dropout: a mixer whose composed_fp32 is projected attention (mha, sliding_attn: WithDropout in
// optimized/<id>/dropout.hpp) applies the reference's masks (stream 1 + layer, the step's seed:
// optimized/softmax_attention/dropout_mask.hpp) when the step's attention p > 0, through projected_attention's
// dropout path, whose scratch is allocated on the first such step. Other mixers have no attention dropout (as in
// the reference, train/cpu_fast_paths.hpp) and ignore it; p = 0 (evaluation) is the plain path.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/layer_mixer.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::train::gpu {

struct LayerBinding {
  const float* u = nullptr;
  float* y = nullptr;
  const float* dy = nullptr;
  float* du = nullptr;
  std::function<float*(const std::string&)> param, grad;  // by the name relative to the mixer
};

// The attention dropout of one step: train::Dropout's attention probability and seed, and where the seed is in
// device memory (when set, the masks read it there: a captured CUDA graph replays with each step's seed).
struct StepDropout {
  double attention = 0;
  std::uint64_t seed = 0;
  const std::uint64_t* seed_at = nullptr;
};

class MixerLayer {
 public:
  virtual ~MixerLayer() = default;
  virtual std::string variant() const = 0;  // "hyena/composed_fp32"
  virtual void forward(cudaStream_t stream, const StepDropout& drop) = 0;
  virtual void backward(cudaStream_t stream, const StepDropout& drop) = 0;
};

// `layer` is the layer's index in the model (its attention-dropout stream is 1 + layer).
std::unique_ptr<MixerLayer> make_mixer_layer(const model::LayerMixer& mixer, std::int64_t layer, std::int64_t B,
                                             std::int64_t T, const LayerBinding& binding);

}  // namespace menagerie::train::gpu
