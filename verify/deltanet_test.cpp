// What is specific to the deltanet mixer:
//   - the forward equals zoology's DeltaNet.forward (q/k/v_proj, ShortConvolution = Conv1d(padding K-1)[..., :T]
//     without bias then SiLU, the '(h d)' head split, b_proj + sigmoid (x 2 with allow_neg_eigval), the kernel's
//     l2norm (eps 1e-6 inside the square root) and fla's recurrent delta rule loop on h [Dk, Dv] with q scaled by
//     Dk^-1/2, RMSNorm or FusedRMSNormSwishGate per head, o_proj) written out here in double in the module's layout;
//   - DeltaProduct (num_householder n > 1, Siems et al. 2025): per token n delta-rule steps with the j-th slice of the
//     '(n h d)' key, value and beta channels, q applied after the last (the transcription loops over j);
//   - allow_neg_eigval doubles beta (it changes the output, which the transcription's `beta * 2.` reproduces);
//   - param_count = the parameter shapes' sum = the module's count, 4d^2 + 16d + d/4 at the defaults (hand-counted
//     literals at d = 64..512); state_size = H Dk Dv (zoology's DeltaNet.state_size);
//   - validate() names the bad value.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "reference/deltanet.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace mixers::deltanet;

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }
double silu(double x) { return x * sigmoid(x); }

// zoology DeltaNet.forward in double; per batch element, activations indexed [t][channel] as the module's
// [b, t, c] tensors are, heads split as '... (h d) -> ... h d'.
Tensor<double> zoology_deltanet(const Problem& p, const Named<double>& in) {
  const auto& u = in.at("u");
  const std::int64_t L = p.T, H = p.heads, Kd = p.key_dim(), Vd = p.value_dim(), K = p.conv_size, nh = p.householder;
  const std::int64_t dk = Kd / H, dv = Vd / H;
  const double scale = std::pow(static_cast<double>(dk), -0.5);
  Tensor<double> out({p.B, L, p.d});
  // hidden_states [L, d] -> ShortConvolution(proj(hidden_states)) [L, C]
  const auto conv_branch = [&](std::int64_t b, const char* proj, const char* conv, std::int64_t C) {
    const auto &W = in.at(proj), &w = in.at(conv);
    Tensor<double> x({L, C}), y({L, C});
    for (std::int64_t l = 0; l < L; ++l)
      for (std::int64_t c = 0; c < C; ++c)
        for (std::int64_t i = 0; i < p.d; ++i) x(l, c) += W(c, i) * u(b, l, i);
    for (std::int64_t c = 0; c < C; ++c)
      for (std::int64_t l = 0; l < L; ++l) {
        double acc = 0;  // conv_bias = False
        for (std::int64_t j = 0; j < K; ++j) {
          const std::int64_t src = l + j - (K - 1);  // padded index l + j, minus the K-1 left pad
          if (src >= 0) acc += w(c, 0, j) * x(src, c);
        }
        y(l, c) = silu(acc);
      }
    return y;
  };
  for (std::int64_t b = 0; b < p.B; ++b) {
    const auto q = conv_branch(b, "q_proj.weight", "q_conv1d.weight", Kd);
    const auto k = conv_branch(b, "k_proj.weight", "k_conv1d.weight", nh * Kd);
    const auto v = conv_branch(b, "v_proj.weight", "v_conv1d.weight", nh * Vd);
    Tensor<double> o({L, Vd});
    for (std::int64_t h = 0; h < H; ++h) {
      Tensor<double> S({dk, dv});  // fla's b_h [K, V]
      for (std::int64_t l = 0; l < L; ++l) {
        std::vector<double> bq(dk);
        double nq = 0;
        for (std::int64_t i = 0; i < dk; ++i) nq += q(l, h * dk + i) * q(l, h * dk + i);
        for (std::int64_t i = 0; i < dk; ++i) bq[i] = q(l, h * dk + i) / std::sqrt(nq + 1e-6) * scale;
        for (std::int64_t r = 0; r < nh; ++r) {  // Householder step r: channels (r h d)
          double beta = 0;
          for (std::int64_t i = 0; i < p.d; ++i) beta += in.at("b_proj.weight")(r * H + h, i) * u(b, l, i);
          beta = sigmoid(beta);
          if (p.allow_neg_eigval) beta = beta * 2.;
          std::vector<double> bk(dk), bv(dv);
          double nk = 0;
          for (std::int64_t i = 0; i < dk; ++i) nk += k(l, (r * H + h) * dk + i) * k(l, (r * H + h) * dk + i);
          for (std::int64_t i = 0; i < dk; ++i) bk[i] = k(l, (r * H + h) * dk + i) / std::sqrt(nk + 1e-6);
          for (std::int64_t j = 0; j < dv; ++j) bv[j] = v(l, (r * H + h) * dv + j);
          for (std::int64_t j = 0; j < dv; ++j) {  // b_v -= sum(b_h * b_k[:, None], 0); b_v *= b_beta
            for (std::int64_t i = 0; i < dk; ++i) bv[j] -= S(i, j) * bk[i];
            bv[j] *= beta;
          }
          for (std::int64_t i = 0; i < dk; ++i)  // b_h += b_k[:, None] * b_v[None, :]
            for (std::int64_t j = 0; j < dv; ++j) S(i, j) += bk[i] * bv[j];
        }
        for (std::int64_t j = 0; j < dv; ++j)  // b_o = sum(b_h * b_q[:, None], 0)
          for (std::int64_t i = 0; i < dk; ++i) o(l, h * dv + j) += S(i, j) * bq[i];
      }
    }
    Tensor<double> n({L, Vd});
    for (std::int64_t l = 0; l < L; ++l)
      for (std::int64_t h = 0; h < H; ++h) {
        double ms = 0;
        for (std::int64_t j = 0; j < dv; ++j) ms += o(l, h * dv + j) * o(l, h * dv + j);
        const double rstd = 1 / std::sqrt(ms / static_cast<double>(dv) + p.norm_eps);
        for (std::int64_t j = 0; j < dv; ++j) {
          double y = o(l, h * dv + j) * rstd * in.at("o_norm.weight")(j);
          if (p.use_gate) {
            double g = 0;
            for (std::int64_t i = 0; i < p.d; ++i) g += in.at("g_proj.weight")(h * dv + j, i) * u(b, l, i);
            y = y * g * sigmoid(g);
          }
          n(l, h * dv + j) = y;
        }
      }
    for (std::int64_t l = 0; l < L; ++l)
      for (std::int64_t o_ = 0; o_ < p.d; ++o_)
        for (std::int64_t c = 0; c < Vd; ++c) out(b, l, o_) += in.at("o_proj.weight")(o_, c) * n(l, c);
  }
  return out;
}

TEST(DeltaNet, ForwardMatchesZoologyWrittenOut) {
  const Problem cases[] = {{.B = 2, .T = 11, .d = 8},
                           {.B = 1, .T = 1, .d = 4, .heads = 2},
                           {.B = 1, .T = 19, .d = 12, .heads = 4, .use_gate = true},
                           {.B = 2, .T = 9, .d = 6, .heads = 3, .expand_v = 1.5, .conv_size = 3,
                            .allow_neg_eigval = true},
                           {.B = 1, .T = 13, .d = 5, .heads = 1, .expand_k = 0.6, .conv_size = 2, .use_gate = true,
                            .allow_neg_eigval = true},
                           {.B = 2, .T = 9, .d = 8, .heads = 2, .allow_neg_eigval = true, .householder = 2},
                           {.B = 1, .T = 7, .d = 6, .heads = 3, .expand_v = 1.5, .conv_size = 3, .householder = 3}};
  for (const Problem& p : cases) {
    const auto in = random_inputs(tensors(p), test_seed());
    Named<double> out = allocate<double>(tensors(p), Role::output, std::numeric_limits<double>::quiet_NaN());
    reference_forward<double>(p, in, out);
    const double e = relerr(out.at("y"), convert<Mp>(zoology_deltanet(p, in)));
    EXPECT_LE(e, 1e-12) << "B, T, d, heads = " << p.B << ", " << p.T << ", " << p.d << ", " << p.heads
                        << "; gate " << p.use_gate << ", neg eigval " << p.allow_neg_eigval;
    std::printf("deltanet vs zoology transcription: relerr %.3g (T = %lld, d = %lld)\n", e,
                static_cast<long long>(p.T), static_cast<long long>(p.d));
  }
}

// allow_neg_eigval is beta x 2: it changes the output, and the transcription's `beta = beta * 2.` gives it back.
TEST(DeltaNet, AllowNegEigvalDoublesBeta) {
  Problem p{.B = 1, .T = 9, .d = 8, .heads = 2};
  const auto in = random_inputs(tensors(p), test_seed());
  const auto run = [&](const Problem& q) {
    Named<double> out = allocate<double>(tensors(q), Role::output, 0.0);
    reference_forward<double>(q, in, out);
    return out.at("y");
  };
  const auto plain = run(p);
  p.allow_neg_eigval = true;
  const auto doubled = run(p);
  EXPECT_GT(relerr(plain, convert<Mp>(doubled)), 1e-3);  // beta matters
  EXPECT_LE(relerr(doubled, convert<Mp>(zoology_deltanet(p, in))), 1e-12);
}

TEST(DeltaNet, ParamCountMatchesTheModule) {
  const std::int64_t d_values[] = {64, 128, 256, 512};
  const std::int64_t one_layer[] = {17424, 67616, 266304, 1056896};  // 4d^2 + 16d + d/4, by hand
  for (int i = 0; i < 4; ++i) {
    const Problem p{.B = 1, .T = 256, .d = d_values[i]};
    const std::int64_t d = p.d;
    EXPECT_EQ(param_count(p), 4 * d * d + 16 * d + d / 4) << "d = " << d;
    EXPECT_EQ(param_count(p), one_layer[i]) << "d = " << d;
    EXPECT_EQ(2 * param_count(p), Contract::param_columns(d, 256)[0].spec[static_cast<std::size_t>(i)]);
    std::int64_t sum = 0;
    for (const auto& s : specs_with_role(tensors(p), Role::param)) sum += numel(s.shape);
    EXPECT_EQ(sum, param_count(p)) << "d = " << d;
    EXPECT_EQ(state_size(p), d * d / 4);  // H (d/H)^2 at H = 4
  }
  for (const Problem& odd : {Problem{.B = 1, .T = 8, .d = 6, .heads = 3, .expand_v = 1.5, .conv_size = 3},
                             Problem{.B = 1, .T = 8, .d = 5, .heads = 1, .expand_k = 0.6, .use_gate = true}}) {
    std::int64_t sum = 0;
    for (const auto& s : specs_with_role(tensors(odd), Role::param)) sum += numel(s.shape);
    EXPECT_EQ(sum, param_count(odd));
    EXPECT_EQ(state_size(odd), odd.heads * odd.head_k_dim() * odd.head_v_dim());
  }
  // d = 6, expand_v = 1.5: value_dim 9, 3 heads of 3; the module's q, k, v, b, 3 convs, o_norm, o_proj by hand:
  EXPECT_EQ((param_count(Problem{.B = 1, .T = 1, .d = 6, .heads = 3, .expand_v = 1.5, .conv_size = 3})),
            36 + 36 + 54 + 18 + (6 + 6 + 9) * 3 + 3 + 54);
  // DeltaProduct, d = 8, 2 heads, n = 2: q 64, k and v 2 x 64, b 2 x 2 x 8, convs (8 + 16 + 16) x 4, o_norm 4,
  // o_proj 64.
  EXPECT_EQ((param_count(Problem{.B = 1, .T = 1, .d = 8, .heads = 2, .householder = 2})),
            64 + 128 + 128 + 32 + 160 + 4 + 64);
}

TEST(DeltaNet, ValidateNamesTheBadValue) {
  const std::pair<Problem, std::string> cases[] = {
      {{.B = 0, .T = 4, .d = 8}, "B, T, d, num_heads, conv_size, num_householder = 0, 4, 8, 4, 4, 1"},
      {{.B = 1, .T = 4, .d = 6}, "key_dim = int(6 * expand_k 1) = 6"},
      {{.B = 1, .T = 4, .d = 8, .heads = 2, .expand_v = 0.2}, "value_dim = int(8 * expand_v 0.2) = 1"},
      {{.B = 1, .T = 4, .d = 8, .conv_size = 0}, "num_householder = 1, 4, 8, 4, 0, 1"},
      {{.B = 1, .T = 4, .d = 8, .householder = 0}, "num_householder = 1, 4, 8, 4, 4, 0"},
      {{.B = 1, .T = 4, .d = 8, .norm_eps = -1}, "norm_eps = -1"}};
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
