// What is specific to the mamba mixer:
//   - the forward equals zoology's Mamba.forward (slow path: in_proj, Conv1d with padding K-1 truncated to T, SiLU,
//     x_proj split, dt_proj + F.softplus (threshold 20), selective_scan_ref's loop, D skip, SiLU(z) gate, out_proj)
//     written out here in double in mamba_ssm's "b d l" layout;
//   - param_count = 6d^2 + 4d ceil(d/16) + 110d at the defaults and docs/mixers.md §2.2's "mamba" column (2 layers,
//     N = 256, without MambaBlock's RMSNorm): 65,280 / 232,960 / 875,520 / 3,389,440 for d = 64..512; the parameter
//     shapes sum to param_count; state_size = 2 d d_state (zoology's Mamba.state_size);
//   - dt_rank "auto" is ceil(d / 16); validate() names the bad value.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "reference/mamba.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace mixers::mamba;

double silu(double x) { return x / (1 + std::exp(-x)); }
double softplus20(double x) { return x > 20 ? x : std::log1p(std::exp(x)); }  // F.softplus(x), threshold 20

// zoology Mamba.forward with selective_scan_ref, in double; tensors indexed [b][channel][l] as mamba_ssm does.
Tensor<double> zoology_mamba(const Problem& p, const Named<double>& in) {
  const auto& u = in.at("u");
  const std::int64_t E = p.d_inner(), R = p.rank(), N = p.d_state, K = p.d_conv, L = p.T;
  const auto &Win = in.at("in_proj.weight"), &cw = in.at("conv1d.weight"), &cb = in.at("conv1d.bias");
  const auto &Wx = in.at("x_proj.weight"), &Wdt = in.at("dt_proj.weight"), &bdt = in.at("dt_proj.bias");
  const auto &A_log = in.at("A_log"), &D = in.at("D"), &Wout = in.at("out_proj.weight");
  Tensor<double> out({p.B, L, p.d});
  for (std::int64_t b = 0; b < p.B; ++b) {
    Tensor<double> xz({2 * E, L}), x({E, L}), xdbl({L, R + 2 * N}), dt({E, L}), y({E, L});
    for (std::int64_t o = 0; o < 2 * E; ++o)
      for (std::int64_t l = 0; l < L; ++l)
        for (std::int64_t i = 0; i < p.d; ++i) xz(o, l) += Win(o, i) * u(b, l, i);
    for (std::int64_t c = 0; c < E; ++c)  // Conv1d(padding K-1)[..., :L], then SiLU
      for (std::int64_t l = 0; l < L; ++l) {
        double acc = cb(c);
        for (std::int64_t j = 0; j < K; ++j) {
          const std::int64_t src = l + j - (K - 1);  // padded input index l + j minus the K-1 pad
          if (src >= 0) acc += cw(c, 0, j) * xz(c, src);
        }
        x(c, l) = silu(acc);
      }
    for (std::int64_t l = 0; l < L; ++l)
      for (std::int64_t o = 0; o < R + 2 * N; ++o)
        for (std::int64_t c = 0; c < E; ++c) xdbl(l, o) += Wx(o, c) * x(c, l);
    for (std::int64_t c = 0; c < E; ++c)
      for (std::int64_t l = 0; l < L; ++l) {
        double acc = bdt(c);
        for (std::int64_t r = 0; r < R; ++r) acc += Wdt(c, r) * xdbl(l, r);
        dt(c, l) = softplus20(acc);
      }
    for (std::int64_t c = 0; c < E; ++c) {  // selective_scan_ref
      std::vector<double> h(static_cast<std::size_t>(N), 0.0);
      for (std::int64_t l = 0; l < L; ++l) {
        double acc = 0;
        for (std::int64_t n = 0; n < N; ++n) {
          auto& hn = h[static_cast<std::size_t>(n)];
          hn = std::exp(dt(c, l) * -std::exp(A_log(c, n))) * hn + dt(c, l) * xdbl(l, R + n) * x(c, l);
          acc += hn * xdbl(l, R + N + n);
        }
        y(c, l) = (acc + x(c, l) * D(c)) * silu(xz(E + c, l));
      }
    }
    for (std::int64_t l = 0; l < L; ++l)
      for (std::int64_t o = 0; o < p.d; ++o)
        for (std::int64_t c = 0; c < E; ++c) out(b, l, o) += Wout(o, c) * y(c, l);
  }
  return out;
}

TEST(Mamba, ForwardMatchesZoologyWrittenOut) {
  for (const Problem& p : {Problem{2, 11, 5, 4, 4, 2, 0}, Problem{1, 1, 3, 16, 4, 2, 0}, Problem{1, 19, 17, 16}}) {
    const auto in = random_inputs(tensors(p), test_seed());
    Named<double> out = allocate<double>(tensors(p), Role::output, std::numeric_limits<double>::quiet_NaN());
    reference_forward<double>(p, in, out);
    EXPECT_LE(relerr(out.at("y"), convert<Mp>(zoology_mamba(p, in))), 1e3 * std::numeric_limits<double>::epsilon())
        << "B, T, d, d_state = " << p.B << ", " << p.T << ", " << p.d << ", " << p.d_state;
  }
}

TEST(Mamba, ParamCountMatchesTheTable) {
  const std::int64_t d_values[] = {64, 128, 256, 512};
  const std::int64_t two_layers[] = {65280, 232960, 875520, 3389440};
  for (int i = 0; i < 4; ++i) {
    const Problem p{1, 256, d_values[i]};
    const std::int64_t d = p.d, R = (d + 15) / 16;
    EXPECT_EQ(param_count(p), 6 * d * d + 4 * d * R + 110 * d) << "d = " << d;
    EXPECT_EQ(2 * param_count(p), two_layers[i]) << "d = " << d;
    std::int64_t sum = 0;
    for (const auto& s : specs_with_role(tensors(p), Role::param)) sum += numel(s.shape);
    EXPECT_EQ(sum, param_count(p)) << "d = " << d;
    EXPECT_EQ(state_size(p), 2 * d * 16);
  }
  const Problem odd{1, 8, 5, 3, 2, 3, 2};  // the general formula away from the defaults
  std::int64_t sum = 0;
  for (const auto& s : specs_with_role(tensors(odd), Role::param)) sum += numel(s.shape);
  EXPECT_EQ(sum, param_count(odd));
  EXPECT_EQ(state_size(odd), 2 * 5 * 3);
}

TEST(Mamba, DtRankAutoIsCeilDOver16) {
  EXPECT_EQ((Problem{1, 1, 1}.rank()), 1);
  EXPECT_EQ((Problem{1, 1, 16}.rank()), 1);
  EXPECT_EQ((Problem{1, 1, 17}.rank()), 2);
  EXPECT_EQ((Problem{1, 1, 64}.rank()), 4);
  EXPECT_EQ((Problem{1, 1, 65}.rank()), 5);
  EXPECT_EQ((Problem{1, 1, 64, 16, 4, 2, 3}.rank()), 3);
  EXPECT_EQ((Problem{1, 1, 64}.d_inner()), 128);
}

TEST(Mamba, ValidateNamesTheBadValue) {
  const std::pair<Problem, std::string> cases[] = {{{0, 4, 3}, "B, T, d = 0, 4, 3"},
                                                   {{1, 4, 3, 0}, "d_state, d_conv, expand = 0, 4, 2"},
                                                   {{1, 4, 3, 16, 0}, "d_state, d_conv, expand = 16, 0, 2"},
                                                   {{1, 4, 3, 16, 4, 2, -1}, "dt_rank = -1"}};
  for (const auto& [p, text] : cases) {
    try {
      p.validate();
      ADD_FAILURE() << "validate accepted " << text;
    } catch (const ShapeError& e) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace menagerie::test
