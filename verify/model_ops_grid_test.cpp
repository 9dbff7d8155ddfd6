// The GPU grids of the model operators (core/ops/{layer_norm,embedding,lm_head,cross_entropy}.hpp, gpu_grid), checked
// on the CPU where the kernels cannot run: every problem of the smoke and full grids and every benchmark case
// validates (ids and labels in range, at least one labelled row); the awkward sizes issue 16 asks for are present
// (T = 1, 7, 97, 1000; D = 1, 5, 64, 1000; V = 1, 7, 8192; a batch B > 1; cross-entropy with one labelled row and with
// all rows labelled); and no problem would make harness/kernels.hpp's causality check vacuous, which runs at
// T >= 7: there layer norm must have D > 1 (at D = 1, y = bias whatever x) and the embedding V > 1 (one id leaves
// nothing to move a position to). One embedding problem has an id at 2048 positions or more (MQAR's filler).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

#include "core/ops/cross_entropy.hpp"
#include "core/ops/embedding.hpp"
#include "core/ops/layer_norm.hpp"
#include "core/ops/lm_head.hpp"

namespace menagerie {
namespace {

constexpr std::int64_t kCausalFromT = 7;  // harness/kernels.hpp runs causality on problems with T >= 7

template <class C>
std::vector<typename C::problem_type> both_grids() {
  auto g = C::gpu_grid(false);
  for (const auto& p : C::gpu_grid(true)) g.push_back(p);
  return g;
}

template <class P, class F>
std::set<std::int64_t> values(const std::vector<P>& g, F f) {
  std::set<std::int64_t> s;
  for (const auto& p : g) s.insert(f(p));
  return s;
}

void expect_contains(const std::set<std::int64_t>& got, std::initializer_list<std::int64_t> want, const char* what) {
  for (auto w : want) EXPECT_TRUE(got.count(w)) << what << " = " << w << " missing from the gpu_grid";
}

template <class C>
void expect_valid() {
  for (const auto& p : both_grids<C>()) EXPECT_NO_THROW(p.validate()) << C::id;
  for (const auto& c : C::gpu_bench_cases()) EXPECT_NO_THROW(c.problem.validate()) << C::id;
}

TEST(ModelOpsGpuGrid, EveryProblemValidates) {
  expect_valid<ops::layer_norm::Contract>();
  expect_valid<ops::embedding::Contract>();
  expect_valid<ops::lm_head::Contract>();
  expect_valid<ops::cross_entropy::Contract>();
}

TEST(ModelOpsGpuGrid, AwkwardSizesArePresent) {
  const auto ln = ops::layer_norm::Contract::gpu_grid(false);
  const auto em = ops::embedding::Contract::gpu_grid(false);
  const auto lm = ops::lm_head::Contract::gpu_grid(false);
  const auto ce = ops::cross_entropy::Contract::gpu_grid(false);
  const auto T = [](const auto& p) { return p.T; };
  const auto B = [](const auto& p) { return p.B; };
  const auto D = [](const auto& p) { return p.D; };
  const auto V = [](const auto& p) { return p.V; };
  for (const auto& t : {values(ln, T), values(em, T), values(lm, T), values(ce, T)}) {
    expect_contains(t, {1, 7, 97, 1000}, "T");
  }
  for (const auto& b : {values(ln, B), values(em, B), values(lm, B), values(ce, B)})
    EXPECT_GT(*b.rbegin(), 1) << "no batch B > 1";
  expect_contains(values(ln, D), {1, 5, 64, 1000}, "layer_norm D");
  expect_contains(values(em, D), {1, 5, 64, 1000}, "embedding D");
  expect_contains(values(lm, D), {1, 5, 64, 1000}, "lm_head D");
  expect_contains(values(em, V), {1, 7, 8192}, "embedding V");
  expect_contains(values(lm, V), {1, 7, 8192}, "lm_head V");
  expect_contains(values(ce, V), {1, 7, 8192}, "cross_entropy V");
  const auto n = [](const ops::cross_entropy::Problem& p) { return p.labelled(); };
  EXPECT_TRUE(std::any_of(ce.begin(), ce.end(), [&](const auto& p) { return n(p) == 1 && p.B * p.T > 1; }))
      << "no cross_entropy problem with exactly one labelled row among several";
  EXPECT_TRUE(std::any_of(ce.begin(), ce.end(), [&](const auto& p) { return n(p) == p.B * p.T && p.T > 1; }))
      << "no cross_entropy problem with every row labelled";
}

// MQAR's filler: one id at most positions (optimized/embedding/gather_fp32.cu sums such an id's long segment of
// sorted positions in chunks of 128, combined afterwards); the grid must hold one spanning at least 16 chunks.
TEST(ModelOpsGpuGrid, EmbeddingHasAnIdFillingMostPositions) {
  std::int64_t longest = 0;
  for (const auto& p : ops::embedding::Contract::gpu_grid(false)) {
    std::vector<std::int64_t> count(static_cast<std::size_t>(p.V), 0);
    for (auto id : p.ids) longest = std::max(longest, ++count[static_cast<std::size_t>(id)]);
  }
  EXPECT_GE(longest, 16 * 128) << "no embedding problem in which one id occurs at 2048 positions or more";
}

TEST(ModelOpsGpuGrid, NoCausalityCaseIsVacuous) {
  for (const auto& p : both_grids<ops::layer_norm::Contract>())
    EXPECT_TRUE(p.T < kCausalFromT || p.D > 1) << "layer_norm T = " << p.T << ", D = " << p.D;
  for (const auto& p : both_grids<ops::embedding::Contract>())
    EXPECT_TRUE(p.T < kCausalFromT || p.V > 1) << "embedding T = " << p.T << ", V = " << p.V;
}

}  // namespace
}  // namespace menagerie
