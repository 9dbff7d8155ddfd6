// Host fills (core/random.hpp): deterministic, element k of a view = stream element first + k in logical order
// (so any sub-range regenerates the same bits, whatever the strides), argument checks, and agreement with the
// per-element functions of core/philox.hpp that kernels use inline.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "core/philox.hpp"
#include "core/random.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

template <class T>
bool same_bits(const T* a, const T* b, std::int64_t n) {
  return n == 0 || std::memcmp(a, b, static_cast<std::size_t>(n) * sizeof(T)) == 0;
}

// Every fill kind behind one signature, so the tests below run over all of them.
template <class T>
using Fill = void (*)(TensorView<T>, std::uint64_t seed, std::uint64_t stream, std::uint64_t first);

template <class T>
std::vector<std::pair<const char*, Fill<T>>> fills() {
  if constexpr (std::is_floating_point_v<T>) {
    return {{"uniform", [](TensorView<T> v, std::uint64_t k, std::uint64_t s, std::uint64_t f) {
               fill_uniform(v, k, s, T(-2), T(3), f);
             }},
            {"normal", [](TensorView<T> v, std::uint64_t k, std::uint64_t s, std::uint64_t f) {
               fill_normal(v, k, s, T(0.5), T(2), f);
             }}};
  } else {
    return {{"uniform_int", [](TensorView<T> v, std::uint64_t k, std::uint64_t s, std::uint64_t f) {
               fill_uniform_int(v, k, s, 1000, f);
             }}};
  }
}

template <class T>
void check_determinism_and_subranges() {
  const std::uint64_t seed = test::test_seed();
  constexpr std::int64_t n = 1001;  // odd: the last block is partial for every lane count
  for (const auto& [name, fill] : fills<T>()) {
    SCOPED_TRACE(name);
    Tensor<T> a({n}), b({n});
    fill(a.view(), seed, 3, 0);
    fill(b.view(), seed, 3, 0);
    ASSERT_TRUE(same_bits(a.data(), b.data(), n)) << "two fills with the same seed differ";
    for (std::int64_t first : {0, 1, 2, 3, 4, 5, 7, 500, 997, 1000}) {
      for (std::int64_t len : {std::int64_t{1}, std::int64_t{2}, std::int64_t{5}, n - first}) {
        if (first + len > n) continue;
        Tensor<T> part({len});
        fill(part.view(), seed, 3, static_cast<std::uint64_t>(first));
        ASSERT_TRUE(same_bits(part.data(), a.data() + first, len)) << "slice [" << first << ", +" << len << ")";
      }
    }
    Tensor<T> other_stream({n}), other_seed({n});
    fill(other_stream.view(), seed, 4, 0);
    fill(other_seed.view(), seed + 1, 3, 0);
    int same_s = 0, same_k = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      same_s += a.data()[i] == other_stream.data()[i];
      same_k += a.data()[i] == other_seed.data()[i];
    }
    const int allowed = std::is_floating_point_v<T> ? 2 : 10;  // integers in [0, 1000) collide 1 time in 1000
    EXPECT_LE(same_s, allowed);
    EXPECT_LE(same_k, allowed);
  }
}

TEST(Random, FloatFillsAreDeterministicAndSliceable) { check_determinism_and_subranges<float>(); }
TEST(Random, DoubleFillsAreDeterministicAndSliceable) { check_determinism_and_subranges<double>(); }
TEST(Random, Int32FillsAreDeterministicAndSliceable) { check_determinism_and_subranges<std::int32_t>(); }
TEST(Random, Int64FillsAreDeterministicAndSliceable) { check_determinism_and_subranges<std::int64_t>(); }

// A strided (transposed) view receives the stream in its logical order; a narrowed view touches only its elements.
template <class T>
void check_views() {
  const std::uint64_t seed = test::test_seed();
  for (const auto& [name, fill] : fills<T>()) {
    SCOPED_TRACE(name);
    Tensor<T> logical({3, 5});
    fill(logical.view(), seed, 1, 0);
    Tensor<T> storage({5, 3}, T(-7));
    TensorView<T> transposed(storage.data(), {3, 5}, {1, 3});
    ASSERT_FALSE(transposed.is_contiguous());
    fill(transposed, seed, 1, 0);
    EXPECT_TRUE(to_tensor(transposed) == logical);

    Tensor<T> big({4, 6}, T(-7));
    const auto window = big.view().narrow(0, 1, 2).narrow(1, 2, 3);  // rows 1..2, columns 2..4: [2, 3]
    fill(window, seed, 1, 0);
    for (std::int64_t r = 0; r < 4; ++r)
      for (std::int64_t c = 0; c < 6; ++c) {
        const bool inside = r >= 1 && r < 3 && c >= 2 && c < 5;
        if (inside)
          EXPECT_EQ(big(r, c), logical.data()[(r - 1) * 3 + (c - 2)]) << r << ", " << c;
        else
          EXPECT_EQ(big(r, c), T(-7)) << r << ", " << c;
      }
  }
}

TEST(Random, FloatViewsFollowLogicalOrder) { check_views<float>(); }
TEST(Random, DoubleViewsFollowLogicalOrder) { check_views<double>(); }
TEST(Random, Int32ViewsFollowLogicalOrder) { check_views<std::int32_t>(); }

template <class T>
void check_elements_match_fills() {
  const std::uint64_t seed = test::test_seed();
  constexpr std::int64_t n = 257;
  Tensor<T> u({n}), z({n});
  fill_uniform(u.view(), seed, 2, T(-1), T(1));
  fill_normal(z.view(), seed, 2, T(3), T(0.25));
  for (std::int64_t i = 0; i < n; ++i) {
    const auto ui = static_cast<std::uint64_t>(i);
    EXPECT_EQ(u.data()[i], philox::uniform_element<T>(seed, 2, ui, T(-1), T(1))) << i;
    EXPECT_EQ(z.data()[i], philox::normal_element<T>(seed, 2, ui, T(3), T(0.25))) << i;
    EXPECT_TRUE(u.data()[i] >= T(-1) && u.data()[i] <= T(1)) << u.data()[i];
  }
}

TEST(Random, FloatElementsMatchFills) { check_elements_match_fills<float>(); }
TEST(Random, DoubleElementsMatchFills) { check_elements_match_fills<double>(); }

TEST(Random, DegenerateRangesGiveTheirValue) {
  auto u = uniform_tensor<float>({33}, test::test_seed(), 0, 1.5f, 1.5f);
  for (float x : u.flat()) EXPECT_EQ(x, 1.5f);
  auto z = normal_tensor<double>({33}, test::test_seed(), 0, -2.0, 0.0);
  for (double x : z.flat()) EXPECT_EQ(x, -2.0);
  Tensor<std::int64_t> one({17}, 5);
  fill_uniform_int(one.view(), test::test_seed(), 0, 1);
  for (auto x : one.flat()) EXPECT_EQ(x, 0);
}

// Integer element i uses block i, so the pi-digit known answer is reachable: seed = key, stream = ctr[2..3],
// i = ctr[0..1]; with n = 2^32 the value is the second output word (0x94fdcceb).
TEST(Random, UniformIntUsesOneBlockPerElement) {
  Tensor<std::int64_t> v({1});
  fill_uniform_int(v.view(), 0x299f31d0a4093822ull, 0x0370734413198a2eull, std::int64_t{1} << 32,
                   0x85a308d3243f6a88ull);
  EXPECT_EQ(v.data()[0], std::int64_t{0x94fdcceb});
}

TEST(Random, BadArgumentsThrowInputError) {
  Tensor<float> f({4});
  Tensor<double> d({4});
  Tensor<std::int32_t> i32({4});
  Tensor<std::int64_t> i64({4});
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  auto message = [](auto&& call) -> std::string {
    try {
      call();
    } catch (const InputError& e) {
      return e.what();
    }
    return "no InputError";
  };
  EXPECT_NE(message([&] { fill_uniform(f.view(), 1, 0, 2.0f, 1.0f); }).find("[2, 1)"), std::string::npos);
  EXPECT_THROW(fill_uniform(f.view(), 1, 0, 0.0f, inf), InputError);
  EXPECT_THROW(fill_uniform(f.view(), 1, 0, nan, 1.0f), InputError);
  EXPECT_THROW(fill_uniform(f.view(), 1, 0, -3e38f, 3e38f), InputError);  // hi - lo overflows float
  EXPECT_NO_THROW(fill_uniform(d.view(), 1, 0, -3e38, 3e38));
  EXPECT_NE(message([&] { fill_normal(d.view(), 1, 0, 0.0, -1.0); }).find("std = -1"), std::string::npos);
  EXPECT_THROW(fill_normal(f.view(), 1, 0, nan, 1.0f), InputError);
  EXPECT_NE(message([&] { fill_uniform_int(i32.view(), 1, 0, 0); }).find("n = 0"), std::string::npos);
  EXPECT_THROW(fill_uniform_int(i32.view(), 1, 0, (std::int64_t{1} << 31) + 1), InputError);
  EXPECT_NO_THROW(fill_uniform_int(i32.view(), 1, 0, std::int64_t{1} << 31));
  EXPECT_THROW(fill_uniform_int(i64.view(), 1, 0, (std::int64_t{1} << 32) + 1), InputError);
  EXPECT_THROW(fill_uniform(f.view(), 1, 0, 0.0f, 1.0f, std::numeric_limits<std::uint64_t>::max() - 2), InputError);
}

}  // namespace
}  // namespace menagerie
