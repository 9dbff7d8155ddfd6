// The forms of the two gated linear recurrences (core/ops/gated_linear_attention.hpp, core/ops/delta_rule.hpp):
//   - equal in Mp: the quadratic form, the recurrent form (token by token) and the chunked form at chunk sizes 1, 4,
//     16 and past T, in its stable and its naive factorisation (mild gates: both are exact in Mp), to 1e-40;
//   - extreme gates: a cumulative log decay L inside one 64-token chunk (every other key channel, or head, decays by
//     L / 64 per token; the rest by at most 0.05), from L = -1 to -1e4. The oracle is the recurrent form in Mp; the
//     stable chunked form in float and in double passes DESIGN §4's rule against the recurrent form in the same
//     precision (relerr <= 2 yardstick + 2 eps: 2^-22 in float, harness/tolerance.hpp's floor) at every L; the naive
//     form overflows
//     (exp(-G) > FLT_MAX past L = -88) and must fail there: the table printed shows both.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "harness/tolerance.hpp"
#include "reference/delta_rule.hpp"
#include "reference/gated_linear_attention.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

template <class C, class F>
struct Op {
  using Contract = C;
  using Form = F;
  using Problem = typename C::problem_type;
};
using Gla = Op<ops::gated_linear_attention::Contract, ops::gated_linear_attention::ChunkForm>;
using Delta = Op<ops::delta_rule::Contract, ops::delta_rule::ChunkForm>;

template <class O>
class GatedRecurrence : public ::testing::Test {};
struct OpName {
  template <class O>
  static std::string GetName(int) { return std::string(O::Contract::id); }
};
using Ops = ::testing::Types<Gla, Delta>;
TYPED_TEST_SUITE(GatedRecurrence, Ops, OpName);

enum class Form { quadratic, recurrent, chunked_stable, chunked_naive };

template <class O, class T>
Tensor<T> run(const typename O::Problem& p, const Named<T>& in, Form form, std::int64_t chunk = 0) {
  Named<T> out = allocate<T>(tensors(p), Role::output, T(NAN));
  switch (form) {
    case Form::quadratic: reference_forward(p, in, out); break;
    case Form::recurrent: reference_forward_recurrent(p, in, out); break;
    case Form::chunked_stable: reference_forward_chunked(p, in, out, chunk, O::Form::stable); break;
    case Form::chunked_naive: reference_forward_chunked(p, in, out, chunk, O::Form::naive); break;
  }
  return out.at("o");
}

TYPED_TEST(GatedRecurrence, FormsAgreeInMp) {
  using O = TypeParam;
  const std::uint64_t seed = test_seed();
  auto grid = O::Contract::test_grid(false);
  grid.push_back({.B = 1, .T = 33, .H = 2, .Dk = 4, .Dv = 3, .scale = 0.5});
  double worst = 0;
  int compared = 0;
  for (const auto& p : grid) {
    const auto in = convert<Mp>(random_inputs(tensors(p), seed));
    const Tensor<Mp> quad = run<O>(p, in, Form::quadratic);
    ASSERT_GT(relerr(Tensor<double>(quad.shape(), 0.0), quad), 0.5) << "the oracle is zero: nothing to compare";
    std::vector<std::pair<std::string, Tensor<Mp>>> others = {{"recurrent", run<O>(p, in, Form::recurrent)}};
    for (std::int64_t c : {std::int64_t{1}, std::int64_t{4}, std::int64_t{16}, p.T + 3}) {
      others.emplace_back(cat("chunked C=", c), run<O>(p, in, Form::chunked_stable, c));
      others.emplace_back(cat("naive C=", c), run<O>(p, in, Form::chunked_naive, c));
    }
    for (const auto& [name, o] : others) {
      const double e = relerr(o, quad);
      worst = std::max(worst, e);
      ++compared;
      EXPECT_LT(e, 1e-40) << O::Contract::id << " " << name << " vs quadratic at T = " << p.T << ", Dk = " << p.Dk
                          << ", Dv = " << p.Dv << "; replay with MENAGERIE_SEED=" << seed;
    }
  }
  std::printf("%s: %d form pairs in Mp, worst relerr vs the quadratic form %.3g\n",
              std::string(O::Contract::id).c_str(), compared, worst);
}

// Inputs with log decay L / 64 per token on every other element of g's last axis (channels, or heads for the
// delta rule's [B, T, H] gate) and mild decays elsewhere.
template <class O>
Named<double> extreme_inputs(const typename O::Problem& p, double L, std::uint64_t seed) {
  auto in = random_inputs(tensors(p), seed);
  auto& g = in.at("g");
  const std::int64_t last = g.shape().back();
  for (std::int64_t i = 0; i < g.numel(); ++i)
    g.data()[i] = (i % last) % 2 == 0 ? L / 64.0 : 0.05 * g.data()[i];
  return in;
}

TYPED_TEST(GatedRecurrence, StableChunkedFormSurvivesExtremeGatesWhereNaiveFormOverflows) {
  using O = TypeParam;
  const std::uint64_t seed = test_seed();
  const typename O::Problem p{.B = 1, .T = 128, .H = 2, .Dk = 8, .Dv = 8, .scale = 0.35};
  std::printf("%s, T = 128, chunk 64: relerr against the recurrent form in Mp (tolerance: 2 x the recurrent form's "
              "own relerr in that precision + 2 eps)\n", std::string(O::Contract::id).c_str());
  std::printf("%10s | %10s %10s %10s %10s | %10s %10s %10s %10s\n", "L / chunk", "f32 recur", "f32 stable",
              "f32 naive", "f32 tol", "f64 recur", "f64 stable", "f64 naive", "f64 tol");
  bool naive_failed_in_float = false;
  for (double L : {-1.0, -10.0, -80.0, -100.0, -700.0, -1000.0, -1e4}) {
    const auto in = extreme_inputs<O>(p, L, seed);
    const Tensor<Mp> oracle = run<O>(p, convert<Mp>(in), Form::recurrent);
    ASSERT_GT(relerr(Tensor<double>(oracle.shape(), 0.0), oracle), 0.5);
    const auto measure = [&]<class T>(T) {
      const auto x = convert<T>(in);
      const double yard = relerr(run<O>(p, x, Form::recurrent), oracle);
      const double stable = relerr(run<O>(p, x, Form::chunked_stable, 64), oracle);
      const Tensor<T> naive_o = run<O>(p, x, Form::chunked_naive, 64);
      const double naive = all_finite(naive_o) ? relerr(naive_o, oracle) : INFINITY;
      const double tol = harness::factor_forward * yard + 2 * std::numeric_limits<T>::epsilon();
      return std::array<double, 4>{yard, stable, naive, tol};
    };
    const auto f = measure(float{}), d = measure(double{});
    std::printf("%10.0f | %10.3g %10.3g %10.3g %10.3g | %10.3g %10.3g %10.3g %10.3g\n", L, f[0], f[1], f[2], f[3], d[0],
                d[1], d[2], d[3]);
    EXPECT_LE(f[1], f[3]) << "float stable chunked form at L = " << L << "; replay with MENAGERIE_SEED=" << seed;
    EXPECT_LE(d[1], d[3]) << "double stable chunked form at L = " << L << "; replay with MENAGERIE_SEED=" << seed;
    if (L <= -100) naive_failed_in_float = naive_failed_in_float || !(f[2] <= f[3]);
    if (L == -1e4) {
      EXPECT_FALSE(d[2] <= d[3]) << "the naive form survived L = -1e4 in double: the test is vacuous";
    }
  }
  EXPECT_TRUE(naive_failed_in_float) << "the naive form never failed in float: the extreme gates are not extreme";
}

}  // namespace
}  // namespace menagerie::test
