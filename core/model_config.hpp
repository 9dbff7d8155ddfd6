// The MQAR language model's contract (docs/mixers.md §2.1; zoology/model.py LanguageModel at <= 6fcfd35, dropout
// off). Ids x [B, T] in [0, V), width d, layers l = 0..L-1:
//   h0 = W_E[x] (+ P[t] when max_position_embeddings > 0)                W_E [V, d], P [max_pos, d]
//   s_0 = h0;  for each layer l, with block = transformer (TransformerBlock, Identity state mixer):
//     a_l = LN1_l(s_l);  m_l = s_l + Mixer_l(a_l);  s_{l+1} = m_l + LN2_l(m_l)
//   or with block = mamba (zoology's MambaBlock: add, RMSNorm, mixer; no state mixer):
//     a_l = RMSNorm_l(s_l);  s_{l+1} = s_l + Mixer_l(a_l)        RMSNorm(x) = x / sqrt(mean_d x^2 + eps) ⊙ weight
//   out = LN_f(s_L);   logits = out W_E^T (tied, no bias)                  [B, T, V]
//   loss = cross_entropy(logits, labels) over labelled positions (core/ops/cross_entropy.hpp)
// s_{l+1} = m_l + LN2_l(m_l) is Zoology's quirk: the Identity state mixer returns LN2(r) as the block's hidden
// state, and the next block (or the final r <- h + r) adds it to the residual stream. Layer l's mixer is
// mixers[l % mixers.size()]: zoology's Hybrid picks configs[layer_idx % len(configs)] (set hybrid: its wrapper adds
// "mixer." to the names), and some modules pick per layer themselves without a wrapper (BaseConv with
// kernel_size=[3, -1]: short conv in layer 0, implicit long conv in layer 1; hybrid stays false).
// Parameters are named as LanguageModel.state_dict() (in its order):
//   backbone.embeddings.word_embeddings.weight [V, d];  backbone.embeddings.position_embeddings.weight [max_pos, d]
//   backbone.layers.{l}.sequence_mixer.<mixer name>  (sequence_mixer.mixer.<name> when hybrid: Hybrid wraps it)
//   backbone.layers.{l}.norm1.weight/.bias, norm2.weight/.bias [d];  backbone.ln_f.weight/.bias [d]
//   (mamba blocks: backbone.layers.{l}.mixer.<name>, backbone.layers.{l}.norm.weight [d], the RMSNorm has no bias)
// Norm eps: the block norms use 1e-5 (nn.LayerNorm's default, MambaBlock's norm_epsilon); LN_f uses
// layer_norm_eps (zoology's config.layer_norm_epsilon, 1e-5 by default).
//   lm_head.weight is the same tensor as the word embedding (tied): it is not a separate parameter here.
// A plain state_dict repeats a shared tensor under every name that reaches it; state_dict_aliases lists those extra
// names (the tied head; hyena's filter frequency), which are not parameters either.
// param_count = trainable parameters (mixers' frozen state_dict tensors excluded); state_size follows zoology's
// LanguageModel.state_size: 4 bytes x sum over layers of the mixer's state_size(sequence_length), none if any lacks it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/contract.hpp"
#include "core/layer_mixer.hpp"
#include "core/ops/cross_entropy.hpp"

namespace menagerie::model {

inline const std::string word_embeddings = "backbone.embeddings.word_embeddings.weight";
inline const std::string position_embeddings = "backbone.embeddings.position_embeddings.weight";
inline const std::string tied_lm_head = "lm_head.weight";  // alias of word_embeddings in state_dicts
inline constexpr double block_norm_eps = 1e-5;

enum class Block { transformer, mamba };

struct Config {
  std::int64_t vocab = 8192, d_model = 128, n_layers = 2;
  std::int64_t max_position_embeddings = 0;  // rows of P; 0 = no position embeddings (every non-attention config)
  double layer_norm_eps = 1e-5;
  std::vector<LayerMixer> mixers;  // layer l uses mixers[l % size]
  bool hybrid = false;             // zoology Hybrid([...]) wrapper: parameter names gain "mixer."
  Block block = Block::transformer;

  const LayerMixer& mixer(std::int64_t layer) const {
    return mixers[static_cast<std::size_t>(layer % static_cast<std::int64_t>(mixers.size()))];
  }
  std::string layer_prefix(std::int64_t layer) const { return cat("backbone.layers.", layer, "."); }
  std::string mixer_prefix(std::int64_t layer) const {
    if (block == Block::mamba) return layer_prefix(layer) + "mixer.";
    return layer_prefix(layer) + (hybrid ? "sequence_mixer.mixer." : "sequence_mixer.");
  }
  void validate() const {
    require<ShapeError>(vocab >= 1 && d_model >= 1 && n_layers >= 1 && max_position_embeddings >= 0,
                        "model: vocab, d_model, n_layers, max_position_embeddings = ", vocab, ", ", d_model, ", ",
                        n_layers, ", ", max_position_embeddings, "; expected >= 1, >= 1, >= 1, >= 0");
    require<ShapeError>(layer_norm_eps > 0, "model: layer_norm_eps = ", layer_norm_eps, " must be > 0");
    require<InputError>(!mixers.empty(), "model: no sequence mixer given");
    require<InputError>(!(hybrid && block == Block::mamba),
                        "model: hybrid with block = mamba; a MambaBlock holds its Mamba directly, not a Hybrid");
    for (const auto& m : mixers) m.check_model_width(d_model);
  }
};

// One batch of token ids and labels (row-major [B, T]); labels may be empty when only logits are wanted.
struct Batch {
  std::int64_t B = 1, T = 1;
  std::vector<std::int64_t> ids;     // [B, T] in [0, V)
  std::vector<std::int64_t> labels;  // [B, T] in [0, V) or ops::cross_entropy::ignore_index (-100)

  void validate(const Config& c, bool need_labels) const {
    require<ShapeError>(B >= 1 && T >= 1, "batch: B, T = ", B, ", ", T, " must be >= 1");
    require<ShapeError>(static_cast<std::int64_t>(ids.size()) == B * T, "batch: ", ids.size(),
                        " token ids, expected B*T = ", B * T);
    require<ShapeError>(c.max_position_embeddings == 0 || T <= c.max_position_embeddings, "batch: T = ", T,
                        " exceeds max_position_embeddings = ", c.max_position_embeddings);
    for (std::size_t i = 0; i < ids.size(); ++i)
      require<InputError>(ids[i] >= 0 && ids[i] < c.vocab, "batch: token id ", ids[i], " at position ", i,
                          " is outside [0, vocab = ", c.vocab, ")");
    if (need_labels) ops::cross_entropy::Problem{B, T, c.vocab, labels}.validate();
  }
};

// The token ids a layer's mixer may read (a contract with reads_token_ids, repeat_lookups; reference/model.hpp):
// the batch's ids [B, T] row-major and the vocabulary they lie in.
struct Tokens {
  const std::vector<std::int64_t>* ids = nullptr;
  std::int64_t vocab = 0;
};

// Every parameter of the model (role param), named and shaped as zoology's state_dict, in its order. Test ranges:
// norms' weights in [0.5, 1.5], everything else as the mixer contracts say or [-1, 1].
inline std::vector<TensorSpec> tensors(const Config& c) {
  c.validate();
  const std::int64_t d = c.d_model;
  std::vector<TensorSpec> s = {{word_embeddings, {c.vocab, d}, "V,D", Role::param}};
  if (c.max_position_embeddings > 0)
    s.push_back({position_embeddings, {c.max_position_embeddings, d}, "T,D", Role::param});
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    for (auto spec : c.mixer(l).tensors(1, 1))
      if (spec.role == Role::param) {
        spec.name = c.mixer_prefix(l) + spec.name;
        s.push_back(std::move(spec));
      }
    if (c.block == Block::mamba) {
      s.push_back({c.layer_prefix(l) + "norm.weight", {d}, "D", Role::param, 0.5, 1.5});
      continue;
    }
    for (const char* norm : {"norm1", "norm2"}) {
      s.push_back({c.layer_prefix(l) + norm + ".weight", {d}, "D", Role::param, 0.5, 1.5});
      s.push_back({c.layer_prefix(l) + norm + ".bias", {d}, "D", Role::param});
    }
  }
  s.push_back({"backbone.ln_f.weight", {d}, "D", Role::param, 0.5, 1.5});
  s.push_back({"backbone.ln_f.bias", {d}, "D", Role::param});
  return s;
}

// Extra names under which a plain zoology state_dict lists a tensor the model holds once (PyTorch's state_dict()
// walks every path to a shared module or parameter; docs/mixers.md §6.11):
//   lm_head.weight  = backbone.embeddings.word_embeddings.weight    (the tied head)
//   <hyena mixer>filter_fn.implicit_filter.3.freq, .5.freq = <hyena mixer>filter_fn.implicit_filter.1.freq
//     (zoology/mixers/hyena.py, Filter: one Sin module, appended after each of the three Linear layers of the
//     implicit filter MLP at Sequential positions 1, 3 and 5, so its freq parameter has three names)
struct Alias {
  std::string alias, canonical;  // canonical: the name in tensors(c)
};
inline std::vector<Alias> state_dict_aliases(const Config& c) {
  c.validate();
  std::vector<Alias> a = {{tied_lm_head, word_embeddings}};
  for (std::int64_t l = 0; l < c.n_layers; ++l)
    if (c.mixer(l).id() == "hyena") {
      const std::string f = c.mixer_prefix(l) + "filter_fn.implicit_filter.";
      for (const char* position : {"3", "5"}) a.push_back({f + position + ".freq", f + "1.freq"});
    }
  return a;
}

// Trainable parameters: V d + max_pos d + sum_l (mixer_l params + 4 d, or + d for a mamba block's RMSNorm) + 2 d.
inline std::int64_t param_count(const Config& c) {
  c.validate();
  std::int64_t n = (c.vocab + c.max_position_embeddings + 2) * c.d_model;
  const std::int64_t norms = c.block == Block::mamba ? c.d_model : 4 * c.d_model;
  for (std::int64_t l = 0; l < c.n_layers; ++l) n += c.mixer(l).param_count() + norms;
  return n;
}

// Bytes: 4 x sum_l mixer_l.state_size(sequence_length); nullopt when a layer's mixer has none (RWKV v4).
inline std::optional<std::int64_t> state_size(const Config& c, std::int64_t sequence_length) {
  c.validate();
  std::int64_t n = 0;
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    const auto s = c.mixer(l).state_size(sequence_length);
    if (!s) return std::nullopt;
    n += *s;
  }
  return 4 * n;
}

}  // namespace menagerie::model
