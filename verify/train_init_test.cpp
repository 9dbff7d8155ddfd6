// Zoology's initialisation (train/init.hpp): the laws at a realistic size (d = 64, vocab 512, 2 layers), checked by
// sample moments (4 standard errors) and exact values: Linear weights N(0, 0.02^2) and out_proj N(0, 0.01^2) at
// L = 2, biases 0, norms 1 and 0, embeddings N(0, 0.02^2), depthwise conv U(±1/sqrt(K)), the implicit filter's z;
// every registry mixer initialises; the init is a pure function of (config, seed).
// The laws of hyena, h3 and mamba are taken from zoology's code (zoology/model.py _init_weights, mixers/hyena.py,
// mixers/h3/{h3,ss_kernel,dplr}.py, mixers/mamba.py) and PyTorch's defaults, not from our init: each parameter is
// tested through train::init_parameters at L = 2 and L = 4 layers (the 1/sqrt(2L) and 1/sqrt(L) out_proj scales).
// Tolerances follow from the sample size n: a normal's mean within 4 sigma/sqrt(n) and its std within
// 4 sigma/sqrt(2n); a uniform on [lo, hi] (half-width w): every draw inside, mean within 4 (w/sqrt(3))/sqrt(n),
// E[(x - mid)^2] = w^2/3 within 4 w^2 sqrt(4/45)/sqrt(n), and both ends reached to within 10 (hi - lo)/n
// (missed with probability e^-10 each); exact values (buffers, constants) to the last bit or 1e-12.
#include <gtest/gtest.h>

#include <algorithm>
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

// Uniform on [lo, hi], by the moments and range above.
void expect_uniform(const Tensor<double>& t, double lo, double hi, const std::string& what) {
  const auto n = static_cast<double>(t.numel());
  const double mid = (lo + hi) / 2, w = (hi - lo) / 2;
  double sum = 0, sq = 0, mn = INFINITY, mx = -INFINITY;
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    const double x = t.data()[i];
    ASSERT_TRUE(x >= lo && x <= hi) << what << "[" << i << "] = " << x << " outside [" << lo << ", " << hi << "]";
    sum += x - mid;
    sq += (x - mid) * (x - mid);
    mn = std::min(mn, x);
    mx = std::max(mx, x);
  }
  EXPECT_LE(std::abs(sum / n), 4 * w / std::sqrt(3 * n)) << what << ": mean " << mid + sum / n;
  EXPECT_LE(std::abs(sq / n - w * w / 3), 4 * w * w * std::sqrt(4.0 / 45) / std::sqrt(n))
      << what << ": E[(x - mid)^2] = " << sq / n << ", expected " << w * w / 3;
  EXPECT_LE(mn, lo + 10 * (hi - lo) / n) << what << ": min " << mn;
  EXPECT_GE(mx, hi - 10 * (hi - lo) / n) << what << ": max " << mx;
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

Tensor<double> apply(const Tensor<double>& t, double (*f)(double)) {
  Tensor<double> y(t.shape());
  for (std::int64_t i = 0; i < t.numel(); ++i) y.data()[i] = f(t.data()[i]);
  return y;
}

// zoology Hyena(d_model 64, l_max 64, filter_order 64) under _init_weights: in/out_proj and the filter MLP are
// nn.Linear (N(0, 0.02^2), out_proj 0.02/sqrt(2L), biases 0; the last filter Linear has no bias); short_filter is
// a depthwise Conv1d(192, 192, 3) with PyTorch's default U(±1/sqrt(3)) for weight and bias; Filter.bias = randn;
// Sin(w = 1): freq = 1; PositionalEmbedding: t = linspace(0, 1, l_max); ExponentialModulation: deltas =
// linspace(log(1e-2)/1.5, log(1e-2)/0.3, d).
TEST(TrainInit, HyenaFollowsZoologysLaws) {
  for (const std::int64_t layers : {2, 4}) {
    auto c = config({LayerMixer::of<mx::hyena::Contract>({1, 1, 64, 64, 64, 3})});
    c.n_layers = layers;
    const auto p = train::init_parameters(c, test_seed());
    for (std::int64_t l = 0; l < layers; ++l) {
      const std::string m = c.mixer_prefix(l), f = m + "filter_fn.implicit_filter.";
      expect_normal(p.at(m + "in_proj.weight"), 0.02, m + "in_proj.weight");
      expect_all(p.at(m + "in_proj.bias"), 0, m + "in_proj.bias");
      const double out_std = 0.02 / std::sqrt(2.0 * static_cast<double>(layers));
      expect_normal(p.at(m + "out_proj.weight"), out_std, m + "out_proj.weight");
      expect_all(p.at(m + "out_proj.bias"), 0, m + "out_proj.bias");
      const double k3 = 1 / std::sqrt(3.0);
      expect_uniform(p.at(m + "short_filter.weight"), -k3, k3, m + "short_filter.weight");
      expect_uniform(p.at(m + "short_filter.bias"), -k3, k3, m + "short_filter.bias");
      for (const char* k : {"0", "2", "4", "6"}) expect_normal(p.at(f + k + ".weight"), 0.02, f + k + ".weight");
      for (const char* k : {"0", "2", "4"}) expect_all(p.at(f + k + ".bias"), 0, f + k + ".bias");
      expect_all(p.at(f + "1.freq"), 1, f + "1.freq");
      expect_normal(p.at(m + "filter_fn.bias"), 1.0, m + "filter_fn.bias");
      const auto &t = p.at(m + "filter_fn.pos_emb.t"), &deltas = p.at(m + "filter_fn.modulation.deltas");
      const double lo = std::log(1e-2) / 1.5, hi = std::log(1e-2) / 0.3;  // min_decay, max_decay
      for (std::int64_t i = 0; i < 64; ++i) {
        const double x = static_cast<double>(i) / 63;
        EXPECT_NEAR(t(0, i, 0), x, 1e-15) << "pos_emb.t[" << i << "]";
        EXPECT_NEAR(deltas(0, 0, i), lo + (hi - lo) * x, 1e-12) << "modulation.deltas[" << i << "]";
      }
    }
  }
}

// zoology H3(d_model 64, d_state 64, head_dim 2) under _init_weights: q/k/v_proj and output_linear are nn.Linear
// (N(0, 0.02^2), bias 0; "output_linear.weight" is not among the rescaled names); the shift kernel
// (SSKernel mode 'shift'): B = e_0; ssm_k_D and D = randn; the S4D-Lin kernel (mode 'diag', measure 'diag-lin',
// real_type 'exp'): log_dt ~ U[ln 1e-3, ln 1e-1], inv_A_real = ln 0.5, A_imag = π n, B = 1 + 0i, C complex randn
// times B (real and imaginary parts N(0, 1/2)).
TEST(TrainInit, H3FollowsZoologysLaws) {
  const auto c = config({LayerMixer::of<mx::h3::Contract>({1, 1, 64, 64, 2})});
  const auto p = train::init_parameters(c, test_seed());
  for (std::int64_t l = 0; l < 2; ++l) {
    const std::string m = c.mixer_prefix(l);
    for (const char* lin : {"q_proj", "k_proj", "v_proj", "output_linear"}) {
      expect_normal(p.at(m + lin + ".weight"), 0.02, m + lin + ".weight");
      expect_all(p.at(m + lin + ".bias"), 0, m + lin + ".bias");
    }
    const auto& B = p.at(m + "ssm_k_kernel.kernel.B");
    for (std::int64_t ch = 0; ch < 64; ++ch)
      for (std::int64_t n = 0; n < 64; ++n) ASSERT_EQ(B(ch, n), n == 0 ? 1.0 : 0.0) << "ssm_k B(" << ch << ", " << n;
    expect_normal(p.at(m + "ssm_k_D"), 1.0, m + "ssm_k_D");
    expect_normal(p.at(m + "D"), 1.0, m + "D");
    expect_uniform(p.at(m + "kernel.kernel.log_dt"), std::log(1e-3), std::log(1e-1), m + "kernel.kernel.log_dt");
    expect_all(p.at(m + "kernel.kernel.inv_A_real"), std::log(0.5), m + "kernel.kernel.inv_A_real");
    const auto &A_imag = p.at(m + "kernel.kernel.A_imag"), &Bk = p.at(m + "kernel.kernel.B");
    for (std::int64_t h = 0; h < 32; ++h)
      for (std::int64_t n = 0; n < 32; ++n) {
        ASSERT_NEAR(A_imag(h, n), std::numbers::pi * static_cast<double>(n), 1e-12) << "A_imag(" << h << ", " << n;
        ASSERT_EQ(Bk(h, n, 0), 1.0);
        ASSERT_EQ(Bk(h, n, 1), 0.0);
      }
    expect_normal(p.at(m + "kernel.kernel.C"), std::sqrt(0.5), m + "kernel.kernel.C");
  }
}

// The shift kernel's C (zoology/mixers/h3/ss_kernel.py, mode 'shift'): C = torch.randn(H, channels, N) is
// overwritten by nn.init.kaiming_uniform_(C, a=math.sqrt(5)); PyTorch's fan_in of a [H, 1, N] tensor is
// size(1) * N = N and the bound gain * sqrt(3 / fan_in) with gain sqrt(2 / (1 + 5)), so C ~ U(±1/sqrt(N)).
// _init_weights leaves it alone (not an nn.Linear or nn.Embedding).
TEST(TrainInit, H3ShiftKernelCIsKaimingUniform) {
  const auto c = config({LayerMixer::of<mx::h3::Contract>({1, 1, 64, 64, 2})});
  const auto p = train::init_parameters(c, test_seed());
  for (std::int64_t l = 0; l < 2; ++l) {
    const std::string name = c.mixer_prefix(l) + "ssm_k_kernel.kernel.C";
    expect_uniform(p.at(name), -1 / std::sqrt(64.0), 1 / std::sqrt(64.0),
                   name + " (zoology: U(±1/sqrt(N)); train/init.hpp's N(0, 1) is not zoology's law)");
  }
}

// zoology Mamba(d_model 64, d_state 16, d_conv 4, expand 2; dt_rank ceil(64/16) = 4) in a MambaBlock model, where
// _init_weights only zeroes Linear biases (none here but dt_proj's, which is kept) and re-draws out_proj.weight as
// kaiming_uniform_(a = sqrt 5) / sqrt(L): in_proj and x_proj keep PyTorch's U(±1/sqrt(fan_in)); conv1d weight and
// bias U(±1/sqrt(4)); dt_proj.weight U(±dt_rank^-1/2); softplus(dt_proj.bias) = dt with ln dt ~ U[ln 1e-3,
// ln 1e-1]; A_log[c, n] = ln(n + 1); D = 1; RMSNorm weights 1; embeddings N(0, 0.02^2).
TEST(TrainInit, MambaFollowsZoologysLaws) {
  for (const std::int64_t layers : {2, 4}) {
    auto c = config({LayerMixer::of<mx::mamba::Contract>({1, 1, 64, 16, 4, 2, 0})}, false, 0, model::Block::mamba);
    c.n_layers = layers;
    const auto p = train::init_parameters(c, test_seed());
    expect_normal(p.at(model::word_embeddings), 0.02, "word embeddings");
    for (std::int64_t l = 0; l < layers; ++l) {
      const std::string m = c.mixer_prefix(l);
      const double E = 128, R = 4;
      expect_uniform(p.at(m + "in_proj.weight"), -1 / std::sqrt(64.0), 1 / std::sqrt(64.0), m + "in_proj.weight");
      expect_uniform(p.at(m + "x_proj.weight"), -1 / std::sqrt(E), 1 / std::sqrt(E), m + "x_proj.weight");
      expect_uniform(p.at(m + "conv1d.weight"), -0.5, 0.5, m + "conv1d.weight");
      expect_uniform(p.at(m + "conv1d.bias"), -0.5, 0.5, m + "conv1d.bias");
      expect_uniform(p.at(m + "dt_proj.weight"), -1 / std::sqrt(R), 1 / std::sqrt(R), m + "dt_proj.weight");
      const double b = 1 / std::sqrt(E) / std::sqrt(static_cast<double>(layers));
      expect_uniform(p.at(m + "out_proj.weight"), -b, b, m + "out_proj.weight");
      const auto log_dt = apply(p.at(m + "dt_proj.bias"), [](double x) { return std::log(std::log1p(std::exp(x))); });
      expect_uniform(log_dt, std::log(1e-3) - 1e-12, std::log(1e-1) + 1e-12, m + "ln softplus(dt_proj.bias)");
      const auto& A_log = p.at(m + "A_log");
      for (std::int64_t ch = 0; ch < 128; ++ch)
        for (std::int64_t n = 0; n < 16; ++n)
          ASSERT_NEAR(A_log(ch, n), std::log(static_cast<double>(n + 1)), 1e-15) << "A_log(" << ch << ", " << n << ")";
      expect_all(p.at(m + "D"), 1, m + "D");
      expect_all(p.at(c.layer_prefix(l) + "norm.weight"), 1, "norm.weight");
    }
  }
}

}  // namespace
}  // namespace menagerie::test
