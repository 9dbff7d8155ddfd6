// What is specific to the gla mixer:
//   - the forward equals zoology's GatedLinearAttention.forward at its defaults (q/k/v projections, gk_proj's
//     low-rank Linear pair, logsigmoid / gate_logit_normalizer, fla's naive recurrent GLA with q scaled by
//     head_k_dim^-1/2, FusedRMSNormSwishGate per head, o_proj) written out here in double in the module's
//     'b t (h d)' layout and order of operations;
//   - param_count = 4d^2 + 16d + 17 (d/2) + d/4 at the defaults, 2 x 17,968 / 68,704 / 268,480 / 1,061,248 for
//     d = 64..512 (counted by hand from the module's constructor); the parameter shapes sum to param_count;
//     state_size = key_dim head_v_dim (zoology's GatedLinearAttention.state_size);
//   - key_dim = int(d expand_k) truncates as Python's int(); validate() names the bad value.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "reference/gla.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace mixers::gla;

double logsigmoid(double x) { return std::min(x, 0.0) - std::log1p(std::exp(-std::abs(x))); }  // F.logsigmoid
double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

// zoology GatedLinearAttention.forward (fused_recurrent_gla = fla's naive_recurrent_gla), in double.
Tensor<double> zoology_gla(const Problem& p, const Named<double>& in) {
  const auto& hidden = in.at("u");
  const std::int64_t L = p.T, Kd = p.key_dim(), Vd = p.value_dim(), H = p.num_heads, R = p.gate_low_rank_dim;
  const std::int64_t dk = Kd / H, dv = Vd / H;  // head_k_dim, head_v_dim
  const auto &Wq = in.at("q_proj.weight"), &Wk = in.at("k_proj.weight"), &Wv = in.at("v_proj.weight");
  const auto &Wg = in.at("g_proj.weight"), &W0 = in.at("gk_proj.0.weight"), &W1 = in.at("gk_proj.1.weight");
  const auto &b1 = in.at("gk_proj.1.bias"), &Wo = in.at("o_proj.weight"), &wn = in.at("g_norm_swish_gate.weight");
  Tensor<double> out({p.B, L, p.d});
  for (std::int64_t b = 0; b < p.B; ++b) {
    // q, k, v, g = proj(hidden_states): [t, (h d)]; gk = gk_proj(hidden_states), then logsigmoid / normalizer.
    Tensor<double> q({L, Kd}), k({L, Kd}), v({L, Vd}), g({L, Vd}), low({L, R}), gk({L, Kd});
    for (std::int64_t t = 0; t < L; ++t) {
      for (std::int64_t o = 0; o < Kd; ++o)
        for (std::int64_t i = 0; i < p.d; ++i) {
          q(t, o) += Wq(o, i) * hidden(b, t, i);
          k(t, o) += Wk(o, i) * hidden(b, t, i);
        }
      for (std::int64_t o = 0; o < Vd; ++o)
        for (std::int64_t i = 0; i < p.d; ++i) {
          v(t, o) += Wv(o, i) * hidden(b, t, i);
          g(t, o) += Wg(o, i) * hidden(b, t, i);
        }
      for (std::int64_t o = 0; o < R; ++o)
        for (std::int64_t i = 0; i < p.d; ++i) low(t, o) += W0(o, i) * hidden(b, t, i);
      for (std::int64_t o = 0; o < Kd; ++o) {
        double acc = b1(o);
        for (std::int64_t r = 0; r < R; ++r) acc += W1(o, r) * low(t, r);
        gk(t, o) = logsigmoid(acc) / static_cast<double>(p.gate_logit_normalizer);
      }
    }
    // naive_recurrent_gla: q *= scale; h = h * exp(gk)[..., None] + k[..., None] * v[..., None, :];
    // o = (q[..., None] * h).sum(-2); then g_norm_swish_gate(o, g) per (t, h); o_proj.
    const double scale = std::pow(static_cast<double>(dk), -0.5);
    Tensor<double> o_flat({L, Vd});
    for (std::int64_t h = 0; h < H; ++h) {
      Tensor<double> S({dk, dv});
      for (std::int64_t t = 0; t < L; ++t) {
        for (std::int64_t i = 0; i < dk; ++i)
          for (std::int64_t j = 0; j < dv; ++j)
            S(i, j) = S(i, j) * std::exp(gk(t, h * dk + i)) + k(t, h * dk + i) * v(t, h * dv + j);
        for (std::int64_t j = 0; j < dv; ++j)
          for (std::int64_t i = 0; i < dk; ++i) o_flat(t, h * dv + j) += q(t, h * dk + i) * scale * S(i, j);
        double ms = 0;
        for (std::int64_t j = 0; j < dv; ++j) ms += o_flat(t, h * dv + j) * o_flat(t, h * dv + j);
        const double rstd = 1 / std::sqrt(ms / static_cast<double>(dv) + 1e-5);
        for (std::int64_t j = 0; j < dv; ++j) {
          const double gate = g(t, h * dv + j);
          o_flat(t, h * dv + j) = o_flat(t, h * dv + j) * rstd * wn(j) * gate * sigmoid(gate);
        }
      }
    }
    for (std::int64_t t = 0; t < L; ++t)
      for (std::int64_t o = 0; o < p.d; ++o)
        for (std::int64_t c = 0; c < Vd; ++c) out(b, t, o) += Wo(o, c) * o_flat(t, c);
  }
  return out;
}

TEST(Gla, ForwardMatchesZoologyWrittenOut) {
  const Problem cases[] = {{.B = 2, .T = 11, .d = 16},
                           {.B = 1, .T = 1, .d = 8, .num_heads = 2},
                           {.B = 1, .T = 19, .d = 9, .num_heads = 3, .expand_k = 1.0, .expand_v = 2.0,
                            .gate_logit_normalizer = 4, .gate_low_rank_dim = 5},
                           {.B = 2, .T = 13, .d = 7, .num_heads = 1}};
  for (const Problem& p : cases) {
    const auto in = random_inputs(tensors(p), test_seed());
    Named<double> out = allocate<double>(tensors(p), Role::output, std::numeric_limits<double>::quiet_NaN());
    reference_forward<double>(p, in, out);
    const double err = relerr(out.at("y"), convert<Mp>(zoology_gla(p, in)));
    EXPECT_LE(err, 1e3 * std::numeric_limits<double>::epsilon())
        << "B, T, d, num_heads = " << p.B << ", " << p.T << ", " << p.d << ", " << p.num_heads;
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", err);
    RecordProperty("relerr_T" + std::to_string(p.T), text);
  }
}

TEST(Gla, ParamCountMatchesTheModule) {
  const std::int64_t d_values[] = {64, 128, 256, 512};
  const std::int64_t one_layer[] = {17968, 68704, 268480, 1061248};  // by hand from the module's constructor
  for (int i = 0; i < 4; ++i) {
    const Problem p{.B = 1, .T = 256, .d = d_values[i]};
    const std::int64_t d = p.d;
    EXPECT_EQ(param_count(p), 4 * d * d + 16 * d + 17 * (d / 2) + d / 4) << "d = " << d;
    EXPECT_EQ(param_count(p), one_layer[i]) << "d = " << d;
    std::int64_t sum = 0;
    for (const auto& s : specs_with_role(tensors(p), Role::param)) sum += numel(s.shape);
    EXPECT_EQ(sum, param_count(p)) << "d = " << d;
    EXPECT_EQ(state_size(p), (d / 2) * (d / 4)) << "d = " << d;  // key_dim * head_v_dim
  }
  const Problem odd{.B = 1, .T = 8, .d = 9, .num_heads = 3, .expand_k = 1.0, .expand_v = 2.0, .gate_low_rank_dim = 5};
  std::int64_t sum = 0;
  for (const auto& s : specs_with_role(tensors(odd), Role::param)) sum += numel(s.shape);
  EXPECT_EQ(sum, param_count(odd));
  EXPECT_EQ(param_count(odd), 2 * 9 * 9 + 2 * 9 * 18 + 9 * 5 + 5 * 9 + 9 + 18 * 9 + 6);
  EXPECT_EQ(state_size(odd), 9 * 6);
}

TEST(Gla, DimensionsTruncateAsPythonInt) {
  EXPECT_EQ((Problem{.d = 7, .num_heads = 1}.key_dim()), 3);
  EXPECT_EQ((Problem{.d = 7, .num_heads = 1, .expand_v = 1.5}.value_dim()), 10);
  EXPECT_EQ((Problem{.d = 64}.head_k_dim()), 8);
  EXPECT_EQ((Problem{.d = 64}.head_v_dim()), 16);
  EXPECT_DOUBLE_EQ((Problem{.d = 64}.scale()), 1.0 / std::sqrt(8.0));
}

TEST(Gla, ValidateNamesTheBadValue) {
  const std::pair<Problem, std::string> cases[] = {
      {{.B = 0, .T = 4, .d = 8}, "B, T, d = 0, 4, 8"},
      {{.B = 1, .T = 4, .d = 8, .num_heads = 3}, "key_dim = int(d expand_k) = 4 must be a positive multiple of num_heads = 3"},
      {{.B = 1, .T = 4, .d = 8, .num_heads = 4, .expand_k = 1.0, .expand_v = 0.25}, "value_dim = int(d expand_v) = 2"},
      {{.B = 1, .T = 4, .d = 8, .expand_k = -1.0}, "expand_k, expand_v = -1, 1"},
      {{.B = 1, .T = 4, .d = 8, .gate_low_rank_dim = 0}, "num_heads, gate_low_rank_dim, gate_logit_normalizer = 4, 0, 16"}};
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
