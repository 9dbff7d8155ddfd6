// The trainer's model (train/lm.hpp) on tiny models (V = 11, d = 6, 2 layers, B = 2, T = 5, 5 labelled positions):
//   - the whole model's gradient, every parameter tensor, equals central finite differences in Mp (sampled
//     elements, |fd - g| <= 1e-20 (|g| + rms g)), with embedding and attention dropout on (p = 0.3, fixed masks),
//     so the dropout backward is checked too; mixers: mha with positions, sliding_attn, base_conv short + implicit
//     and explicit long, the Based hybrid [base_conv, based] (reference kernel), mamba blocks (reference kernel);
//   - with dropout off it equals the independent reference model (reference/model.hpp) in double: loss and every
//     gradient to 1e-12 relative;
//   - dropout changes the loss, p = 0 equals no dropout, and the masks do not depend on how the batch is split
//     across threads (reference backend with 1 and 3 threads, double: same loss and gradients to 1e-12).
#include <gtest/gtest.h>

#include "core/registry.hpp"
#include "reference/model.hpp"
#include "reference/mp.hpp"
#include "train/backend.hpp"
#include "train/lm.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using model::Batch;
using model::Config;
using model::LayerMixer;
namespace mx = menagerie::mixers;
using BC = mx::base_conv::Problem;

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

std::vector<std::pair<std::string, Config>> cases() {
  const auto short3 = LayerMixer::of<mx::base_conv::Contract>(BC{1, 1, d, mx::base_conv::Conv::short_conv, 3, Tn});
  return {
      {"mha (+positions)", tiny({LayerMixer::of<mx::mha::Contract>({1, 1, d, 2})}, false, Tn)},
      {"sliding_attn hybrid", tiny({short3, LayerMixer::of<mx::sliding_attn::Contract>({1, 1, d, 2})}, true)},
      {"base_conv short + implicit",
       tiny({short3, LayerMixer::of<mx::base_conv::Contract>(BC{1, 1, d, mx::base_conv::Conv::long_implicit, 3, Tn})})},
      {"base_conv explicit",
       tiny({LayerMixer::of<mx::base_conv::Contract>(BC{1, 1, d, mx::base_conv::Conv::long_explicit, 3, Tn + 1})})},
      {"based hybrid", tiny({short3, LayerMixer::of<mx::based::Contract>({1, 1, d, 3, 1, 1e-12})}, true)},
      {"mamba blocks", tiny({LayerMixer::of<mx::mamba::Contract>({1, 1, d, 3, 3, 2, 0})}, false, 0,
                            model::Block::mamba)},
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
Named<T> zeros_like(const Config& c) {
  Named<T> g;
  for (const auto& s : model::tensors(c)) g.emplace(s.name, Tensor<T>(s.shape, T(0)));
  return g;
}

double count_labels(const Batch& b) {
  double n = 0;
  for (auto l : b.labels) n += l != ops::cross_entropy::ignore_index;
  return n;
}

TEST(TrainModel, GradientsMatchFiniteDifferencesInMpWithDropout) {
  const train::Dropout drop{0.3, 0.3, test_seed(), 0};
  for (const auto& [name, c] : cases()) {
    const train::TrainModel<Mp> m(c);
    const auto params = convert<Mp>(random_inputs(model::tensors(c), test_seed()));
    const Batch b = batch(test_seed());
    const double denom = count_labels(b);
    auto grads = zeros_like<Mp>(c);
    m.forward_backward(params, b, denom, drop, &grads, nullptr);
    const int samples = tier() == Tier::full ? 6 : 2;
    const Mp h("1e-15");
    for (const auto& s : model::tensors(c)) {
      const auto& g = grads.at(s.name);
      Mp rms = 0;
      for (std::int64_t i = 0; i < g.numel(); ++i) rms += g.data()[i] * g.data()[i];
      rms = sqrt(rms / g.numel());
      for (int k = 0; k < samples && k < g.numel(); ++k) {
        const auto i = static_cast<std::int64_t>((test_seed() + 7919u * static_cast<unsigned>(k)) % g.numel());
        auto plus = params, minus = params;
        plus.at(s.name).data()[i] += h;
        minus.at(s.name).data()[i] -= h;
        const Mp fd = (m.forward_backward(plus, b, denom, drop, nullptr, nullptr) -
                       m.forward_backward(minus, b, denom, drop, nullptr, nullptr)) /
                      (2 * h);
        EXPECT_LE(static_cast<double>(abs(fd - g.data()[i])), 1e-20 * static_cast<double>(abs(g.data()[i]) + rms))
            << name << ": d" << s.name << "[" << i << "] analytic " << static_cast<double>(g.data()[i])
            << ", finite difference " << static_cast<double>(fd) << "; " << replay_line();
      }
    }
  }
}

TEST(TrainModel, EqualsTheReferenceModelWithoutDropout) {
  for (const auto& [name, c] : cases()) {
    const auto params = convert<double>(random_inputs(model::tensors(c), test_seed()));
    const Batch b = batch(test_seed());
    Named<double> ref_grads;
    const double ref_loss = model::Model<double>(c).loss_and_gradients(params, b, ref_grads);
    auto grads = zeros_like<double>(c);
    const double loss = train::TrainModel<double>(c).forward_backward(params, b, count_labels(b), {}, &grads, nullptr);
    EXPECT_NEAR(loss, ref_loss, 1e-12 * std::abs(ref_loss)) << name;
    for (const auto& [pname, g] : ref_grads)
      EXPECT_LE(relerr(grads.at(pname), convert<Mp>(g)), 1e-12) << name << ": " << pname << "; " << replay_line();
  }
}

TEST(TrainModel, DropoutMasksAreIndependentOfTheThreadSplit) {
  const auto c = cases()[0].second;  // mha: both embedding and attention dropout act
  const auto params = convert<double>(random_inputs(model::tensors(c), test_seed()));
  Batch b{4, Tn, {}, {}};
  for (int r = 0; r < 2; ++r) {
    const Batch h = batch(test_seed() + static_cast<std::uint64_t>(r));
    b.ids.insert(b.ids.end(), h.ids.begin(), h.ids.end());
    b.labels.insert(b.labels.end(), h.labels.begin(), h.labels.end());
  }
  const train::Dropout drop{0.3, 0.3, test_seed(), 0};
  const train::TrainModel<double> m(c);
  const double off = m.forward_backward(params, b, count_labels(b), {}, nullptr, nullptr);
  const double p0 = m.forward_backward(params, b, count_labels(b), {0, 0, test_seed(), 0}, nullptr, nullptr);
  const double on = m.forward_backward(params, b, count_labels(b), drop, nullptr, nullptr);
  EXPECT_EQ(off, p0);
  EXPECT_GT(std::abs(on - off), 1e-6 * std::abs(off)) << "dropout left the loss unchanged";

  train::RunConfig rc;
  rc.model = c;
  rc.precision = train::Precision::f64;
  Named<double> g1;
  double l1 = 0;
  for (const std::int64_t threads : {1, 3}) {
    rc.threads = threads;
    auto backend = train::make_backend(rc);
    backend->set_parameters(params);
    const double loss = backend->forward_backward(b, drop);
    EXPECT_NEAR(loss, on, 1e-12 * std::abs(on)) << threads << " threads";
    const auto g = backend->gradients();
    if (threads == 1) {
      g1 = g;
      l1 = loss;
      continue;
    }
    EXPECT_NEAR(loss, l1, 1e-12 * std::abs(l1));
    for (const auto& [name, t] : g1) EXPECT_LE(relerr(g.at(name), convert<Mp>(t)), 1e-12) << name;
  }
}

}  // namespace
}  // namespace menagerie::test
