// Zoology's initialisation (train/init.hpp): the laws at a realistic size (d = 64, vocab 512, 2 layers), checked by
// sample moments (4 standard errors) and exact values: Linear weights N(0, 0.02^2) and out_proj N(0, 0.01^2) at
// L = 2, biases 0, norms 1 and 0, embeddings N(0, 0.02^2), depthwise conv U(±1/sqrt(K)), the implicit filter's z;
// every registry mixer initialises; the init is a pure function of (config, seed).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "core/registry.hpp"
#include "train/init.hpp"
#include "verify/support/env.hpp"

namespace menagerie::test {
namespace {

namespace mx = mixers;
using model::LayerMixer;

model::Config config(std::vector<LayerMixer> mixers, bool hybrid = false, std::int64_t max_pos = 0,
                     model::Block block = model::Block::transformer) {
  model::Config c;
  c.vocab = 512;
  c.d_model = 64;
  c.n_layers = 2;
  c.max_position_embeddings = max_pos;
  c.mixers = std::move(mixers);
  c.hybrid = hybrid;
  c.block = block;
  return c;
}

// Mean and standard deviation are those of N(0, s^2) within 4 standard errors.
void expect_normal(const Tensor<double>& t, double s, const std::string& what) {
  double sum = 0, sq = 0;
  const auto n = static_cast<double>(t.numel());
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    sum += t.data()[i];
    sq += t.data()[i] * t.data()[i];
  }
  EXPECT_LE(std::abs(sum / n), 4 * s / std::sqrt(n)) << what;
  EXPECT_LE(std::abs(std::sqrt(sq / n) - s), 4 * s / std::sqrt(2 * n)) << what << ": std " << std::sqrt(sq / n);
}

void expect_all(const Tensor<double>& t, double v, const std::string& what) {
  for (std::int64_t i = 0; i < t.numel(); ++i) ASSERT_EQ(t.data()[i], v) << what << "[" << i << "]";
}

TEST(TrainInit, AttentionModelFollowsZoologysLaws) {
  const auto c = config({LayerMixer::of<mx::mha::Contract>({1, 1, 64, 1})}, false, 64);
  const auto p = train::init_parameters(c, test_seed());
  expect_normal(p.at(model::word_embeddings), 0.02, "word embeddings");
  expect_normal(p.at(model::position_embeddings), 0.02, "position embeddings");
  for (int l = 0; l < 2; ++l) {
    const std::string m = cat("backbone.layers.", l, ".sequence_mixer.");
    expect_normal(p.at(m + "Wqkv.weight"), 0.02, m + "Wqkv.weight");
    expect_normal(p.at(m + "out_proj.weight"), 0.02 / std::sqrt(4.0), m + "out_proj.weight");
    expect_all(p.at(m + "Wqkv.bias"), 0, "Wqkv.bias");
    expect_all(p.at(m + "out_proj.bias"), 0, "out_proj.bias");
    expect_all(p.at(cat("backbone.layers.", l, ".norm1.weight")), 1, "norm1.weight");
    expect_all(p.at(cat("backbone.layers.", l, ".norm2.bias")), 0, "norm2.bias");
  }
  expect_all(p.at("backbone.ln_f.weight"), 1, "ln_f.weight");
}

TEST(TrainInit, BaseConvKeepsConvAndFilterInits) {
  using BC = mx::base_conv::Problem;
  const auto c = config({LayerMixer::of<mx::base_conv::Contract>(BC{1, 1, 64, mx::base_conv::Conv::short_conv, 3, 64}),
                         LayerMixer::of<mx::base_conv::Contract>(BC{1, 1, 64, mx::base_conv::Conv::long_implicit, 3, 64})});
  const auto p = train::init_parameters(c, test_seed());
  const auto& w = p.at("backbone.layers.0.sequence_mixer.conv.conv.weight");
  const double bound = 1 / std::sqrt(3.0);
  double sq = 0;
  for (std::int64_t i = 0; i < w.numel(); ++i) {
    ASSERT_LE(std::abs(w.data()[i]), bound);
    sq += w.data()[i] * w.data()[i];
  }
  EXPECT_NEAR(std::sqrt(sq / static_cast<double>(w.numel())), bound / std::sqrt(3.0), 0.1 * bound);
  expect_normal(p.at("backbone.layers.0.sequence_mixer.projection.weight"), 0.02, "projection.weight");
  expect_normal(p.at("backbone.layers.1.sequence_mixer.conv.mlp.2.weight"), 0.02, "mlp.2.weight");
  expect_all(p.at("backbone.layers.1.sequence_mixer.conv.mlp.0.bias"), 0, "mlp.0.bias");
  const auto& z = p.at("backbone.layers.1.sequence_mixer.conv.pos_emb.z");
  for (std::int64_t t = 0; t < 64; ++t) {
    EXPECT_DOUBLE_EQ(z(0, t, 0), static_cast<double>(t) / 63);
    EXPECT_DOUBLE_EQ(z(0, t, 1), std::cos(2 * std::numbers::pi * 1e-4 * static_cast<double>(t) / 64));
    EXPECT_DOUBLE_EQ(z(0, t, 2), -std::sin(2 * std::numbers::pi * 1e-4 * static_cast<double>(t) / 64));
  }
}

TEST(TrainInit, EveryRegistryMixerInitialisesDeterministically) {
  using BC = mx::base_conv::Problem;
  const auto short3 = LayerMixer::of<mx::base_conv::Contract>(BC{1, 1, 64, mx::base_conv::Conv::short_conv, 3, 64});
  const std::vector<model::Config> configs = {
      config({short3, LayerMixer::of<mx::sliding_attn::Contract>({1, 1, 64, 16})}, true),
      config({short3, LayerMixer::of<mx::based::Contract>({1, 1, 64, 16, 1, 1e-12})}, true),
      config({LayerMixer::of<mx::hyena::Contract>({1, 1, 64, 64, 64, 3})}),
      config({LayerMixer::of<mx::h3::Contract>({1, 1, 64, 64, 2})}),
      config({LayerMixer::of<mx::rwkv::Contract>({1, 1, 64})}),
      config({LayerMixer::of<mx::mamba::Contract>({1, 1, 64, 16, 4, 2, 0})}, false, 0, model::Block::mamba)};
  for (const auto& c : configs) {
    const auto a = train::init_parameters(c, test_seed());
    const auto b = train::init_parameters(c, test_seed());
    const auto other = train::init_parameters(c, test_seed() + 1);
    EXPECT_EQ(a.size(), model::tensors(c).size());
    bool differs = false;
    for (const auto& [name, t] : a) {
      for (std::int64_t i = 0; i < t.numel(); ++i) {
        ASSERT_TRUE(std::isfinite(t.data()[i])) << name;
        ASSERT_EQ(t.data()[i], b.at(name).data()[i]) << name;
      }
      differs = differs || (t.numel() > 0 && t.data()[0] != other.at(name).data()[0]);
    }
    EXPECT_TRUE(differs) << c.mixers.back().id() << ": another seed gives the same init";
  }
  // mamba's A_log = ln(n + 1), D = 1; rwkv's time_decay from its formula.
  const auto m = train::init_parameters(configs[5], test_seed());
  EXPECT_DOUBLE_EQ(m.at("backbone.layers.0.mixer.A_log")(3, 5), std::log(6.0));
  expect_all(m.at("backbone.layers.0.mixer.D"), 1, "mamba D");
  const auto r = train::init_parameters(configs[4], test_seed());
  EXPECT_DOUBLE_EQ(r.at("backbone.layers.0.sequence_mixer.time_decay")(0), -5.0);
}

}  // namespace
}  // namespace menagerie::test
