// What is specific to the mamba2 mixer:
//   - the forward equals zoology's Mamba2.forward (the non-fused path: in_proj split [z, xBC, dt], Conv1d with
//     padding K-1 truncated to T, SiLU, split [x, B, C], mamba_chunk_scan_combined's recurrence per head with
//     dt = softplus(dt + dt_bias) and the D skip, RMSNormGated (rms_norm_ref, norm_before_gate False, one group),
//     out_proj) written out here in double in mamba_ssm's layout (state [nheads, headdim, d_state]);
//   - param_count = 6d^2 + d^2/32 + 268d + 3d/32 + 1280 at the module's defaults, 43,142 / 134,412 / 465,176 /
//     1,719,600 per layer for d = 64..512 (counted by hand from the module's constructor); the parameter shapes sum
//     to param_count; state_size = 2 d d_state (zoology's Mamba2.state_size);
//   - A_log's law is ln U[1, 16]; validate() names the bad value.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "reference/mamba2.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace mixers::mamba2;

double silu(double x) { return x / (1 + std::exp(-x)); }
double softplus(double x) { return std::log1p(std::exp(x)); }

// zoology Mamba2.forward in double; per batch element, tensors indexed [l][channel] as 'b l d'.
Tensor<double> zoology_mamba2(const Problem& p, const Named<double>& in) {
  const auto& u = in.at("u");
  const std::int64_t L = p.T, E = p.d_inner(), N = p.d_state, K = p.d_conv, P = p.headdim, H = E / P;
  const std::int64_t conv_dim = E + 2 * N, d_in_proj = 2 * E + 2 * N + H;
  const auto &Win = in.at("in_proj.weight"), &cw = in.at("conv1d.weight"), &cb = in.at("conv1d.bias");
  const auto &dt_bias = in.at("dt_bias"), &A_log = in.at("A_log"), &D = in.at("D");
  const auto &wn = in.at("norm.weight"), &Wout = in.at("out_proj.weight");
  Tensor<double> out({p.B, L, p.d});
  for (std::int64_t b = 0; b < p.B; ++b) {
    Tensor<double> zxbcdt({L, d_in_proj}), xBC({L, conv_dim}), y({L, E});
    for (std::int64_t l = 0; l < L; ++l)
      for (std::int64_t o = 0; o < d_in_proj; ++o)
        for (std::int64_t i = 0; i < p.d; ++i) zxbcdt(l, o) += Win(o, i) * u(b, l, i);
    // z, xBC, dt = split(zxbcdt, [E, E + 2N, H]); xBC = SiLU(conv1d(xBC)[..., :L])
    for (std::int64_t c = 0; c < conv_dim; ++c)
      for (std::int64_t l = 0; l < L; ++l) {
        double acc = cb(c);
        for (std::int64_t j = 0; j < K; ++j) {
          const std::int64_t src = l + j - (K - 1);
          if (src >= 0) acc += cw(c, 0, j) * zxbcdt(src, E + c);
        }
        xBC(l, c) = silu(acc);
      }
    // x, B, C = split(xBC, [E, N, N]); mamba_chunk_scan_combined per head h: A = -exp(A_log),
    // dt = softplus(dt + dt_bias), state[p, n] = exp(dt A) state + dt x[p] B[n]; y = state C + D x.
    for (std::int64_t h = 0; h < H; ++h) {
      const double A = -std::exp(A_log(h));
      Tensor<double> state({P, N});
      for (std::int64_t l = 0; l < L; ++l) {
        const double dt = softplus(zxbcdt(l, 2 * E + 2 * N + h) + dt_bias(h));
        const double dA = std::exp(dt * A);
        for (std::int64_t pp = 0; pp < P; ++pp) {
          const double x = xBC(l, h * P + pp);
          double acc = 0;
          for (std::int64_t n = 0; n < N; ++n) {
            state(pp, n) = state(pp, n) * dA + dt * x * xBC(l, E + n);
            acc += state(pp, n) * xBC(l, E + N + n);
          }
          y(l, h * P + pp) = acc + D(h) * x;
        }
      }
    }
    // RMSNormGated(y, z), norm_before_gate False, group_size E: x = y silu(z); x * rstd * weight.
    for (std::int64_t l = 0; l < L; ++l) {
      double ms = 0;
      for (std::int64_t c = 0; c < E; ++c) {
        y(l, c) *= silu(zxbcdt(l, c));
        ms += y(l, c) * y(l, c);
      }
      const double rstd = 1 / std::sqrt(ms / static_cast<double>(E) + 1e-5);
      for (std::int64_t c = 0; c < E; ++c) y(l, c) = y(l, c) * rstd * wn(c);
    }
    for (std::int64_t l = 0; l < L; ++l)
      for (std::int64_t o = 0; o < p.d; ++o)
        for (std::int64_t c = 0; c < E; ++c) out(b, l, o) += Wout(o, c) * y(l, c);
  }
  return out;
}

TEST(Mamba2, ForwardMatchesZoologyWrittenOut) {
  const Problem cases[] = {{.B = 2, .T = 11, .d = 5, .d_state = 4, .headdim = 5},
                           {.B = 1, .T = 1, .d = 3, .d_state = 16, .headdim = 2},
                           {.B = 1, .T = 19, .d = 8, .d_state = 6, .d_conv = 3, .expand = 1, .headdim = 4},
                           {.B = 2, .T = 13, .d = 16, .d_state = 8, .headdim = 8}};
  for (const Problem& p : cases) {
    const auto in = random_inputs(tensors(p), test_seed());
    Named<double> out = allocate<double>(tensors(p), Role::output, std::numeric_limits<double>::quiet_NaN());
    reference_forward<double>(p, in, out);
    const double err = relerr(out.at("y"), convert<Mp>(zoology_mamba2(p, in)));
    EXPECT_LE(err, 1e3 * std::numeric_limits<double>::epsilon())
        << "B, T, d, d_state, headdim = " << p.B << ", " << p.T << ", " << p.d << ", " << p.d_state << ", "
        << p.headdim;
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", err);
    RecordProperty("relerr_T" + std::to_string(p.T), text);
  }
}

TEST(Mamba2, ParamCountMatchesTheModule) {
  const std::int64_t d_values[] = {64, 128, 256, 512};
  const std::int64_t one_layer[] = {43142, 134412, 465176, 1719600};  // by hand from the module's constructor
  for (int i = 0; i < 4; ++i) {
    const Problem p{.B = 1, .T = 256, .d = d_values[i]};
    const std::int64_t d = p.d;
    EXPECT_EQ(param_count(p), 6 * d * d + d * d / 32 + 268 * d + 3 * d / 32 + 1280) << "d = " << d;
    EXPECT_EQ(param_count(p), one_layer[i]) << "d = " << d;
    std::int64_t sum = 0;
    for (const auto& s : specs_with_role(tensors(p), Role::param)) sum += numel(s.shape);
    EXPECT_EQ(sum, param_count(p)) << "d = " << d;
    EXPECT_EQ(state_size(p), 2 * d * 128);
  }
  const Problem odd{.B = 1, .T = 8, .d = 5, .d_state = 3, .d_conv = 2, .expand = 3, .headdim = 5};  // E 15, H 3
  std::int64_t sum = 0;
  for (const auto& s : specs_with_role(tensors(odd), Role::param)) sum += numel(s.shape);
  EXPECT_EQ(sum, param_count(odd));
  EXPECT_EQ(param_count(odd), 5 * (30 + 6 + 3) + 21 * 2 + 21 + 3 + 3 + 3 + 15 + 15 * 5);
  EXPECT_EQ(state_size(odd), 2 * 5 * 3);
}

TEST(Mamba2, ALogLawIsLogUniform1To16) {
  Tensor<double> t({64}, 0.0);
  const Shape shape{64};
  init_a_log(t, InitTarget{.name = "A_log", .shape = shape, .seed = test_seed(), .stream = 3});
  double lo = 1e9, hi = -1e9;
  for (std::int64_t i = 0; i < t.numel(); ++i) lo = std::min(lo, t(i)), hi = std::max(hi, t(i));
  EXPECT_GE(lo, 0.0);
  EXPECT_LE(hi, std::log(16.0));
  EXPECT_GT(hi - lo, 1.0);  // spread over the range, not a constant
}

TEST(Mamba2, ValidateNamesTheBadValue) {
  const std::pair<Problem, std::string> cases[] = {
      {{.B = 0, .T = 4, .d = 3}, "B, T, d = 0, 4, 3"},
      {{.B = 1, .T = 4, .d = 3, .d_state = 0}, "d_state, d_conv, expand, headdim = 0, 4, 2, 64"},
      {{.B = 1, .T = 4, .d = 3, .d_state = 8, .d_conv = 4, .expand = 2, .headdim = 4},
       "d_inner = expand d = 6 must be a multiple of headdim = 4"},
      {{.B = 1, .T = 4, .d = 32, .d_state = 8, .d_conv = 0}, "d_state, d_conv, expand, headdim = 8, 0, 2, 64"}};
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
