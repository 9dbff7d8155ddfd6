// The MQAR language model (core/model_config.hpp, reference/model.hpp) on tiny models (V = 11, d = 6, 2 layers,
// B = 2, T = 5, 5 labelled positions) with every mixer of core/registry.hpp (mha, sliding_attn, based, base_conv
// short and implicit, hyena, h3, rwkv, mamba in MambaBlocks), plus a test-only mixer outside the registry:
//   - the loss gradient of every parameter tensor equals central finite differences in Mp (sampled elements,
//     |fd - g| <= 1e-20 (|g| + rms g));
//   - causality: changing the ids after t0 leaves the logits up to t0 bitwise unchanged (and changes t0 + 1);
//   - the forward equals a literal transcription of zoology's LMBackbone/TransformerBlock forward (residual=None
//     first, Identity state mixer returning LN2(r)), and dropping the LN2(r) re-add changes it (the quirk matters);
//     likewise for MambaBlock (add, RMSNorm, Mamba);
//   - loss = cross_entropy(logits) at labelled positions; registry and explicit mixer math agree;
//   - names: the state_dict keys of an attention model, of a Hybrid and of MambaBlocks, literally;
//   - param_count: docs/mixers.md §2.2 "Parameter totals" (+ 8192 d embedding + 10 d norms, + 256 d positions for
//     attention) for d = 64..512, and = the sum of the non-frozen parameter sizes; state_size's worked examples,
//     and none when a layer's mixer has none (RWKV v4).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/registry.hpp"
#include "reference/model.hpp"
#include "reference/all.hpp"
#include "reference/mp.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

// A mixer that is not in the registry: y[t] = weight ⊙ (u[t] + u[t-1]), no state_size.
namespace menagerie::test::shift_gate {
struct Problem {
  std::int64_t B = 1, T = 1, d = 1;
  void validate() const { require<ShapeError>(B >= 1 && T >= 1 && d >= 1, "shift_gate: bad sizes"); }
};
inline std::vector<TensorSpec> tensors(const Problem& p) {
  return {{"u", {p.B, p.T, p.d}, "B,T,D", Role::input},
          {"weight", {p.d}, "D", Role::param},
          {"y", {p.B, p.T, p.d}, "B,T,D", Role::output}};
}
inline std::int64_t param_count(const Problem& p) { return p.d; }
inline std::optional<std::int64_t> state_size(const Problem&) { return std::nullopt; }
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  const auto &u = in.at("u"), &w = in.at("weight");
  auto& y = out.at("y");
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t e = 0; e < p.d; ++e) y(b, t, e) = w(e) * (u(b, t, e) + (t > 0 ? u(b, t - 1, e) : T(0)));
}
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  const auto &u = in.at("u"), &w = in.at("weight"), &dy = d_out.at("y");
  Tensor<T> du(u.shape(), T(0)), dw(w.shape(), T(0));
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t e = 0; e < p.d; ++e) {
        du(b, t, e) += w(e) * dy(b, t, e);
        if (t > 0) du(b, t - 1, e) += w(e) * dy(b, t, e);
        dw(e) += dy(b, t, e) * (u(b, t, e) + (t > 0 ? u(b, t - 1, e) : T(0)));
      }
  d_in.insert_or_assign("u", std::move(du));
  d_in.insert_or_assign("weight", std::move(dw));
}
struct Contract {
  static constexpr std::string_view id = "shift_gate";
  using problem_type = Problem;
};
}  // namespace menagerie::test::shift_gate

namespace menagerie::test {
namespace {

using model::Batch;
using model::Config;
using model::LayerMixer;
using model::Model;
namespace mx = menagerie::mixers;

constexpr std::int64_t V = 11, d = 6, Bn = 2, Tn = 5;

Config tiny(std::vector<LayerMixer> mixers, bool hybrid = false, std::int64_t max_pos = 0,
            model::Block block = model::Block::transformer) {
  Config c;
  c.block = block;
  c.vocab = V;
  c.d_model = d;
  c.n_layers = 2;
  c.max_position_embeddings = max_pos;
  c.mixers = std::move(mixers);
  c.hybrid = hybrid;
  return c;
}

struct Case {
  std::string name;
  Config config;
};

// The paper configurations, shrunk.
std::vector<Case> cases() {
  using BC = mx::base_conv::Problem;
  const auto short3 = LayerMixer::of<mx::base_conv::Contract>(BC{1, 1, d, mx::base_conv::Conv::short_conv, 3, Tn});
  return {
      {"mha (+positions)", tiny({LayerMixer::of<mx::mha::Contract>({1, 1, d, 2})}, false, Tn)},
      {"sliding_attn hybrid", tiny({short3, LayerMixer::of<mx::sliding_attn::Contract>({1, 1, d, 2})}, true)},
      {"based hybrid", tiny({short3, LayerMixer::of<mx::based::Contract>({1, 1, d, 3, 1, 1e-12})}, true)},
      {"base_conv [3, -1]",
       tiny({short3, LayerMixer::of<mx::base_conv::Contract>(BC{1, 1, d, mx::base_conv::Conv::long_implicit, 3, Tn})})},
      {"hyena", tiny({LayerMixer::of<mx::hyena::Contract>({1, 1, d, Tn, 4, 3})})},
      {"h3", tiny({LayerMixer::of<mx::h3::Contract>({1, 1, d, 4, 2})})},
      {"rwkv", tiny({LayerMixer::of<mx::rwkv::Contract>({1, 1, d})})},
      {"mamba (MambaBlock)",
       tiny({LayerMixer::of<mx::mamba::Contract>({1, 1, d, 3, 3, 2, 0})}, false, 0, model::Block::mamba)},
  };
}

Batch batch(std::uint64_t seed) {
  Batch b{Bn, Tn, {}, {}};
  for (std::int64_t i = 0; i < Bn * Tn; ++i) {
    b.ids.push_back(static_cast<std::int64_t>((3 * i + 1 + seed) % V));
    b.labels.push_back(i % 2 == 1 || i == 4 ? (5 * i + 2) % V : ops::cross_entropy::ignore_index);
  }
  return b;
}

template <class T>
Named<T> random_params(const Config& c, std::uint64_t seed) {
  return convert<T>(random_inputs(model::tensors(c), seed));
}

void check_gradients(const Model<Mp>& m, std::uint64_t seed, const std::string& what) {
  const auto params = random_params<Mp>(m.config(), seed);
  const Batch b = batch(seed);
  Named<Mp> grads;
  m.loss_and_gradients(params, b, grads);
  const int samples = tier() == Tier::full ? 6 : 2;
  const Mp h("1e-15");
  for (const auto& s : model::tensors(m.config())) {
    ASSERT_TRUE(grads.count(s.name)) << what << ": no gradient for " << s.name;
    const auto& g = grads.at(s.name);
    ASSERT_EQ(g.shape(), s.shape) << s.name;
    Mp rms = 0;
    for (std::int64_t i = 0; i < g.numel(); ++i) rms += g.data()[i] * g.data()[i];
    rms = sqrt(rms / g.numel());
    for (int k = 0; k < samples && k < g.numel(); ++k) {
      const std::int64_t i = static_cast<std::int64_t>((seed + 7919u * static_cast<unsigned>(k)) % g.numel());
      auto plus = params, minus = params;
      plus.at(s.name).data()[i] += h;
      minus.at(s.name).data()[i] -= h;
      const Mp fd = (m.loss(plus, b) - m.loss(minus, b)) / (2 * h);
      EXPECT_LE(static_cast<double>(abs(fd - g.data()[i])), 1e-20 * static_cast<double>(abs(g.data()[i]) + rms))
          << what << ": d" << s.name << "[" << i << "] analytic " << static_cast<double>(g.data()[i])
          << ", finite difference " << static_cast<double>(fd);
    }
  }
  ASSERT_EQ(grads.size(), model::tensors(m.config()).size()) << what << ": gradients for unknown names";
}

TEST(Model, GradientsMatchFiniteDifferencesInMp) {
  for (const auto& c : cases()) check_gradients(Model<Mp>(c.config), test_seed(), c.name);
}

TEST(Model, GradientsThroughAMixerOutsideTheRegistry) {
  const auto m = LayerMixer::of<shift_gate::Contract>({1, 1, d});
  const Config c = tiny({m});
  check_gradients(Model<Mp>(c, {model::mixer_math<Mp, shift_gate::Problem>(m)}), test_seed(), "shift_gate");
  EXPECT_THROW(Model<Mp>{c}, NotAvailableError);
}

TEST(Model, LogitsAreCausal) {
  for (const auto& c : cases()) {
    const Model<double> m(c.config);
    const auto params = random_params<double>(c.config, test_seed());
    const Batch b = batch(test_seed());
    const auto z = m.logits(params, b);
    for (std::int64_t t0 : {0, 2, 3}) {
      Batch changed = b;
      for (std::int64_t i = 0; i < Bn * Tn; ++i)
        if (i % Tn > t0) changed.ids[i] = (changed.ids[i] + 1 + i % 3) % V;
      const auto z2 = m.logits(params, changed);
      for (std::int64_t bb = 0; bb < Bn; ++bb) {
        for (std::int64_t t = 0; t <= t0; ++t)
          for (std::int64_t v = 0; v < V; ++v)
            ASSERT_EQ(z(bb, t, v), z2(bb, t, v)) << c.name << ": logit at b=" << bb << " t=" << t
                                                 << " changed with the ids after t0=" << t0;
        EXPECT_NE(z(bb, t0 + 1, 0), z2(bb, t0 + 1, 0)) << c.name << ": ids at t0+1 do not reach the logits";
      }
    }
  }
}

// logits = h W_E^T, [B*T, d] x [V, d]^T.
Tensor<double> ops_logits(const Tensor<double>& h, const Tensor<double>& W) {
  const std::int64_t rows = h.numel() / d;
  Tensor<double> logits({h.size(0), h.size(1), V});
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t v = 0; v < V; ++v) {
      double acc = 0;
      for (std::int64_t e = 0; e < d; ++e) acc += h.data()[i * d + e] * W(v, e);
      logits.data()[i * V + v] = acc;
    }
  return logits;
}

// zoology LMBackbone.forward + LanguageModel.forward, literally (dropout off), with the MHA reference as the mixer.
Tensor<double> zoology_forward(const Config& c, const Named<double>& p, const Batch& b, bool readd_norm2) {
  auto ln = [&](const std::string& norm, const Tensor<double>& x) {
    Named<double> out{{"y", Tensor<double>(x.shape())}};
    ops::layer_norm::reference_forward<double>(
        {b.B, b.T, d, 1e-5}, {{"x", x}, {"weight", p.at(norm + ".weight")}, {"bias", p.at(norm + ".bias")}}, out);
    return out.at("y");
  };
  auto plus = [](Tensor<double> x, const Tensor<double>& y) {
    for (std::int64_t i = 0; i < x.numel(); ++i) x.data()[i] += y.data()[i];
    return x;
  };
  Tensor<double> hidden({b.B, b.T, d});
  for (std::int64_t i = 0; i < b.B * b.T; ++i)
    for (std::int64_t e = 0; e < d; ++e)
      hidden.data()[i * d + e] =
          p.at(model::word_embeddings)(b.ids[i], e) + p.at(model::position_embeddings)(i % b.T, e);
  std::optional<Tensor<double>> residual;
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    const std::string pre = cat("backbone.layers.", l, ".");
    residual = residual ? plus(hidden, *residual) : hidden;
    Named<double> in{{"u", ln(pre + "norm1", *residual)}}, out{{"y", Tensor<double>(hidden.shape())}};
    for (const char* n : {"Wqkv.weight", "Wqkv.bias", "out_proj.weight", "out_proj.bias"})
      in.emplace(n, p.at(pre + "sequence_mixer." + n));
    mx::mha::reference_forward<double>({b.B, b.T, d, 2}, in, out);
    residual = plus(out.at("y"), *residual);
    hidden = ln(pre + "norm2", *residual);  // state_mixer = Identity
    if (!readd_norm2) hidden = Tensor<double>(hidden.shape(), 0.0);
  }
  residual = plus(hidden, *residual);
  return ops_logits(ln("backbone.ln_f", *residual), p.at(model::word_embeddings));
}

TEST(Model, ForwardIsZoologysIncludingTheNorm2Readd) {
  const Config c = cases()[0].config;
  const auto params = random_params<double>(c, test_seed());
  const Batch b = batch(test_seed());
  const auto ours = Model<double>(c).logits(params, b);
  const auto zoo = zoology_forward(c, params, b, true);
  EXPECT_LE(relerr(ours, convert<Mp>(zoo)), 1e-14);
  EXPECT_GT(relerr(zoology_forward(c, params, b, false), convert<Mp>(zoo)), 1e-3)
      << "dropping LN2(r) from the stream should change the logits";
}

// The same with zoology's MambaBlock (fused add + RMSNorm, prenorm=True; mamba_ssm's RMSNorm has no bias).
Tensor<double> zoology_mamba_forward(const Config& c, const Named<double>& p, const Batch& b) {
  auto rms = [&](const std::string& norm, const Tensor<double>& x) {
    Tensor<double> y(x.shape());
    for (std::int64_t i = 0; i < b.B * b.T; ++i) {
      double ms = 0;
      for (std::int64_t e = 0; e < d; ++e) ms += x.data()[i * d + e] * x.data()[i * d + e] / d;
      for (std::int64_t e = 0; e < d; ++e)
        y.data()[i * d + e] = x.data()[i * d + e] / std::sqrt(ms + 1e-5) * p.at(norm + ".weight")(e);
    }
    return y;
  };
  auto plus = [](Tensor<double> x, const Tensor<double>& y) {
    for (std::int64_t i = 0; i < x.numel(); ++i) x.data()[i] += y.data()[i];
    return x;
  };
  Tensor<double> hidden({b.B, b.T, d});
  for (std::int64_t i = 0; i < b.B * b.T; ++i)
    for (std::int64_t e = 0; e < d; ++e) hidden.data()[i * d + e] = p.at(model::word_embeddings)(b.ids[i], e);
  std::optional<Tensor<double>> residual;
  const auto mixer = *c.mixers[0].problem<mx::mamba::Problem>(b.B, b.T);
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    const std::string pre = cat("backbone.layers.", l, ".");
    residual = residual ? plus(hidden, *residual) : hidden;
    Named<double> in{{"u", rms(pre + "norm", *residual)}}, out{{"y", Tensor<double>(hidden.shape())}};
    for (const auto& s : mx::mamba::tensors(mixer))
      if (s.role == Role::param) in.emplace(s.name, p.at(pre + "mixer." + s.name));
    mx::mamba::reference_forward<double>(mixer, in, out);
    hidden = out.at("y");
  }
  residual = plus(hidden, *residual);
  Named<double> out{{"y", Tensor<double>(hidden.shape())}};
  ops::layer_norm::reference_forward<double>(
      {b.B, b.T, d, 1e-5},
      {{"x", *residual}, {"weight", p.at("backbone.ln_f.weight")}, {"bias", p.at("backbone.ln_f.bias")}}, out);
  return ops_logits(out.at("y"), p.at(model::word_embeddings));
}

TEST(Model, MambaBlockForwardIsZoologys) {
  const Config c = cases().back().config;
  const auto params = random_params<double>(c, test_seed());
  const Batch b = batch(test_seed());
  EXPECT_LE(relerr(Model<double>(c).logits(params, b), convert<Mp>(zoology_mamba_forward(c, params, b))), 1e-14);
}

TEST(Model, LossIsCrossEntropyOfTheLogitsAndMathSourcesAgree) {
  const Config c = cases()[0].config;
  const auto params = random_params<double>(c, test_seed());
  const Batch b = batch(test_seed());
  const Model<double> m(c);
  Named<double> out{{"loss", Tensor<double>(Shape{})}};
  ops::cross_entropy::reference_forward<double>({Bn, Tn, V, b.labels}, {{"logits", m.logits(params, b)}}, out);
  EXPECT_NEAR(m.loss(params, b), out.at("loss").data()[0], 1e-13);
  const Model<double> explicit_math(c, {model::mixer_math<double, mx::mha::Problem>(c.mixers[0])});
  EXPECT_EQ(m.loss(params, b), explicit_math.loss(params, b));
}

TEST(Model, ParameterNamesAreZoologysStateDictKeys) {
  std::vector<std::string> names;
  for (const auto& s : model::tensors(cases()[0].config)) names.push_back(s.name);
  std::vector<std::string> expected = {"backbone.embeddings.word_embeddings.weight",
                                       "backbone.embeddings.position_embeddings.weight"};
  for (const char* l : {"0", "1"})
    for (const char* n : {"sequence_mixer.Wqkv.weight", "sequence_mixer.Wqkv.bias", "sequence_mixer.out_proj.weight",
                          "sequence_mixer.out_proj.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"})
      expected.push_back(cat("backbone.layers.", l, ".", n));
  expected.insert(expected.end(), {"backbone.ln_f.weight", "backbone.ln_f.bias"});
  EXPECT_EQ(names, expected);

  names.clear();
  for (const auto& s : model::tensors(cases()[2].config))
    if (s.name.find("sequence_mixer") != std::string::npos) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"backbone.layers.0.sequence_mixer.mixer.projection.weight",
                                              "backbone.layers.0.sequence_mixer.mixer.projection.bias",
                                              "backbone.layers.0.sequence_mixer.mixer.conv.conv.weight",
                                              "backbone.layers.0.sequence_mixer.mixer.conv.conv.bias",
                                              "backbone.layers.1.sequence_mixer.mixer.proj_q.weight",
                                              "backbone.layers.1.sequence_mixer.mixer.proj_k.weight",
                                              "backbone.layers.1.sequence_mixer.mixer.proj_v.weight",
                                              "backbone.layers.1.sequence_mixer.mixer.proj_o.weight"}));
}

TEST(Model, MambaBlockNamesAreZoologysStateDictKeys) {
  std::vector<std::string> names;
  for (const auto& s : model::tensors(cases().back().config)) names.push_back(s.name);
  std::vector<std::string> expected = {"backbone.embeddings.word_embeddings.weight"};
  for (const char* l : {"0", "1"}) {
    for (const char* n : {"in_proj.weight", "conv1d.weight", "conv1d.bias", "x_proj.weight", "dt_proj.weight",
                          "dt_proj.bias", "A_log", "D", "out_proj.weight"})
      expected.push_back(cat("backbone.layers.", l, ".mixer.", n));
    expected.push_back(cat("backbone.layers.", l, ".norm.weight"));
  }
  expected.insert(expected.end(), {"backbone.ln_f.weight", "backbone.ln_f.bias"});
  EXPECT_EQ(names, expected);
}

// docs/mixers.md §2.2 "Parameter totals", 2 layers, N = 256, vocabulary 8192.
TEST(Model, ParameterTotalsOfTheTable) {
  using BC = mx::base_conv::Problem;
  using mx::base_conv::Conv;
  const std::int64_t N = 256;
  struct Row { std::int64_t d, attention, hyena, rwkv, base_conv, h3, based, mamba; };
  const Row rows[] = {{64, 33'280, 61'952, 33'408, 9'728, 148'224, 13'632, 65'280},
                      {128, 132'096, 170'624, 132'352, 35'776, 361'984, 51'840, 232'960},
                      {256, 526'336, 584'576, 526'848, 137'024, 986'112, 201'984, 875'520},
                      {512, 2'101'248, 2'198'912, 2'102'272, 536'128, 3'020'800, 797'184, 3'389'440}};
  for (const auto& r : rows) {
    auto config = [&](std::vector<LayerMixer> mixers, bool hybrid, std::int64_t max_pos,
                      model::Block block = model::Block::transformer) {
      Config c;
      c.block = block;
      c.vocab = 8192;
      c.d_model = r.d;
      c.max_position_embeddings = max_pos;
      c.mixers = std::move(mixers);
      c.hybrid = hybrid;
      return c;
    };
    const auto short3 = LayerMixer::of<mx::base_conv::Contract>(BC{1, 1, r.d, Conv::short_conv, 3, N});
    const std::int64_t rest = 8192 * r.d + 10 * r.d;
    const std::pair<Config, std::int64_t> models[] = {
        {config({LayerMixer::of<mx::mha::Contract>({1, 1, r.d, 1})}, false, N), r.attention + rest + N * r.d},
        {config({LayerMixer::of<mx::hyena::Contract>({1, 1, r.d, N, 64, 3})}, false, 0), r.hyena + rest},
        {config({LayerMixer::of<mx::rwkv::Contract>({1, 1, r.d})}, false, 0), r.rwkv + rest},
        {config({short3, LayerMixer::of<mx::base_conv::Contract>(BC{1, 1, r.d, Conv::long_implicit, 3, N})}, false, 0),
         r.base_conv + rest},
        {config({LayerMixer::of<mx::h3::Contract>({1, 1, r.d, N, 2})}, false, 0), r.h3 + rest},
        {config({short3, LayerMixer::of<mx::based::Contract>({1, 1, r.d, 8, 1, 1e-12})}, true, 0), r.based + rest},
        // MambaBlock: one RMSNorm weight per layer instead of two LayerNorms (10 d -> 2 d + 2 d)
        {config({LayerMixer::of<mx::mamba::Contract>({1, 1, r.d, 16, 4, 2, 0})}, false, 0, model::Block::mamba),
         r.mamba + 8192 * r.d + 4 * r.d}};
    for (const auto& [c, total] : models) {
      EXPECT_EQ(model::param_count(c), total) << c.mixers.back().id() << " d=" << r.d;
      std::int64_t sum = 0;  // the same from the shapes, frozen tensors excluded
      for (const auto& s : model::tensors(c)) {
        bool frozen = false;
        for (std::int64_t l = 0; l < c.n_layers; ++l)
          for (const auto& f : c.mixer(l).frozen()) frozen = frozen || s.name == c.mixer_prefix(l) + f;
        if (!frozen) sum += numel(s.shape);
      }
      EXPECT_EQ(sum, total) << c.mixers.back().id() << " d=" << r.d;
    }
  }
}

// docs/mixers.md §2.2 "Model-level state size", worked examples at N = 1024 (bytes).
TEST(Model, StateSizeWorkedExamples) {
  const std::int64_t N = 1024, dm = 64;
  auto config = [&](std::vector<LayerMixer> mixers, bool hybrid) {
    Config c;
    c.d_model = dm;
    c.mixers = std::move(mixers);
    c.hybrid = hybrid;
    return c;
  };
  EXPECT_EQ(model::state_size(config({LayerMixer::of<mx::hyena::Contract>({1, 1, dm, N, 64, 3})}, false), N),
            std::int64_t{1} << 19);
  EXPECT_EQ(model::state_size(config({LayerMixer::of<mx::h3::Contract>({1, 1, dm, dm / 4, 2})}, false), N),
            2 * dm * dm);
  const std::int64_t f = 16, Dt = f * (f + 1) / 2 + f + 1;
  const auto short3 = LayerMixer::of<mx::base_conv::Contract>({1, 1, dm, mx::base_conv::Conv::short_conv, 3, N});
  EXPECT_EQ(model::state_size(config({short3, LayerMixer::of<mx::based::Contract>({1, 1, dm, f, 1, 1e-12})}, true), N),
            4 * (3 * dm + dm * Dt + Dt));
  EXPECT_EQ(model::state_size(config({LayerMixer::of<mx::mha::Contract>({1, 1, dm, 1})}, false), N),
            4 * 2 * (2 * dm * N));
  EXPECT_EQ(model::state_size(config({LayerMixer::of<mx::rwkv::Contract>({1, 1, dm})}, false), N), std::nullopt);
  for (std::int64_t d_state : {8, 16, 24}) {
    Config c = config({LayerMixer::of<mx::mamba::Contract>({1, 1, dm, d_state, 4, 2, 0})}, false);
    c.block = model::Block::mamba;
    EXPECT_EQ(model::state_size(c, N), 16 * dm * d_state);
  }
  EXPECT_EQ(model::state_size(config({short3, LayerMixer::of<shift_gate::Contract>({1, 1, dm})}, true), N),
            std::nullopt);
}

TEST(Model, BadConfigsAndBatchesNameTheValue) {
  Config c = tiny({LayerMixer::of<mx::mha::Contract>({1, 1, d + 1, 1})});
  try {
    c.validate();
    FAIL() << "mixer width 7 in a d_model 6 model accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("d_model"), std::string::npos) << e.what();
  }
  const Config ok = cases()[0].config;
  Batch b = batch(1);
  b.ids[3] = V;
  try {
    b.validate(ok, true);
    FAIL() << "id V accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("token id 11 at position 3"), std::string::npos) << e.what();
  }
  Batch longer{1, Tn + 1, std::vector<std::int64_t>(Tn + 1, 0), {}};
  EXPECT_THROW(longer.validate(ok, false), ShapeError);  // T > max_position_embeddings
}

}  // namespace
}  // namespace menagerie::test
