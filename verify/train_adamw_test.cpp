// AdamW (train/adamw.hpp) against steps computed by hand from torch.optim.AdamW's definition, the cosine schedule
// against its closed form at known points, and the reference backend's step: decoupled decay on every trained
// parameter (norms, biases, embeddings included), frozen parameters (the implicit conv's z) left alone, and the
// optimizer state surviving a save/load round trip.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "core/registry.hpp"
#include "train/adamw.hpp"
#include "train/backend.hpp"
#include "train/init.hpp"
#include "verify/support/env.hpp"

namespace menagerie::test {
namespace {

TEST(AdamW, TwoStepsEqualHandComputedSteps) {
  const train::AdamWConfig h{0.1, 0.1, 0.9, 0.999, 1e-8};
  std::vector<double> p = {1.0, -2.0};
  train::AdamWState s;
  // Step 1, g = (0.5, -0.25): p <- p (1 - 0.01); m = 0.1 g; v = 0.001 g^2; m^ = g, sqrt(v^) = |g|.
  std::vector<double> g = {0.5, -0.25};
  train::adamw_update<double>(h, 0.1, 1, p, g, s);
  EXPECT_DOUBLE_EQ(p[0], 0.99 - 0.1 * 0.5 / (0.5 + 1e-8));
  EXPECT_DOUBLE_EQ(p[1], -1.98 - 0.1 * -0.25 / (0.25 + 1e-8));
  EXPECT_DOUBLE_EQ(s.m[0], 0.05);
  EXPECT_DOUBLE_EQ(s.v[1], 0.001 * 0.0625);
  // Step 2, g = (-1, 0.5), lr 0.05: m = 0.9 m + 0.1 g, v = 0.999 v + 0.001 g^2,
  // p <- p (1 - 0.005) - 0.05 / (1 - 0.81) m / (sqrt(v) / sqrt(1 - 0.998001) + 1e-8).
  const double p1[] = {p[0], p[1]};
  g = {-1.0, 0.5};
  train::adamw_update<double>(h, 0.05, 2, p, g, s);
  const double m0 = 0.9 * 0.05 + 0.1 * -1.0, v0 = 0.999 * 0.00025 + 0.001 * 1.0;
  const double m1 = 0.9 * -0.025 + 0.1 * 0.5, v1 = 0.999 * 0.0000625 + 0.001 * 0.25;
  EXPECT_NEAR(p[0], p1[0] * 0.995 - 0.05 / 0.19 * m0 / (std::sqrt(v0) / std::sqrt(0.001999) + 1e-8), 1e-15);
  EXPECT_NEAR(p[1], p1[1] * 0.995 - 0.05 / 0.19 * m1 / (std::sqrt(v1) / std::sqrt(0.001999) + 1e-8), 1e-15);
}

TEST(AdamW, FloatParametersRoundOnceFromTheDoubleUpdate) {
  const train::AdamWConfig h{1e-3, 0.1, 0.9, 0.999, 1e-8};
  std::vector<float> p = {0.3f};
  std::vector<float> g = {0.7f};
  train::AdamWState s;
  train::adamw_update<float>(h, 1e-3, 1, p, g, s);
  const double expect = 0.3f * (1 - 1e-4) - 1e-3 * 1.0 * static_cast<double>(0.7f) / (static_cast<double>(0.7f) + 1e-8);
  EXPECT_EQ(p[0], static_cast<float>(expect));
}

TEST(CosineSchedule, ClosedFormPoints) {
  EXPECT_DOUBLE_EQ(train::cosine_lr(1e-3, 0, 8), 1e-3);
  EXPECT_NEAR(train::cosine_lr(1e-3, 4, 8), 0.5e-3, 1e-18);
  EXPECT_NEAR(train::cosine_lr(1e-3, 2, 8), 1e-3 * (1 + std::sqrt(0.5)) / 2, 1e-18);
  EXPECT_NEAR(train::cosine_lr(1e-3, 7, 8), 1e-3 * (1 + std::cos(7 * std::numbers::pi / 8)) / 2, 1e-18);
  // torch's recursive CosineAnnealingLR from lr0 equals the closed form.
  double lr = 1e-2;
  for (int e = 1; e < 10; ++e) {
    lr = (1 + std::cos(std::numbers::pi * e / 10)) / (1 + std::cos(std::numbers::pi * (e - 1) / 10)) * lr;
    EXPECT_NEAR(lr, train::cosine_lr(1e-2, e, 10), 1e-15) << e;
  }
}

TEST(AdamW, BackendDecaysEveryTrainedParameterAndSkipsFrozenOnes) {
  namespace mx = mixers;
  train::RunConfig rc;
  rc.model.vocab = 9;
  rc.model.d_model = 4;
  rc.model.mixers = {
      model::LayerMixer::of<mx::base_conv::Contract>({1, 1, 4, mx::base_conv::Conv::short_conv, 3, 6}),
      model::LayerMixer::of<mx::base_conv::Contract>({1, 1, 4, mx::base_conv::Conv::long_implicit, 3, 6})};
  rc.precision = train::Precision::f64;
  const auto init = train::init_parameters(rc.model, test_seed());
  // The same step with weight decay 0.1 and 0: AdamW's update u is the same, so the two results differ by exactly
  // the decoupled decay lr wd p (every trained parameter), and a frozen parameter is unchanged in both.
  model::Batch b{1, 6, {1, 2, 3, 4, 5, 6}, {-100, 3, -100, 7, -100, 2}};
  std::vector<Named<double>> after;
  std::unique_ptr<train::Backend> backend;
  for (const double wd : {0.1, 0.0}) {
    backend = train::make_backend(rc);
    backend->set_parameters(init);
    backend->forward_backward(b, {});
    backend->step({0.5, wd, 0.9, 0.999, 1e-8}, 0.5);
    after.push_back(backend->parameters());
  }
  const std::string z = "backbone.layers.1.sequence_mixer.conv.pos_emb.z";
  std::int64_t stepped = 0, trained = 0;  // dead ReLU units of the implicit filter MLP get zero gradients
  for (const auto& [name, t] : init)
    for (std::int64_t i = 0; i < t.numel(); ++i) {
      const double p = t.data()[i], decayed = after[0].at(name).data()[i], plain = after[1].at(name).data()[i];
      if (name == z) {
        ASSERT_EQ(decayed, p) << name;
        ASSERT_EQ(plain, p) << name;
      } else {
        ASSERT_NEAR(decayed - plain, -0.05 * p, 1e-12) << name << "[" << i << "]";
        stepped += plain != p;
        ++trained;
      }
    }
  EXPECT_GT(stepped, trained / 2);
  const auto state = backend->optimizer_state();
  EXPECT_FALSE(state.count("exp_avg." + z));
  EXPECT_TRUE(state.count("exp_avg.backbone.ln_f.bias"));
  EXPECT_EQ(backend->optimizer_step(), 1);
  auto other = train::make_backend(rc);
  other->set_optimizer_state(1, state);
  EXPECT_EQ(other->optimizer_state().size(), state.size());
}

}  // namespace
}  // namespace menagerie::test
