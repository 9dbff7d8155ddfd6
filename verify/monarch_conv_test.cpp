// monarch_conv specifics (the generic suite checks the backward against Mp finite differences, the "monarch" and "fft"
// forms against the direct sum in Mp, causality, batch independence and time invariance on the contract's grid):
//   - the Monarch form equals the causal sum y[t] = sum_{s<=t} h[s] u[t−s] written here, at T = 1, 7, 64, 97, 200
//     with the default DFT factors and at the smallest causal size n = 2T − 1 (T = 7: 13 = 1 x 13; T = 6: 11 < 12 =
//     3 x 4; T = 50: 99 = 9 x 11), in Mp (< 1e-40) and in double against the Mp sum (< 1e-13);
//   - the backward (the correlation by Monarch FFTs through time reversal) equals the adjoint sums written here,
//     du[τ] = sum_{t>=τ} h[t−τ] dy[t], dh[s] = sum_b sum_{t>=s} dy[t] u[t−s], in Mp (< 1e-40);
//   - a DFT smaller than 2T − 1 (circular wrap-around onto early outputs) is refused; the default factors.
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "reference/monarch_conv.hpp"
#include "reference/mp.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace menagerie::ops::monarch_conv;

Tensor<Mp> causal_sum(const Tensor<Mp>& u, const Tensor<Mp>& h) {
  Tensor<Mp> y(u.shape());
  for (std::int64_t b = 0; b < u.size(0); ++b)
    for (std::int64_t t = 0; t < u.size(1); ++t)
      for (std::int64_t c = 0; c < u.size(2); ++c)
        for (std::int64_t s = 0; s <= t; ++s) y(b, t, c) += h(c, s) * u(b, t - s, c);
  return y;
}

template <class T>
Tensor<T> run_monarch(const Problem& p, const Named<T>& in) {
  auto out = allocate<T>(tensors(p), Role::output);
  reference_forward_monarch(p, in, out);
  return out.at("y");
}

TEST(MonarchConv, MonarchFormEqualsTheCausalSum) {
  for (const Problem& p : {Problem{.B = 1, .T = 1, .D = 2, .L = 1}, Problem{.B = 2, .T = 7, .D = 3, .L = 10},
                           Problem{.B = 1, .T = 64, .D = 2, .L = 67}, Problem{.B = 1, .T = 97, .D = 2, .L = 100},
                           Problem{.B = 1, .T = 200, .D = 1, .L = 203},
                           Problem{.B = 2, .T = 7, .D = 2, .L = 7, .n1 = 1, .n2 = 13},
                           Problem{.B = 1, .T = 6, .D = 2, .L = 6, .n1 = 3, .n2 = 4},
                           Problem{.B = 1, .T = 50, .D = 2, .L = 50, .n1 = 9, .n2 = 11}}) {
    const auto in_d = random_inputs(tensors(p), test_seed() + static_cast<std::uint64_t>(p.T));
    const auto in = convert<Mp>(in_d);
    const auto want = causal_sum(in.at("u"), in.at("h"));
    const double e_mp = relerr(run_monarch(p, in), want), e_d = relerr(run_monarch(p, in_d), want);
    const auto [n1, n2] = p.dft_factors();
    std::printf("monarch_conv T=%3lld n=%lld x %lld: Mp vs the causal sum %.1e, double %.1e\n",
                static_cast<long long>(p.T), static_cast<long long>(n1), static_cast<long long>(n2), e_mp, e_d);
    EXPECT_LT(e_mp, 1e-40) << "T=" << p.T << " n1=" << n1 << " n2=" << n2;
    EXPECT_LT(e_d, 1e-13) << "T=" << p.T << " n1=" << n1 << " n2=" << n2;
  }
}

TEST(MonarchConv, BackwardEqualsTheAdjointSums) {
  for (const Problem& p : {Problem{.B = 2, .T = 7, .D = 3, .L = 9}, Problem{.B = 1, .T = 30, .D = 2, .L = 30},
                           Problem{.B = 2, .T = 6, .D = 1, .L = 8, .n1 = 3, .n2 = 4}}) {
    const auto in = convert<Mp>(random_inputs(tensors(p), test_seed() + static_cast<std::uint64_t>(p.T)));
    Named<Mp> d_out;
    d_out.emplace("y", convert<Mp>(random_inputs(tensors(p), test_seed() + 99)).at("u"));
    Named<Mp> d_in;
    reference_backward(p, in, d_out, d_in);
    const auto &u = in.at("u"), &h = in.at("h"), &dy = d_out.at("y");
    Tensor<Mp> du(u.shape()), dh(h.shape());
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t c = 0; c < p.D; ++c)
        for (std::int64_t t = 0; t < p.T; ++t)
          for (std::int64_t s = 0; s <= t; ++s) {
            du(b, t - s, c) += h(c, s) * dy(b, t, c);
            dh(c, s) += dy(b, t, c) * u(b, t - s, c);
          }
    const double e_u = relerr(d_in.at("u"), du), e_h = relerr(d_in.at("h"), dh);
    std::printf("monarch_conv backward T=%lld: du %.1e, dh %.1e\n", static_cast<long long>(p.T), e_u, e_h);
    EXPECT_LT(e_u, 1e-40) << "T=" << p.T;
    EXPECT_LT(e_h, 1e-40) << "T=" << p.T;
  }
}

TEST(MonarchConv, FactorsAndRefusals) {
  using F = std::pair<std::int64_t, std::int64_t>;
  EXPECT_EQ((Problem{.T = 1}.dft_factors()), (F{1, 2}));
  EXPECT_EQ((Problem{.T = 7}.dft_factors()), (F{4, 4}));
  EXPECT_EQ((Problem{.T = 13}.dft_factors()), (F{5, 6}));
  EXPECT_EQ((Problem{.T = 1000, .L = 1000}.dft_factors()), (F{45, 45}));
  EXPECT_THROW((Problem{.B = 1, .T = 7, .D = 1, .L = 7, .n1 = 2, .n2 = 6}.validate()), ShapeError);  // 12 < 13
  EXPECT_THROW((Problem{.B = 1, .T = 7, .D = 1, .L = 7, .n1 = 0, .n2 = 13}.validate()), ShapeError);
  EXPECT_THROW((Problem{.B = 1, .T = 7, .D = 1, .L = 6}.validate()), ShapeError);
  EXPECT_NO_THROW((Problem{.B = 1, .T = 7, .D = 1, .L = 7, .n1 = 1, .n2 = 13}.validate()));
  EXPECT_THROW(causal_conv_monarch(std::vector<double>(7, 1.0), std::vector<double>(7, 1.0), 3, 4), ShapeError);
}

}  // namespace
}  // namespace menagerie::test
