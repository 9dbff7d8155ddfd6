// Generic properties of every operator reference in core/registry.hpp, over each contract's test grid:
//   causality by perturbation (inputs after t0 changed -> outputs up to t0 bitwise unchanged, in double);
//   analytic backward = central finite differences in Mp (|fd - g| <= 1e-20 (|g| + rms g));
//   recurrent form = parallel form in Mp (relerr < 1e-40) where the contract has one;
//   float and double forwards agree with the Mp forward within 1e3 eps of their type.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/registry.hpp"
#include "reference/all.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

template <class L> struct ToTypes;
template <class... C> struct ToTypes<TypeList<C...>> { using type = ::testing::Types<C...>; };

template <class C>
class ReferenceProperties : public ::testing::Test {};
TYPED_TEST_SUITE(ReferenceProperties, ToTypes<AllContracts>::type);

template <class C>
std::vector<typename C::problem_type> grid() {
  return C::test_grid(tier() == Tier::full);
}

template <class T, class P>
Named<T> forward(const P& p, const Named<T>& in) {
  Named<T> out = allocate<T>(tensors(p), Role::output, static_cast<T>(std::numeric_limits<double>::quiet_NaN()));
  reference_forward<T>(p, in, out);
  return out;
}

// sum over outputs of dO . O, in Mp.
template <class P>
Mp loss(const P& p, const Named<Mp>& in, const Named<Mp>& dO) {
  const auto out = forward<Mp>(p, in);
  Mp l = 0;
  for (const auto& [name, o] : out)
    for (std::int64_t i = 0; i < o.numel(); ++i) l += o.data()[i] * dO.at(name).data()[i];
  return l;
}

TYPED_TEST(ReferenceProperties, Causality) {
  if (!TypeParam::traits.causal) GTEST_SKIP() << "not causal";
  std::uint64_t seed = test_seed();
  for (const auto& p : grid<TypeParam>()) {
    const auto specs = tensors(p);
    const auto in = random_inputs(specs, seed);
    const auto out = forward<double>(p, in);
    for (std::int64_t t0 : {std::int64_t{0}, p.T / 2, p.T - 2}) {
      if (t0 < 0 || t0 + 1 >= p.T) continue;
      auto changed = in;
      const auto noise = random_inputs(specs, seed + 1);
      for (const auto& s : specs) {
        if (s.role != Role::input || s.axes.rfind("B,T", 0) != 0) continue;
        auto& x = changed.at(s.name);
        const std::int64_t per_t = x.numel() / (s.shape[0] * s.shape[1]);
        for (std::int64_t b = 0; b < s.shape[0]; ++b)
          for (std::int64_t t = t0 + 1; t < s.shape[1]; ++t)
            for (std::int64_t j = 0; j < per_t; ++j) {
              const auto i = (b * s.shape[1] + t) * per_t + j;
              x.data()[i] = noise.at(s.name).data()[i];
            }
      }
      const auto out2 = forward<double>(p, changed);
      for (const auto& s : specs) {
        if (s.role != Role::output) continue;
        const auto& a = out.at(s.name);
        const auto& b2 = out2.at(s.name);
        const std::int64_t per_t = a.numel() / (s.shape[0] * s.shape[1]);
        for (std::int64_t b = 0; b < s.shape[0]; ++b)
          for (std::int64_t t = 0; t <= t0; ++t)
            for (std::int64_t j = 0; j < per_t; ++j) {
              const auto i = (b * s.shape[1] + t) * per_t + j;
              ASSERT_EQ(a.data()[i], b2.data()[i]) << TypeParam::id << " output " << s.name << " at b=" << b
                                                   << " t=" << t << " changed when inputs after t0=" << t0
                                                   << " changed (T=" << p.T << ")";
            }
      }
    }
  }
}

TYPED_TEST(ReferenceProperties, BackwardMatchesFiniteDifferencesInMp) {
  const std::uint64_t seed = test_seed();
  const int samples = tier() == Tier::full ? 24 : 6;
  for (const auto& p : grid<TypeParam>()) {
    const auto specs = tensors(p);
    const auto in = convert<Mp>(random_inputs(specs, seed));
    Named<Mp> dO;
    {
      std::vector<TensorSpec> outs;
      for (auto s : specs)
        if (s.role == Role::output) {
          s.role = Role::input;
          outs.push_back(s);
        }
      dO = convert<Mp>(random_inputs(outs, seed ^ 0x5eed));
    }
    Named<Mp> grads;
    reference_backward<Mp>(p, in, dO, grads);
    const Mp h("1e-15");
    for (const auto& s : specs) {
      if (s.role == Role::output) continue;
      ASSERT_TRUE(grads.count(s.name)) << TypeParam::id << ": backward gave no gradient for " << s.name;
      const auto& g = grads.at(s.name);
      ASSERT_EQ(g.shape(), s.shape);
      Mp rms = 0;
      for (std::int64_t i = 0; i < g.numel(); ++i) rms += g.data()[i] * g.data()[i];
      rms = sqrt(rms / std::max<std::int64_t>(g.numel(), 1));
      for (int k = 0; k < samples && k < g.numel(); ++k) {
        const std::int64_t i = g.numel() <= samples ? k : static_cast<std::int64_t>((seed + 7919u * k) % g.numel());
        auto plus = in, minus = in;
        plus.at(s.name).data()[i] += h;
        minus.at(s.name).data()[i] -= h;
        const Mp fd = (loss(p, plus, dO) - loss(p, minus, dO)) / (2 * h);
        const Mp err = abs(fd - g.data()[i]);
        EXPECT_LE(static_cast<double>(err), 1e-20 * static_cast<double>(abs(g.data()[i]) + rms))
            << TypeParam::id << " d" << s.name << "[" << i << "]: analytic " << static_cast<double>(g.data()[i])
            << ", finite difference " << static_cast<double>(fd) << " (T=" << p.T << ")";
      }
    }
  }
}

TYPED_TEST(ReferenceProperties, FloatAndDoubleAgreeWithMp) {
  const std::uint64_t seed = test_seed();
  for (const auto& p : grid<TypeParam>()) {
    const auto specs = tensors(p);
    const auto in = random_inputs(specs, seed);
    const auto in_f = convert<float>(in);
    const auto oracle = forward<Mp>(p, convert<Mp>(convert<double>(in_f)));  // same rounded inputs as float
    const auto oracle_d = forward<Mp>(p, convert<Mp>(in));
    const auto out_f = forward<float>(p, in_f);
    const auto out_d = forward<double>(p, in);
    for (const auto& [name, o] : oracle) {
      ASSERT_TRUE(all_finite(convert<double>(o))) << TypeParam::id << " oracle " << name << " not finite";
      EXPECT_LE(relerr(out_d.at(name), oracle_d.at(name)), 1e3 * std::numeric_limits<double>::epsilon())
          << TypeParam::id << " double output " << name << " (T=" << p.T << ")";
      EXPECT_LE(relerr(out_f.at(name), o), 1e3 * std::numeric_limits<float>::epsilon())
          << TypeParam::id << " float output " << name << " (T=" << p.T << ")";
    }
  }
}

TYPED_TEST(ReferenceProperties, RecurrentFormEqualsParallelForm) {
  if constexpr (!TypeParam::traits.has_recurrent_form) {
    GTEST_SKIP() << "no recurrent form";
  } else {
    const std::uint64_t seed = test_seed();
    for (const auto& p : grid<TypeParam>()) {
      const auto in = convert<Mp>(random_inputs(tensors(p), seed));
      const auto par = forward<Mp>(p, in);
      Named<Mp> rec = allocate<Mp>(tensors(p), Role::output, Mp(0));
      reference_forward_recurrent<Mp>(p, in, rec);
      for (const auto& [name, o] : par)
        EXPECT_LE(relerr(rec.at(name), o), 1e-40) << TypeParam::id << " output " << name << " (T=" << p.T << ")";
    }
  }
}

}  // namespace
}  // namespace menagerie::test
