// What is specific to the sliding_attn mixer:
//   - the forward equals zoology's SlidingAttn written out independently here in double (qkv.split(d), the mask
//     rows [0, max(0, i - w)) and (i, T) set to -10000, softmax, out_proj), for windows 0, 1, 3 and >= T;
//   - a window >= T - 1 gives MHA with one head exactly (the same map);
//   - param_count = 4d^2 + 4d (same state_dict as MHA), state_size = 2 w d;
//   - validate() names the bad window.
#include <gtest/gtest.h>

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

TEST(SlidingAttn, FullWindowIsSingleHeadMha) {
  const Problem p{2, 10, 6, 9};
  const mixers::mha::Problem m{2, 10, 6, 1};
  const auto in = random_inputs(tensors(p), test_seed());
  Named<double> out_m = allocate<double>(mixers::mha::tensors(m), Role::output, 0.0);
  mixers::mha::reference_forward<double>(m, in, out_m);
  EXPECT_EQ(run(p, in).at("y"), out_m.at("y"));
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
