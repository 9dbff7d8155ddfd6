// The MQAR language model as the trainer runs it: the math of core/model_config.hpp (zoology LanguageModel at
// <= 6fcfd35) plus training-time dropout, on flat row-major arrays, for one shard of a batch. Instantiated for
// float, double and Mp (Mp only for the gradient tests).
//   h0 = W_E[x] (+ P[t]);  s_0 = drop_e(h0)                          embedding dropout (zoology embed_dropout)
//   transformer block l: a = LN1(s), m = s + Mixer(a), s' = m + LN2(m)   (mamba block: s' = s + Mixer(RMSNorm(s)))
//   out = LN_f(s_L);  logits_i = out_i W_E^T only at labelled rows i;  loss = sum_i CE(logits_i, y_i) / denom
//   + sum_l aux_l(a_l) over the layers whose mixer declares an auxiliary loss (reference/model.hpp; zoology's
//   get_auxiliary_loss(), e.g. sigmoid_lookups' selection penalty). aux_l is a function of the mixer input of every
//   row of this call (a batch mean, not a sum over rows), so it is exact only when the call holds the whole batch:
//   ReferenceBackend does not split such a model's batches across threads.
// drop_p(x) = x ⊙ keep / (1 - p), keep ~ Bernoulli(1 - p) from Philox (core/philox.hpp): word(seed, stream, index)
// >= p 2^32 with the index counted over the whole batch (shard offset added), so the masks do not depend on how a
// batch is split across threads. Attention dropout acts on the softmax probabilities inside mha (zoology MHA's
// attention dropout); the other mixers have none in the MQAR configs.
// denom is the number of labelled positions of the whole batch, so shard losses and gradients simply add up.
// Mixers: mha, sliding_attn and base_conv run the fast CPU paths of train/cpu_fast_paths.hpp; every other mixer
// runs its reference (reference/<id>.cpp) through model::registry_math.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/contract.hpp"
#include "core/model_config.hpp"

namespace menagerie::train {

// Dropout of one forward/backward: probabilities, the Philox seed, and where this shard starts in the batch.
struct Dropout {
  double embedding = 0, attention = 0;
  std::uint64_t seed = 0;      // per step: mix(run seed, step)
  std::int64_t row_offset = 0;  // first example of this shard within the batch

  bool keep(std::uint64_t stream, std::uint64_t index, double p) const;
};

// A layer's mixer inside the training model: u [B, T, d] -> y [B, T, d] on flat arrays.
template <class T>
struct Kernel {
  struct Cache {
    std::vector<std::vector<T>> bufs;
  };
  virtual ~Kernel() = default;
  // p(name) is the mixer parameter `name` (relative to the mixer) as a flat array of its contract shape.
  struct Params {
    const Named<T>* all;
    std::string prefix;
    model::Tokens tokens;  // the shard's ids, for mixers that read them (repeat_lookups)
    const T* operator()(const std::string& name) const;
  };
  struct Grads {
    Named<T>* all;  // accumulated into (+=), allocated by the caller for every parameter
    std::string prefix;
    T* operator()(const std::string& name) const;
  };
  virtual void forward(const Params& p, std::int64_t B, std::int64_t T_, const T* u, T* y, Cache& cache,
                       const Dropout& drop, std::int64_t layer) const = 0;
  // du is overwritten; parameter gradients are added to g.
  virtual void backward(const Params& p, std::int64_t B, std::int64_t T_, const T* u, const T* dy, T* du, Grads& g,
                        Cache& cache, const Dropout& drop, std::int64_t layer) const = 0;
  // The mixer's auxiliary training loss on u [B, T_, d] (mixers that declare none: false, 0, nothing added), and
  // scale x its gradient added into du and g.
  virtual bool has_auxiliary_loss() const { return false; }
  virtual T auxiliary_loss(const Params&, std::int64_t, std::int64_t, const T*) const { return T(0); }
  virtual void auxiliary_backward(const Params&, std::int64_t, std::int64_t, const T*, const T&, T*, Grads&) const {}
};

// The kernel that runs mixer m: fast for mha, sliding_attn, base_conv; the reference for the others.
template <class T>
std::unique_ptr<Kernel<T>> make_kernel(const model::LayerMixer& m);

// Per labelled row of a shard: whether argmax(logits) == label (ties: the lowest id, as torch.argmax on CPU).
struct Predictions {
  std::vector<std::int64_t> example;  // example index within the shard
  std::vector<std::uint8_t> correct;
};

template <class T>
class TrainModel {
 public:
  explicit TrainModel(model::Config config);
  const model::Config& config() const { return config_; }
  // Loss of the shard: sum over its labelled rows of CE, divided by denom, plus the layers' auxiliary losses on the
  // shard's rows. grads (may be null) are accumulated (+=) and must hold every parameter of model::tensors(config),
  // zero-initialised by the caller. predictions (may be null) receive the argmax check of every labelled row.
  // auxiliary (may be null) receives the auxiliary part of the returned loss.
  T forward_backward(const Named<T>& params, const model::Batch& batch, double denom, const Dropout& drop,
                     Named<T>* grads, Predictions* predictions, T* auxiliary = nullptr) const;
  // Whether some layer's mixer has an auxiliary loss.
  bool has_auxiliary_loss() const;

 private:
  model::Config config_;
  std::vector<std::shared_ptr<const Kernel<T>>> kernels_;  // one per config.mixers entry
};

}  // namespace menagerie::train
