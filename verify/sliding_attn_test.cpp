// What is specific to the sliding_attn mixer:
//   - the forward equals zoology's SlidingAttn written out independently here in double (qkv.split(d), the mask
//     rows [0, max(0, i - w)) and (i, T) set to -10000, softmax, out_proj), for windows 0, 1, 3 and >= T;
//   - a window >= T - 1 gives causal single-head attention: both sliding_attn (w = T - 1 and w > T) and MHA with one
//     head equal the direct formula y_t = Wo sum_{s <= t} softmax_s(q_t . k_s / sqrt(d)) v_s + b_o, computed here
//     with the sum over s <= t only (no mask constant, no window), so that a bug in the attention block the two
//     references share cannot cancel out;
//   - param_count = 4d^2 + 4d (same state_dict as MHA), state_size = 2 w d;
//   - validate() names the bad window.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "reference/mha.hpp"
#include "reference/sliding_attn.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace mixers::sliding_attn;

// zoology.mixers.slide_attn.SlidingAttn.forward, literally, in double.
Tensor<double> zoology_sliding(const Problem& p, const Named<double>& in) {
  const auto &u = in.at("u"), &W = in.at("Wqkv.weight"), &bq = in.at("Wqkv.bias");
  const auto &Wo = in.at("out_proj.weight"), &bo = in.at("out_proj.bias");
  const std::int64_t d = p.d;
  Tensor<double> qkv({p.B, p.T, 3 * d}), ctx({p.B, p.T, d}), y({p.B, p.T, d});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t o = 0; o < 3 * d; ++o) {
        double acc = bq(o);
        for (std::int64_t i = 0; i < d; ++i) acc += u(b, t, i) * W(o, i);
        qkv(b, t, o) = acc;
      }
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t i = 0; i < p.T; ++i) {
      std::vector<double> sc(static_cast<std::size_t>(p.T));
      double m = -INFINITY, z = 0;
      for (std::int64_t s = 0; s < p.T; ++s) {
        double acc = 0;
        for (std::int64_t e = 0; e < d; ++e) acc += qkv(b, i, e) * (qkv(b, s, d + e) / std::sqrt(double(d)));
        const bool masked = s < std::max<std::int64_t>(0, i - p.window) || s > i;
        sc[static_cast<std::size_t>(s)] = acc + (masked ? -10000.0 : 0.0);
        m = std::max(m, sc[static_cast<std::size_t>(s)]);
      }
      for (auto& x : sc) z += (x = std::exp(x - m));
      for (std::int64_t e = 0; e < d; ++e) {
        double acc = 0;
        for (std::int64_t s = 0; s < p.T; ++s) acc += sc[static_cast<std::size_t>(s)] / z * qkv(b, s, 2 * d + e);
        ctx(b, i, e) = acc;
      }
    }
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < p.T; ++t)
      for (std::int64_t o = 0; o < d; ++o) {
        double acc = bo(o);
        for (std::int64_t i = 0; i < d; ++i) acc += ctx(b, t, i) * Wo(o, i);
        y(b, t, o) = acc;
      }
  return y;
}

Named<double> run(const Problem& p, const Named<double>& in) {
  Named<double> out = allocate<double>(tensors(p), Role::output, std::numeric_limits<double>::quiet_NaN());
  reference_forward<double>(p, in, out);
  return out;
}

TEST(SlidingAttn, ForwardEqualsZoologyModuleWrittenOut) {
  const std::uint64_t seed = test_seed();
  for (std::int64_t w : {0, 1, 3, 12, 40}) {
    const Problem p{2, 12, 5, w};
    const auto in = random_inputs(tensors(p), seed);
    EXPECT_LE(relerr(run(p, in).at("y"), convert<Mp>(zoology_sliding(p, in))), 1e-13) << "w=" << w;
  }
}

// Causal single-head softmax attention with projections, from the formula: keys s = 0..t only, exact softmax.
Tensor<double> causal_attention(std::int64_t B, std::int64_t T, std::int64_t d, const Named<double>& in) {
  const auto &u = in.at("u"), &W = in.at("Wqkv.weight"), &bq = in.at("Wqkv.bias");
  const auto &Wo = in.at("out_proj.weight"), &bo = in.at("out_proj.bias");
  const auto proj = [&](std::int64_t b, std::int64_t t, std::int64_t row) {
    double acc = bq(row);
    for (std::int64_t i = 0; i < d; ++i) acc += W(row, i) * u(b, t, i);
    return acc;
  };
  Tensor<double> y({B, T, d});
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t) {
      Tensor<double> score({t + 1}), o({d}, 0.0);
      double mx = -INFINITY, z = 0;
      for (std::int64_t s = 0; s <= t; ++s) {
        score(s) = 0;
        for (std::int64_t e = 0; e < d; ++e) score(s) += proj(b, t, e) * proj(b, s, d + e);
        mx = std::max(mx, score(s) /= std::sqrt(static_cast<double>(d)));
      }
      for (std::int64_t s = 0; s <= t; ++s) z += (score(s) = std::exp(score(s) - mx));
      for (std::int64_t s = 0; s <= t; ++s)
        for (std::int64_t e = 0; e < d; ++e) o(e) += score(s) / z * proj(b, s, 2 * d + e);
      for (std::int64_t r = 0; r < d; ++r) {
        y(b, t, r) = bo(r);
        for (std::int64_t e = 0; e < d; ++e) y(b, t, r) += Wo(r, e) * o(e);
      }
    }
  return y;
}

TEST(SlidingAttn, FullWindowIsCausalSingleHeadAttention) {
  const std::int64_t B = 2, T = 10, d = 6;
  const auto in = random_inputs(tensors(Problem{B, T, d, T - 1}), test_seed());
  const auto want = convert<Mp>(causal_attention(B, T, d, in));
  for (std::int64_t w : {T - 1, T, 3 * T})
    EXPECT_LE(relerr(run(Problem{B, T, d, w}, in).at("y"), want), 1e-13) << "w=" << w;
  const mixers::mha::Problem m{B, T, d, 1};
  auto out_m = allocate<double>(mixers::mha::tensors(m), Role::output, std::numeric_limits<double>::quiet_NaN());
  mixers::mha::reference_forward<double>(m, in, out_m);
  EXPECT_LE(relerr(out_m.at("y"), want), 1e-13) << "mha, one head";
  // A window of T - 2 drops key 0 for the last query: the formula must see it.
  EXPECT_GT(relerr(run(Problem{B, T, d, T - 2}, in).at("y"), want), 1e-6);
}

TEST(SlidingAttn, ParamCountAndStateSize) {
  for (std::int64_t d : {64, 128, 256, 512}) {
    const Problem p{1, 256, d, 64};
    EXPECT_EQ(param_count(p), 4 * d * d + 4 * d);
    EXPECT_EQ(param_count(p), mixers::mha::param_count({1, 256, d, 1}));
    std::int64_t from_shapes = 0;
    for (const auto& s : specs_with_role(tensors(p), Role::param)) from_shapes += numel(s.shape);
    EXPECT_EQ(from_shapes, param_count(p));
    EXPECT_EQ(state_size(p), 2 * 64 * d);
  }
}

TEST(SlidingAttn, ValidateNamesTheBadWindow) {
  try {
    Problem{1, 4, 8, -3}.validate();
    FAIL() << "window -3 accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("window = -3"), std::string::npos) << e.what();
  }
  EXPECT_THROW((Problem{1, 0, 8, 2}.validate()), ShapeError);
}

}  // namespace
}  // namespace menagerie::test
