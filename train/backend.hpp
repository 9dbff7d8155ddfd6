// The interface the training loop (train/trainer.hpp) is written against. A backend owns the model's parameters,
// their gradients and the AdamW state wherever it keeps them (host memory here; device memory for the GPU backend
// of a later issue), and exchanges them with the loop only as double tensors named as zoology's state_dict
// (model::tensors order), for checkpoints and tests. One training step is forward_backward(batch) then step(lr).
//   forward_backward: mean cross-entropy over the batch's labelled positions (the head evaluated only there),
//                     with dropout as given (masks are a function of drop.seed and the position in the batch),
//                     plus the mixers' auxiliary losses on the whole batch (train/lm.hpp), and its gradient;
//   auxiliary_loss:   the auxiliary part of the last forward_backward's loss (0 when no mixer has one);
//   step:             one AdamW update (train/adamw.hpp) of every trained (non-frozen) parameter;
//   evaluate:         dropout off; per labelled position, whether argmax(logits) equals the label.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "core/contract.hpp"
#include "core/model_config.hpp"
#include "train/lm.hpp"
#include "train/run_config.hpp"

namespace menagerie::train {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;  // "reference/float (2 threads)"
  virtual const model::Config& config() const = 0;

  virtual Named<double> parameters() const = 0;
  virtual void set_parameters(const Named<double>& params) = 0;  // every parameter of model::tensors(config)

  virtual double forward_backward(const model::Batch& batch, const Dropout& drop) = 0;
  virtual Named<double> gradients() const = 0;  // of the last forward_backward
  virtual bool has_auxiliary_loss() const = 0;  // some layer's mixer has one
  virtual double auxiliary_loss() const = 0;
  virtual void step(const AdamWConfig& hyper, double lr) = 0;

  // AdamW state: the number of steps taken and the moments, as "exp_avg.<name>" and "exp_avg_sq.<name>" (trained
  // parameters only; empty before the first step).
  virtual std::int64_t optimizer_step() const = 0;
  virtual Named<double> optimizer_state() const = 0;
  virtual void set_optimizer_state(std::int64_t step, const Named<double>& moments) = 0;

  virtual Predictions evaluate(const model::Batch& batch) = 0;
};

// The backend a run config names ("reference": CPU, float or double, config.threads threads).
std::unique_ptr<Backend> make_backend(const RunConfig& config);

}  // namespace menagerie::train
