// The column blocks by which the GPU variants of the based mixer run heads of more than 64 values through the
// linear attention kernels (optimized/based/blocks.hpp), checked on the CPU:
//   - column_blocks(Dv): the least nc dividing Dv with Dv / nc <= 64, against values worked out by hand;
//   - the layout: repeat_source and sum_first against the hand-written indices of a small case;
//   - the identity the variants rely on, with the double reference operator (reference/linear_attention.hpp):
//     the operator on H nc heads of Dv / nc values, with q and k repeated by repeat_source, gives the same o as on
//     H heads of Dv values, and summing its dq, dk over the blocks (from sum_first) gives the same dq, dk (dv equal).
#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "optimized/based/blocks.hpp"
#include "reference/linear_attention.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

namespace la = ops::linear_attention;
using opt::based::column_blocks;
using opt::based::repeat_source;
using opt::based::sum_first;

TEST(BasedBlocks, ColumnBlocksIsTheLeastDivisorWithBlocksOfAtMost64) {
  // Dv -> nc, by hand: 65 = 5 x 13 (2, 3, 4 do not divide it); 130 = 5 x 26 (3, 4 do not); 129 = 3 x 43;
  // 67 is prime; 100 = 2 x 50; 1024 = 16 x 64.
  const std::pair<std::int64_t, std::int64_t> cases[] = {{1, 1},   {5, 1},   {64, 1},  {65, 5},   {67, 67},
                                                         {96, 2},  {100, 2}, {128, 2}, {129, 3},  {130, 5},
                                                         {256, 4}, {512, 8}, {1024, 16}};
  for (const auto& [Dv, nc] : cases) EXPECT_EQ(column_blocks(Dv), nc) << "Dv = " << Dv;
}

TEST(BasedBlocks, RepeatAndSumIndicesFollowTheLayout) {
  // f = 2, nc = 3: xr [rows, H, 3, 2] repeats each (row, head)'s pair three times.
  const std::int64_t want_repeat[] = {0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3};
  for (std::int64_t i = 0; i < 12; ++i) EXPECT_EQ(repeat_source(i, 2, 3), want_repeat[i]) << "i = " << i;
  // dx [rows, H, 2]: element (rh, j) sums xr[rh, c, j] for c = 0, 1, 2, starting at rh 6 + j.
  const std::int64_t want_first[] = {0, 1, 6, 7, 12, 13};
  for (std::int64_t i = 0; i < 6; ++i) EXPECT_EQ(sum_first(i, 2, 3), want_first[i]) << "i = " << i;
}

TEST(BasedBlocks, BlockedOperatorEqualsTheWholeHeads) {
  const la::Problem whole{.B = 2, .T = 9, .H = 2, .F = 2, .Dv = 65, .feature_map = la::FeatureMap::taylor_exp,
                          .normalize = true, .eps = 1e-12};
  const std::int64_t nc = column_blocks(whole.Dv);
  ASSERT_EQ(nc, 5);
  la::Problem blocked = whole;
  blocked.H *= nc;
  blocked.Dv /= nc;
  auto specs = la::tensors(whole);
  for (auto& s : specs)
    if (s.role == Role::output) s.role = Role::input;
  const auto all = random_inputs(specs, 20261206);
  Named<double> in, d_out;
  for (const char* n : {"q", "k", "v"}) in.emplace(n, all.at(n));
  d_out.emplace("o", all.at("o"));

  Named<double> in_b;
  const Shape qk_b = {whole.B, whole.T, blocked.H, whole.F};
  for (const char* n : {"q", "k"}) {
    Tensor<double> r(qk_b);
    for (std::int64_t i = 0; i < r.numel(); ++i) r.data()[i] = in.at(n).data()[repeat_source(i, whole.F, nc)];
    in_b.emplace(n, std::move(r));
  }
  const Shape v_b = {whole.B, whole.T, blocked.H, blocked.Dv};
  in_b.emplace("v", in.at("v").reshaped(v_b));
  Named<double> d_out_b;
  d_out_b.emplace("o", d_out.at("o").reshaped(v_b));

  Named<double> o, o_b;
  o.emplace("o", Tensor<double>(la::tensors(whole).back().shape));
  o_b.emplace("o", Tensor<double>(v_b));
  la::reference_forward<double>(whole, in, o);
  la::reference_forward<double>(blocked, in_b, o_b);
  EXPECT_LT(relerr(o_b.at("o").reshaped(o.at("o").shape()), convert<Mp>(o.at("o"))), 1e-13);

  Named<double> g, g_b;
  la::reference_backward<double>(whole, in, d_out, g);
  la::reference_backward<double>(blocked, in_b, d_out_b, g_b);
  EXPECT_LT(relerr(g_b.at("v").reshaped(g.at("v").shape()), convert<Mp>(g.at("v"))), 1e-13);
  for (const char* n : {"q", "k"}) {
    Tensor<double> summed(g.at(n).shape());
    for (std::int64_t i = 0; i < summed.numel(); ++i) {
      double acc = 0;
      for (std::int64_t c = 0; c < nc; ++c) acc += g_b.at(n).data()[sum_first(i, whole.F, nc) + c * whole.F];
      summed.data()[i] = acc;
    }
    EXPECT_LT(relerr(summed, convert<Mp>(g.at(n))), 1e-12) << "d" << n;
  }
}

}  // namespace
}  // namespace menagerie::test
