// m2 specifics (the generic suite checks the hand-derived backward against Mp finite differences, the "monarch" form
// against the direct sum in Mp, causality, batch independence and precision on the contract's grid):
//   - the forward equals the mixer written out here in Mp from core/mixers/m2.hpp's equations (nn.Linear in PyTorch's
//     layout, the depthwise Conv1d left-padded by K − 1 and cut to T outputs, so its last tap meets the current token,
//     x1/x2/v in channel order, the causal sum with the filter's first T taps plus kb ⊙ v1), and so does its Monarch
//     form (< 1e-40); taps of the filter at s >= T change nothing;
//   - param_count equals the sum of the parameter tensors' sizes and the closed form 4D² + 17D + D l_max at K = 3;
//     state_size is D T.
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "reference/m2.hpp"
#include "reference/mp.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace menagerie::mixers::m2;

Tensor<Mp> by_hand(const Problem& p, const Named<Mp>& in) {
  const std::int64_t B = p.B, T = p.T, D = p.D, K = p.short_filter_order;
  const auto &u = in.at("u"), &Win = in.at("in_linear.weight"), &bin = in.at("in_linear.bias");
  const auto &sw = in.at("short_filter.weight"), &sb = in.at("short_filter.bias");
  const auto &k = in.at("long_filter.k"), &kb = in.at("long_filter.bias");
  const auto &Wout = in.at("out_linear.weight"), &bout = in.at("out_linear.bias");
  Tensor<Mp> P({B, T, 3 * D}), Q({B, T, 3 * D}), g({B, T, D}), y({B, T, D});
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t o = 0; o < 3 * D; ++o) {
        P(b, t, o) = bin(o);
        for (std::int64_t i = 0; i < D; ++i) P(b, t, o) += Win(o, i) * u(b, t, i);
      }
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t o = 0; o < 3 * D; ++o) {
        Q(b, t, o) = sb(o);
        for (std::int64_t j = 0; j < K; ++j)
          if (t - K + 1 + j >= 0) Q(b, t, o) += sw(o, 0, j) * P(b, t - K + 1 + j, o);
      }
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t c = 0; c < D; ++c) {
        Mp w = kb(c) * Q(b, t, 2 * D + c) * Q(b, t, c);
        for (std::int64_t s = 0; s <= t; ++s) w += k(c, s) * Q(b, t - s, 2 * D + c) * Q(b, t - s, c);
        g(b, t, c) = w * Q(b, t, D + c);
      }
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t o = 0; o < D; ++o) {
        y(b, t, o) = bout(o);
        for (std::int64_t i = 0; i < D; ++i) y(b, t, o) += Wout(o, i) * g(b, t, i);
      }
  return y;
}

TEST(M2, ForwardAndMonarchFormEqualTheMixerWrittenOut) {
  for (const Problem& p : {Problem{.B = 1, .T = 1, .D = 2, .l_max = 1}, Problem{.B = 2, .T = 7, .D = 3, .l_max = 9},
                           Problem{.B = 1, .T = 20, .D = 4, .l_max = 24, .short_filter_order = 4},
                           Problem{.B = 1, .T = 33, .D = 2, .l_max = 33, .short_filter_order = 1}}) {
    auto in = convert<Mp>(random_inputs(tensors(p), test_seed() + static_cast<std::uint64_t>(p.T)));
    const auto want = by_hand(p, in);
    auto out = allocate<Mp>(tensors(p), Role::output), mon = out;
    reference_forward(p, in, out);
    reference_forward_monarch(p, in, mon);
    const double e = relerr(out.at("y"), want), e_m = relerr(mon.at("y"), want);
    std::printf("m2 T=%lld D=%lld K=%lld: forward vs written out %.1e, monarch form %.1e\n",
                static_cast<long long>(p.T), static_cast<long long>(p.D),
                static_cast<long long>(p.short_filter_order), e, e_m);
    EXPECT_LT(e, 1e-40) << "T=" << p.T;
    EXPECT_LT(e_m, 1e-40) << "T=" << p.T;
    for (std::int64_t c = 0; c < p.D; ++c)
      for (std::int64_t s = p.T; s < p.l_max; ++s) in.at("long_filter.k")(c, s) = Mp(1e6);
    auto out2 = allocate<Mp>(tensors(p), Role::output);
    reference_forward(p, in, out2);
    EXPECT_LT(relerr(out2.at("y"), want), 1e-40) << "taps >= T reached an output; T=" << p.T;
  }
}

TEST(M2, ParamCountAndStateSize) {
  for (const Problem& p : {Problem{.B = 1, .T = 8, .D = 5, .l_max = 16}, Problem{.B = 1, .T = 64, .D = 64, .l_max = 64},
                           Problem{.B = 1, .T = 3, .D = 7, .l_max = 3, .short_filter_order = 2}}) {
    std::int64_t n = 0;
    for (const auto& s : tensors(p))
      if (s.role == Role::param) n += numel(s.shape);
    EXPECT_EQ(param_count(p), n);
    if (p.short_filter_order == 3) {
      EXPECT_EQ(param_count(p), 4 * p.D * p.D + 17 * p.D + p.D * p.l_max);
    }
    EXPECT_EQ(state_size(p), p.D * p.T);
  }
}

}  // namespace
}  // namespace menagerie::test
