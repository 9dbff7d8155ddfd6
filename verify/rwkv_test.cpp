// What is specific to the rwkv mixer:
//   - the forward equals zoology's RWKVTimeMixer written out literally here in double: ZeroPad2d token shift, the
//     three mixes, bias-free projections, the official CUDA kernel's loop (w = -exp(time_decay), o starting at
//     MIN_VALUE = -1e38), sigmoid gate, output projection (bf16 rounding left out, as the contract says);
//   - with every time_mix at 0 the mixer sees only the previous token: y at t = 0 is exactly 0;
//   - param_count = 4d^2 + 5d and docs/mixers.md §2.2's "rwkv" column (2 layers, N = 256): 33,408 / 132,352 /
//     526,848 / 2,102,272 for d = 64..512; the parameter shapes sum to param_count; state_size is nullopt;
//   - time_init reproduces zoology's init (values computed from the Python expressions) and rejects bad arguments;
//   - validate() names the bad value.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "reference/rwkv.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace mixers::rwkv;

// RWKVTimeMixer.forward with the WKV kernel_forward loop, in double.
Tensor<double> zoology_rwkv(const Problem& p, const Named<double>& in) {
  const auto& u = in.at("u");
  const std::int64_t d = p.d;
  const auto proj = [&](const Tensor<double>& x, const char* w) {
    Tensor<double> y(x.shape());
    const auto& W = in.at(w);
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t t = 0; t < p.T; ++t)
        for (std::int64_t o = 0; o < d; ++o) {
          double acc = 0;
          for (std::int64_t i = 0; i < d; ++i) acc += x(b, t, i) * W(o, i);
          y(b, t, o) = acc;
        }
    return y;
  };
  const auto mixed = [&](const char* mu_name) {
    Tensor<double> x(u.shape());
    const auto& mu = in.at(mu_name);
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t t = 0; t < p.T; ++t)
        for (std::int64_t c = 0; c < d; ++c) {
          const double xx = t > 0 ? u(b, t - 1, c) : 0.0;
          x(b, t, c) = u(b, t, c) * mu(0, 0, c) + xx * (1 - mu(0, 0, c));
        }
    return x;
  };
  const auto k = proj(mixed("time_mix_k"), "key.weight"), v = proj(mixed("time_mix_v"), "value.weight");
  const auto r = proj(mixed("time_mix_r"), "receptance.weight");
  Tensor<double> rwkv(u.shape());
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t c = 0; c < d; ++c) {
      const double w = -std::exp(in.at("time_decay")(c)), uu = in.at("time_first")(c);
      double pp = 0, q = 0, o = -1e38;
      for (std::int64_t t = 0; t < p.T; ++t) {
        const double kk = k(b, t, c), vv = v(b, t, c);
        double no = std::max(o, uu + kk), A = std::exp(o - no), B = std::exp(uu + kk - no);
        const double y = (A * pp + B * vv) / (A * q + B);
        no = std::max(w + o, kk);
        A = std::exp(w + o - no);
        B = std::exp(kk - no);
        pp = A * pp + B * vv;
        q = A * q + B;
        o = no;
        rwkv(b, t, c) = y / (1 + std::exp(-r(b, t, c)));
      }
    }
  return proj(rwkv, "output.weight");
}

Tensor<double> forward(const Problem& p, const Named<double>& in) {
  Named<double> out = allocate<double>(tensors(p), Role::output, std::numeric_limits<double>::quiet_NaN());
  reference_forward<double>(p, in, out);
  return out.at("y");
}

TEST(Rwkv, ForwardMatchesZoologyWrittenOut) {
  for (const Problem& p : {Problem{2, 11, 5}, Problem{1, 1, 3}, Problem{1, 17, 8}}) {
    const auto in = random_inputs(tensors(p), test_seed());
    EXPECT_LE(relerr(forward(p, in), convert<Mp>(zoology_rwkv(p, in))), 1e3 * std::numeric_limits<double>::epsilon())
        << "B, T, d = " << p.B << ", " << p.T << ", " << p.d;
  }
}

TEST(Rwkv, ZeroMixesSeeOnlyThePreviousToken) {
  const Problem p{2, 6, 4};
  auto in = random_inputs(tensors(p), test_seed());
  for (const char* mu : {"time_mix_k", "time_mix_v", "time_mix_r"}) in.insert_or_assign(mu, Tensor<double>({1, 1, 4}, 0.0));
  const auto y = forward(p, in);
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t c = 0; c < p.d; ++c) EXPECT_EQ(y(b, 0, c), 0.0);
  EXPECT_GT(relerr(y, Tensor<Mp>(y.shape(), Mp(0))), 0.0);  // not all zero
}

TEST(Rwkv, ParamCountMatchesTheTable) {
  const std::int64_t d_values[] = {64, 128, 256, 512};
  const std::int64_t two_layers[] = {33408, 132352, 526848, 2102272};
  for (int i = 0; i < 4; ++i) {
    const Problem p{1, 256, d_values[i]};
    EXPECT_EQ(param_count(p), 4 * p.d * p.d + 5 * p.d);
    EXPECT_EQ(2 * param_count(p), two_layers[i]) << "d = " << p.d;
    std::int64_t sum = 0;
    for (const auto& s : specs_with_role(tensors(p), Role::param)) sum += numel(s.shape);
    EXPECT_EQ(sum, param_count(p)) << "d = " << p.d;
    EXPECT_FALSE(state_size(p).has_value());
  }
}

TEST(Rwkv, TimeInitIsZoologys) {
  const auto l0 = time_init(4, 0);
  EXPECT_NEAR(l0.at("time_decay")(1), -1.2922955458242416, 1e-14);
  EXPECT_NEAR(l0.at("time_decay")(3), 3.0, 1e-14);
  EXPECT_NEAR(l0.at("time_first")(1), -0.7039728043259361, 1e-14);
  EXPECT_NEAR(l0.at("time_first")(2), -1.7039728043259361, 1e-14);
  EXPECT_NEAR(l0.at("time_mix_r")(0, 0, 2), 0.7071067811865476, 1e-14);
  const auto l1 = time_init(5, 1);  // n_layer = 12, as zoology builds every layer
  EXPECT_NEAR(l1.at("time_decay")(2), -0.46274991121814946, 1e-14);
  EXPECT_NEAR(l1.at("time_mix_k")(0, 0, 3), 0.6260927087607083, 1e-14);
  EXPECT_NEAR(l1.at("time_mix_v")(0, 0, 0), 0.02727272727272727, 1e-14);
  EXPECT_NEAR(l1.at("time_mix_r")(0, 0, 4), 0.9027820401942015, 1e-14);
  const auto last = time_init(8, 1, 2);
  EXPECT_NEAR(last.at("time_decay")(5), -0.9183673469387754, 1e-14);
  EXPECT_NEAR(last.at("time_mix_v")(0, 0, 4), 1.0071067811865475, 1e-14);
  EXPECT_NEAR(last.at("time_mix_r")(0, 0, 7), 0.9671682101338347, 1e-14);
  EXPECT_EQ(last.at("time_mix_k").shape(), (Shape{1, 1, 8}));
  EXPECT_THROW(time_init(1, 0), InputError);
  EXPECT_THROW(time_init(8, 12), InputError);
  try {
    time_init(8, 0, 1);
    ADD_FAILURE() << "n_layer = 1 accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("n_layer = 1"), std::string::npos) << e.what();
  }
}

TEST(Rwkv, ValidateNamesTheBadValue) {
  for (const Problem& p : {Problem{0, 4, 3}, Problem{1, 0, 3}, Problem{1, 4, 0}}) {
    try {
      p.validate();
      ADD_FAILURE() << "validate accepted B, T, d = " << p.B << ", " << p.T << ", " << p.d;
    } catch (const ShapeError& e) {
      EXPECT_NE(std::string(e.what()).find(cat(p.B, ", ", p.T, ", ", p.d)), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace menagerie::test
