// Reference of the MQAR language model (contract: core/model_config.hpp): forward to logits, the mean cross-entropy
// at labelled positions, and the analytic gradient of that loss for every parameter, through every layer. Built from
// the operator references (embedding, layer_norm, lm_head, cross_entropy) and each layer's mixer reference.
// Instantiated for float, double and Mp. Dropout is off (eval), as everywhere in the references.
// The loss is the training objective: L = CE + sum_l aux_l(a_l) over the layers whose mixer declares an auxiliary
// loss (sigmoid_lookups' selection penalty); each aux_l adds its gradient to Mixer_l's d_in (u and its parameters).
// Backward, with s_l, a_l, m_l as in the contract and g = dL/ds_L = LN_f'(dL/dout), for l = L-1 .. 0:
//   dm_l = g + LN2_l'(g)        (the stream and the re-added LN2(m_l) both carry g)
//   g    = dm_l + LN1_l'(Mixer_l'(dm_l))
// (mamba blocks: g = g + RMSNorm_l'(Mixer_l'(g)))
// then dW_E = scatter-add of g over the ids + out^T dlogits (tied head), dP = scatter-add of g over positions.
// Gradients are returned for every parameter of tensors(config), frozen mixer tensors included (the trainer skips
// those named by LayerMixer::frozen()).
#pragma once
#include <concepts>
#include <functional>
#include <vector>

#include "core/model_config.hpp"

namespace menagerie::model {

// One layer mixer's reference math at batch size B = batch and length T = length, type-erased.
// in: "u" and the mixer's params (names relative to the mixer); out / d_out: "y"; d_in: "u" and every param.
// tokens: the batch's ids, which a mixer whose contract declares reads_token_ids receives in its Problem (ids, V);
// the others ignore them.
template <class T>
struct MixerMath {
  std::function<void(std::int64_t batch, std::int64_t length, const Tokens& tokens, const Named<T>& in,
                     Named<T>& out)>
      forward;
  std::function<void(std::int64_t batch, std::int64_t length, const Tokens& tokens, const Named<T>& in,
                     const Named<T>& d_out, Named<T>& d_in)>
      backward;
  // The auxiliary training loss of a contract with has_auxiliary_loss (below), empty otherwise: its
  // value on (u, params), and scale x its gradient added into d_in["u"] and d_in[param].
  std::function<T(std::int64_t batch, std::int64_t length, const Tokens& tokens, const Named<T>& in)> aux_loss;
  std::function<void(std::int64_t batch, std::int64_t length, const Tokens& tokens, const Named<T>& in,
                     const T& scale, Named<T>& d_in)>
      aux_backward;
};

// Whether the reference of Problem type P provides auxiliary_loss<T> and auxiliary_loss_backward<T> (found by ADL).
// A contract declares that it has them with `static constexpr bool has_auxiliary_loss = true;`: an auxiliary training
// loss (zoology's get_auxiliary_loss()) the model adds to its loss, its coefficient one of the mixer's config keys.
template <class T, class P>
concept has_reference_auxiliary_loss = requires(const P& p, const Named<T>& in, const T& s, Named<T>& d_in) {
  { auxiliary_loss<T>(p, in) } -> std::convertible_to<T>;
  auxiliary_loss_backward<T>(p, in, s, d_in);
};

// The math of a mixer of Problem type P through its reference_forward / reference_backward (found by ADL): for
// contracts outside core/registry.hpp (tests), or to pair a LayerMixer with a reference explicitly.
// A Problem that carries the sequence's token ids (`ids` [B, T] row-major, in [0, V)): its contract declares
// `static constexpr bool reads_token_ids = true;` and the model fills ids and V from its batch (registry_math checks
// at compile time that the two agree).
template <class P>
concept reads_token_ids = requires(P& p, const Tokens& t) {
  p.ids = *t.ids;
  p.V = t.vocab;
};

// The mixer's Problem at (B, T), with the batch's ids when it reads them.
template <class P>
P problem_with_tokens(const LayerMixer& m, std::int64_t B, std::int64_t T_, const Tokens& tokens) {
  P p = *m.problem<P>(B, T_);
  if constexpr (reads_token_ids<P>) {
    require<InputError>(tokens.ids != nullptr, "model: mixer '", m.id(), "' reads the token ids, none were given");
    p.ids = *tokens.ids;
    p.V = tokens.vocab;
  }
  return p;
}

// The auxiliary loss is wired when the reference has auxiliary_loss and auxiliary_loss_backward for P (registry_math
// also checks, at compile time, that exactly the contracts declaring has_auxiliary_loss have them).
template <class T, class P>
MixerMath<T> mixer_math(const LayerMixer& m) {
  require<InputError>(m.problem<P>(1, 1).has_value(), "model: mixer '", m.id(), "' is not of the given problem type");
  MixerMath<T> math{[m](std::int64_t B, std::int64_t T_, const Tokens& tok, const Named<T>& in, Named<T>& out) {
                      reference_forward<T>(problem_with_tokens<P>(m, B, T_, tok), in, out);
                    },
                    [m](std::int64_t B, std::int64_t T_, const Tokens& tok, const Named<T>& in, const Named<T>& d_out,
                        Named<T>& d_in) {
                      reference_backward<T>(problem_with_tokens<P>(m, B, T_, tok), in, d_out, d_in);
                    },
                    {},
                    {}};
  if constexpr (has_reference_auxiliary_loss<T, P>) {
    math.aux_loss = [m](std::int64_t B, std::int64_t T_, const Tokens& tok, const Named<T>& in) {
      return auxiliary_loss<T>(problem_with_tokens<P>(m, B, T_, tok), in);
    };
    math.aux_backward = [m](std::int64_t B, std::int64_t T_, const Tokens& tok, const Named<T>& in, const T& s,
                            Named<T>& d_in) {
      auxiliary_loss_backward<T>(problem_with_tokens<P>(m, B, T_, tok), in, s, d_in);
    };
  }
  return math;
}

// The reference math of a mixer whose contract is in core/registry.hpp's Mixers list; NotAvailableError otherwise.
template <class T>
MixerMath<T> registry_math(const LayerMixer& m);

template <class T>
class Model {
 public:
  explicit Model(Config config);                                // mixers resolved by registry_math
  Model(Config config, std::vector<MixerMath<T>> math);         // math[i] computes config.mixers[i]

  const Config& config() const { return config_; }
  // logits [B, T, V] at every position.
  Tensor<T> logits(const Named<T>& params, const Batch& batch) const;
  // The training loss: mean cross-entropy over labelled positions (the head is applied only there) plus the
  // auxiliary losses of the layers whose mixer has one (each a function of the whole batch's mixer input).
  T loss(const Named<T>& params, const Batch& batch) const;
  // The sum over layers of the auxiliary losses alone (0 when no mixer has one).
  T auxiliary_loss(const Named<T>& params, const Batch& batch) const;
  // The loss, and grads[name] = dloss/dparam for every parameter of tensors(config) (overwritten).
  T loss_and_gradients(const Named<T>& params, const Batch& batch, Named<T>& grads) const;

 private:
  struct Trace;
  Trace run(const Named<T>& params, const Batch& batch) const;
  T evaluate(const Named<T>& params, const Batch& batch, Named<T>* grads) const;  // grads may be null
  T auxiliary_terms(const Named<T>& params, const Batch& batch, const Trace& trace) const;
  Config config_;
  std::vector<MixerMath<T>> math_;
};

}  // namespace menagerie::model
