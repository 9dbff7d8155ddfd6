// What is specific to the sigmoid_lookups mixer (zoology.mixers.selective.SigmoidLookups):
//   - training mode equals the module's training forward written out here in double in its own order of
//     operations: qkv = Wqkv(x), einsum scores with k * softmax_scale, the additive -10000 triu mask, softmax,
//     out_proj, selection = sigmoid(selecting(x)), y = attn_output * selection + x;
//   - inference mode equals the module's eval branch written out: torch.topk(selection, k) (found here by repeated
//     arg-max, not by sorting), gather of attn_output * selection, scatter_add into x; exactly k positions of each
//     sequence differ from x, with k = ceil(sqrt(T)) or n_lookups;
//   - inference mode is not causal: a later token with a large score pushes an earlier position out of the top k,
//     changing that earlier output (training mode leaves it unchanged);
//   - the backward in inference mode (mask held fixed) equals central differences in double;
//   - the auxiliary loss selection_penalty ReLU(mean g - n/T) equals the formula (n = sqrt(T) real, or n_lookups)
//     and its gradient equals central differences, zero below the target;
//   - param_count 4d^2 + 5d = the parameter shapes' sum; state_size 2dT; ceil_sqrt; validate names the bad value.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "reference/sigmoid_lookups.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace mixers::sigmoid_lookups;

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

struct Module {
  Tensor<double> attn_output, selection;  // [B, T, d], [B, T]
};

// SigmoidLookups.forward up to the branch on self.training, in double.
Module zoology_parts(const Problem& p, const Named<double>& in) {
  const auto& x = in.at("u");
  const auto &W = in.at("Wqkv.weight"), &bq = in.at("Wqkv.bias"), &Wo = in.at("out_proj.weight");
  const auto &bo = in.at("out_proj.bias"), &ws = in.at("selecting.weight");
  const std::int64_t l = p.T, d = p.d, H = p.heads, hd = d / H;
  Module m{Tensor<double>({p.B, l, d}), Tensor<double>({p.B, l})};
  for (std::int64_t b = 0; b < p.B; ++b) {
    Tensor<double> qkv({l, 3 * d}), context({l, d});
    for (std::int64_t t = 0; t < l; ++t)
      for (std::int64_t o = 0; o < 3 * d; ++o) {
        qkv(t, o) = bq(o);
        for (std::int64_t i = 0; i < d; ++i) qkv(t, o) += W(o, i) * x(b, t, i);
      }
    const double softmax_scale = 1 / std::sqrt(static_cast<double>(hd));
    for (std::int64_t h = 0; h < H; ++h)
      for (std::int64_t t = 0; t < l; ++t) {
        std::vector<double> scores(static_cast<std::size_t>(l));
        double mx = -std::numeric_limits<double>::infinity(), z = 0;
        for (std::int64_t s = 0; s < l; ++s) {
          double acc = 0;
          for (std::int64_t e = 0; e < hd; ++e) acc += qkv(t, h * hd + e) * (qkv(s, d + h * hd + e) * softmax_scale);
          scores[static_cast<std::size_t>(s)] = acc + (s > t ? -10000.0 : 0.0);
          mx = std::max(mx, scores[static_cast<std::size_t>(s)]);
        }
        for (auto& v : scores) z += (v = std::exp(v - mx));
        for (std::int64_t s = 0; s < l; ++s)
          for (std::int64_t e = 0; e < hd; ++e)
            context(t, h * hd + e) += scores[static_cast<std::size_t>(s)] / z * qkv(s, 2 * d + h * hd + e);
      }
    for (std::int64_t t = 0; t < l; ++t) {
      for (std::int64_t o = 0; o < d; ++o) {
        m.attn_output(b, t, o) = bo(o);
        for (std::int64_t i = 0; i < d; ++i) m.attn_output(b, t, o) += Wo(o, i) * context(t, i);
      }
      double z = 0;
      for (std::int64_t i = 0; i < d; ++i) z += ws(0, i) * x(b, t, i);
      m.selection(b, t) = sigmoid(z);
    }
  }
  return m;
}

Tensor<double> zoology_forward(const Problem& p, const Named<double>& in) {
  const Module m = zoology_parts(p, in);
  Tensor<double> y = in.at("u");  // x.scatter_add_ / attn_output * selection + x
  for (std::int64_t b = 0; b < p.B; ++b) {
    std::vector<std::int64_t> picked;
    if (!p.inference)
      for (std::int64_t t = 0; t < p.T; ++t) picked.push_back(t);
    for (std::int64_t r = 0; p.inference && r < p.top_k(); ++r) {  // torch.topk by repeated arg-max
      std::int64_t best = -1;
      for (std::int64_t t = 0; t < p.T; ++t)
        if (std::find(picked.begin(), picked.end(), t) == picked.end() &&
            (best < 0 || m.selection(b, t) > m.selection(b, best)))
          best = t;
      picked.push_back(best);
    }
    for (const std::int64_t t : picked)
      for (std::int64_t e = 0; e < p.d; ++e) y(b, t, e) += m.attn_output(b, t, e) * m.selection(b, t);
  }
  return y;
}

Tensor<double> forward(const Problem& p, const Named<double>& in) {
  Named<double> out = allocate<double>(tensors(p), Role::output, std::numeric_limits<double>::quiet_NaN());
  reference_forward<double>(p, in, out);
  return out.at("y");
}

const Problem kCases[] = {{.B = 2, .T = 11, .d = 8},
                          {.B = 1, .T = 1, .d = 4},
                          {.B = 1, .T = 17, .d = 9, .heads = 3},
                          {.B = 2, .T = 16, .d = 6, .heads = 2, .n_lookups = 5}};

TEST(SigmoidLookups, TrainingForwardMatchesZoologyWrittenOut) {
  for (const Problem& p : kCases) {
    const auto in = random_inputs(tensors(p), test_seed());
    const double err = relerr(forward(p, in), convert<Mp>(zoology_forward(p, in)));
    EXPECT_LE(err, 1e3 * std::numeric_limits<double>::epsilon()) << "B, T, d, heads = " << p.B << ", " << p.T << ", "
                                                                  << p.d << ", " << p.heads;
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", err);
    RecordProperty("relerr_train_T" + std::to_string(p.T), text);
  }
}

TEST(SigmoidLookups, InferenceForwardIsZoologysTopKAndChangesExactlyKPositions) {
  for (Problem p : kCases) {
    p.inference = true;
    const auto in = random_inputs(tensors(p), test_seed() + 1);
    const Tensor<double> y = forward(p, in);
    const double err = relerr(y, convert<Mp>(zoology_forward(p, in)));
    EXPECT_LE(err, 1e3 * std::numeric_limits<double>::epsilon()) << "T = " << p.T;
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", err);
    RecordProperty("relerr_inference_T" + std::to_string(p.T), text);
    const std::int64_t k = p.n_lookups > 0 ? p.n_lookups : static_cast<std::int64_t>(std::ceil(std::sqrt(p.T)));
    for (std::int64_t b = 0; b < p.B; ++b) {
      std::int64_t changed = 0;
      for (std::int64_t t = 0; t < p.T; ++t) {
        bool differs = false;
        for (std::int64_t e = 0; e < p.d; ++e) differs |= y(b, t, e) != in.at("u")(b, t, e);
        changed += differs;
      }
      EXPECT_EQ(changed, k) << "T = " << p.T << ", b = " << b;
    }
  }
}

// u_last = c w / |w|^2 gives the last position the score sigmoid(c): at c = -20 it is below every other score (not
// selected), at c = 20 above every other: it enters the top k and pushes out the earlier position of lowest selected
// score, whose output falls back to u.
TEST(SigmoidLookups, InferenceModeIsNotCausalTrainingModeIs) {
  for (const bool inference : {true, false}) {
    const Problem p{.B = 1, .T = 9, .d = 6, .inference = inference};
    auto in = random_inputs(tensors(p), test_seed() + 2);
    const auto w = in.at("selecting.weight");
    double norm2 = 0;
    for (std::int64_t e = 0; e < p.d; ++e) norm2 += w(0, e) * w(0, e);
    const auto last_score = [&](double z) {
      for (std::int64_t e = 0; e < p.d; ++e) in.at("u")(0, p.T - 1, e) = z * w(0, e) / norm2;
      return forward(p, in);
    };
    const Tensor<double> before = last_score(-20), after = last_score(20);
    std::int64_t earlier_changed = 0;
    for (std::int64_t t = 0; t + 1 < p.T; ++t)
      for (std::int64_t e = 0; e < p.d; ++e) earlier_changed += before(0, t, e) != after(0, t, e);
    if (inference)
      EXPECT_EQ(earlier_changed, p.d) << "one earlier position should leave the top k";
    else
      EXPECT_EQ(earlier_changed, 0);
  }
}

TEST(SigmoidLookups, InferenceBackwardMatchesCentralDifferences) {
  const Problem p{.B = 2, .T = 10, .d = 6, .heads = 2, .inference = true};
  const auto in = random_inputs(tensors(p), test_seed() + 3);
  const auto dy = random_inputs({{"y", {p.B, p.T, p.d}, "B,T,D", Role::input}}, test_seed() + 4);
  Named<double> d_in;
  reference_backward<double>(p, in, dy, d_in);
  const double h = 1e-6;
  for (const auto& s : specs_with_role(tensors(p), Role::param)) {
    std::vector<double> fd, an;
    for (std::int64_t i = 0; i < numel(s.shape); i += 3) {
      auto plus = in, minus = in;
      plus.at(s.name).data()[i] += h;
      minus.at(s.name).data()[i] -= h;
      const Tensor<double> yp = zoology_forward(p, plus), ym = zoology_forward(p, minus);
      double acc = 0;
      for (std::int64_t j = 0; j < yp.numel(); ++j) acc += dy.at("y").data()[j] * (yp.data()[j] - ym.data()[j]);
      fd.push_back(acc / (2 * h));
      an.push_back(d_in.at(s.name).data()[i]);
    }
    double num = 0, den = 0;
    for (std::size_t i = 0; i < fd.size(); ++i) {
      num += (fd[i] - an[i]) * (fd[i] - an[i]);
      den += fd[i] * fd[i];
    }
    EXPECT_LE(std::sqrt(num / den), 1e-7) << s.name;
  }
}

double aux_formula(const Problem& p, const Named<double>& in) {
  const Module m = zoology_parts(p, in);
  double mean = 0;
  for (std::int64_t i = 0; i < m.selection.numel(); ++i) mean += m.selection.data()[i];
  mean /= static_cast<double>(m.selection.numel());
  const double n = p.n_lookups > 0 ? static_cast<double>(p.n_lookups) : std::sqrt(static_cast<double>(p.T));
  return std::max(mean - n / static_cast<double>(p.T), 0.0) * p.selection_penalty;
}

// The scores near 1/2 at T = 16 (target sqrt(16)/16 = 0.25) are above the target; with n_lookups = 12 (0.75) the
// loss and its gradient are zero.
TEST(SigmoidLookups, AuxiliaryLossAndItsGradient) {
  for (const std::int64_t n_lookups : {std::int64_t{0}, std::int64_t{3}, std::int64_t{12}}) {
    const Problem p{.B = 2, .T = 16, .d = 5, .n_lookups = n_lookups, .selection_penalty = 0.3};
    const auto in = random_inputs(tensors(p), test_seed() + 5);
    const double loss = auxiliary_loss<double>(p, in);
    EXPECT_NEAR(loss, aux_formula(p, in), 1e-15) << "n_lookups = " << n_lookups;
    EXPECT_EQ(loss > 0, n_lookups < 12) << "n_lookups = " << n_lookups;
    Named<double> d_in{{"u", Tensor<double>({p.B, p.T, p.d}, 0.0)}, {"selecting.weight", Tensor<double>({1, p.d}, 0.0)}};
    auxiliary_loss_backward<double>(p, in, 2.0, d_in);
    const double h = 1e-6;
    for (const char* name : {"u", "selecting.weight"})
      for (std::int64_t i = 0; i < in.at(name).numel(); ++i) {
        auto plus = in, minus = in;
        plus.at(name).data()[i] += h;
        minus.at(name).data()[i] -= h;
        const double fd = 2.0 * (aux_formula(p, plus) - aux_formula(p, minus)) / (2 * h);
        EXPECT_NEAR(d_in.at(name).data()[i], fd, 1e-9) << name << "[" << i << "], n_lookups = " << n_lookups;
      }
  }
}

TEST(SigmoidLookups, ParamCountAndStateSize) {
  for (const std::int64_t d : {64, 128, 256, 512}) {
    const Problem p{.B = 1, .T = 256, .d = d};
    std::int64_t sum = 0;
    for (const auto& s : specs_with_role(tensors(p), Role::param)) sum += numel(s.shape);
    EXPECT_EQ(sum, param_count(p)) << "d = " << d;
    // MHA's Wqkv (3d^2 + 3d) and out_proj (d^2 + d), plus selecting (d, no bias).
    EXPECT_EQ(param_count(p), 3 * d * d + 3 * d + d * d + d + d) << "d = " << d;
    EXPECT_EQ(state_size(p), 2 * d * 256);
  }
}

TEST(SigmoidLookups, TopKCountIsCeilSqrtOrNLookups) {
  const std::pair<std::int64_t, std::int64_t> cases[] = {{1, 1}, {2, 2}, {4, 2}, {5, 3}, {9, 3}, {10, 4},
                                                         {32, 6}, {256, 16}, {257, 17}, {1000000, 1000}};
  for (const auto& [n, k] : cases) {
    EXPECT_EQ(ceil_sqrt(n), k) << "n = " << n;
    EXPECT_EQ((Problem{.T = n}.top_k()), k) << "n = " << n;
  }
  EXPECT_EQ((Problem{.T = 32, .n_lookups = 7}.top_k()), 7);
}

TEST(SigmoidLookups, ValidateNamesTheBadValue) {
  const std::pair<Problem, std::string> cases[] = {
      {{.B = 0, .T = 4, .d = 8}, "B, T, d, heads = 0, 4, 8, 1"},
      {{.B = 1, .T = 4, .d = 8, .heads = 3}, "d = 8 is not divisible by heads = 3"},
      {{.B = 1, .T = 4, .d = 8, .n_lookups = -1}, "n_lookups = -1 must be >= 0"},
      {{.B = 1, .T = 4, .d = 8, .n_lookups = 5, .inference = true}, "n_lookups = 5 exceeds the sequence length T = 4"},
      {{.B = 1, .T = 4, .d = 8, .selection_penalty = -1}, "selection_penalty = -1"}};
  for (const auto& [p, text] : cases) {
    try {
      p.validate();
      ADD_FAILURE() << "validate accepted " << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace menagerie::test
