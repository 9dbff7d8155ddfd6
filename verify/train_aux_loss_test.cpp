// The auxiliary-loss hook of the trainer (train/lm.hpp; a contract's has_auxiliary_loss, reference/model.hpp) on a tiny model
// with a sigmoid_lookups layer: the hybrid [base_conv short k = 3, sigmoid_lookups (2 heads, n_lookups = 1)],
// V = 11, d = 6, 2 layers, B = 4, T = 5, whose selection penalty 0.001 ReLU(mean g - 1/5) is active (mean g is
// near 1/2 at the random selecting weights; asserted):
//   - the reference backend's gradient (double, 3 threads) equals central finite differences of its own total loss
//     (cross-entropy + auxiliary) in double, every element of selecting.weight and sampled elements of every
//     other parameter: the auxiliary gradient (about 1e-4 of selecting.weight's) is far above the tolerance;
//   - the auxiliary part it reports equals loss(penalty 0.001) - loss(penalty 0) and the independent reference
//     model's (reference/model.hpp) auxiliary_loss, whose total loss and gradients it equals to 1e-12;
//   - the batch mean is over the whole batch: 1 and 3 threads give the same loss and gradients.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "core/registry.hpp"
#include "reference/model.hpp"
#include "reference/mp.hpp"
#include "train/backend.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

namespace mx = menagerie::mixers;
constexpr std::int64_t V = 11, d = 6, Bn = 4, Tn = 5;

model::Config tiny(double penalty) {
  model::Config c;
  c.vocab = V;
  c.d_model = d;
  c.n_layers = 2;
  c.hybrid = true;
  c.mixers = {model::LayerMixer::of<mx::base_conv::Contract>({1, 1, d, mx::base_conv::Conv::short_conv, 3, Tn}),
              model::LayerMixer::of<mx::sigmoid_lookups::Contract>(
                  {.B = 1, .T = 1, .d = d, .heads = 2, .n_lookups = 1, .selection_penalty = penalty})};
  return c;
}

model::Batch batch() {
  model::Batch b{Bn, Tn, {}, {}};
  for (std::int64_t i = 0; i < Bn * Tn; ++i) {
    b.ids.push_back((7 * i + 2 + static_cast<std::int64_t>(test_seed() % 5)) % V);
    b.labels.push_back(i % 3 == 2 ? (4 * i + 1) % V : ops::cross_entropy::ignore_index);
  }
  return b;
}

std::unique_ptr<train::Backend> backend(const model::Config& c, std::int64_t threads, const Named<double>& params) {
  train::RunConfig rc;
  rc.model = c;
  rc.precision = train::Precision::f64;
  rc.threads = threads;
  auto be = train::make_backend(rc);
  be->set_parameters(params);
  return be;
}

TEST(TrainAuxLoss, GradientOfTheTotalLossMatchesFiniteDifferences) {
  const auto c = tiny(0.001);
  const auto params = convert<double>(random_inputs(model::tensors(c), test_seed()));
  const model::Batch b = batch();
  auto be = backend(c, 3, params);
  const double loss = be->forward_backward(b, {});
  const auto grads = be->gradients();
  ASSERT_GT(be->auxiliary_loss(), 1e-5) << "the selection penalty is inactive (mean g <= n/T); " << replay_line();
  std::printf("total loss %.17g, auxiliary part %.17g\n", loss, be->auxiliary_loss());
  const double h = 1e-5;
  for (const auto& s : model::tensors(c)) {
    const auto& g = grads.at(s.name);
    double rms = 0;
    for (std::int64_t i = 0; i < g.numel(); ++i) rms += g.data()[i] * g.data()[i];
    rms = std::sqrt(rms / static_cast<double>(g.numel()));
    const bool all = s.name.find("selecting") != std::string::npos;
    for (std::int64_t k = 0; k < (all ? g.numel() : std::min<std::int64_t>(3, g.numel())); ++k) {
      const auto i = all ? k : static_cast<std::int64_t>((test_seed() + 7919u * static_cast<unsigned>(k)) % g.numel());
      auto plus = params, minus = params;
      plus.at(s.name).data()[i] += h;
      minus.at(s.name).data()[i] -= h;
      be->set_parameters(plus);
      const double lp = be->forward_backward(b, {});
      be->set_parameters(minus);
      const double fd = (lp - be->forward_backward(b, {})) / (2 * h);
      EXPECT_LE(std::abs(fd - g.data()[i]), 1e-7 * (std::abs(g.data()[i]) + rms) + 1e-11)
          << "d" << s.name << "[" << i << "] analytic " << g.data()[i] << ", finite difference " << fd
          << " (total loss " << loss << "); " << replay_line();
    }
  }
}

TEST(TrainAuxLoss, AuxiliaryPartIsTheWholeBatchPenaltyAndMatchesTheReferenceModel) {
  const auto c = tiny(0.001);
  const auto params = convert<double>(random_inputs(model::tensors(c), test_seed()));
  const model::Batch b = batch();
  auto one = backend(c, 1, params), three = backend(c, 3, params);
  const double loss = three->forward_backward(b, {}), aux = three->auxiliary_loss();
  const double without = backend(tiny(0.0), 3, params)->forward_backward(b, {});
  EXPECT_GT(aux, 1e-5);
  EXPECT_NEAR(loss - without, aux, 1e-13) << replay_line();

  const model::Model<double> ref(c);
  Named<double> ref_grads;
  const double ref_loss = ref.loss_and_gradients(params, b, ref_grads);
  EXPECT_NEAR(loss, ref_loss, 1e-12 * ref_loss);
  EXPECT_NEAR(aux, ref.auxiliary_loss(params, b), 1e-15);
  const auto grads = three->gradients();
  for (const auto& [name, g] : ref_grads)
    EXPECT_LE(relerr(grads.at(name), convert<Mp>(g)), 1e-12) << name << "; " << replay_line();

  EXPECT_EQ(one->forward_backward(b, {}), loss);
  const auto g1 = one->gradients();
  for (const auto& [name, g] : g1) EXPECT_EQ(relerr(grads.at(name), convert<Mp>(g)), 0.0) << name;
}

TEST(TrainAuxLoss, OnlyDeclaringMixersHaveOne) {
  for_each_contract(Mixers{}, [](auto c) {
    using C = typename decltype(c)::type;
    const auto m = model::LayerMixer::of<C>(C::test_grid(false).front());
    EXPECT_EQ(static_cast<bool>(model::registry_math<double>(m).aux_loss), C::id == "sigmoid_lookups") << C::id;
  });
}

}  // namespace
}  // namespace menagerie::test
