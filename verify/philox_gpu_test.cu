// Host and device Philox streams are bitwise identical: raw words, uniform and normal float/double fills and
// integer fills from optimized/common/random_device.hpp against core/random.hpp, for n >= 1e6 (odd), several
// (seed, stream) pairs including ones with high bits set, offset sub-ranges, and the per-element functions of
// core/philox.hpp called inside a kernel. Device outputs are NaN-poisoned first, so a skipped element fails.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

#include "core/philox.hpp"
#include "core/random.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/device.hpp"
#include "optimized/common/device_buffer.hpp"
#include "optimized/common/random_device.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

using cuda::DeviceBuffer;

struct Case {
  std::uint64_t seed, stream;
};

std::vector<Case> cases() {
  return {{0, 0},
          {test::test_seed(), 1},
          {0xffffffffffffffffull, 0x123456789abcdef0ull},
          {test::seed(), (std::uint64_t{1} << 40) + 3}};
}

constexpr std::int64_t kN = 1'000'003;  // odd, >= 1e6: partial last block for every lane count

// First differing element, or -1; compares bits, so NaN == NaN only when the payloads agree.
template <class T>
std::int64_t first_mismatch(const std::vector<T>& a, const std::vector<T>& b) {
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0) return static_cast<std::int64_t>(i);
  return a.size() == b.size() ? -1 : static_cast<std::int64_t>(std::min(a.size(), b.size()));
}

template <class T>
std::string describe(const std::vector<T>& host, const std::vector<T>& dev, std::int64_t i) {
  std::ostringstream os;
  os << std::setprecision(17) << "element " << i << ": host " << host[static_cast<std::size_t>(i)] << ", device "
     << dev[static_cast<std::size_t>(i)];
  return os.str();
}

TEST(PhiloxGpu, RawWordsMatchHost) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  for (const auto& c : cases()) {
    for (std::uint64_t first : {std::uint64_t{0}, std::uint64_t{6}}) {
      DeviceBuffer<std::uint32_t> d(kN);
      d.fill_bytes(0xAB);
      cuda::philox_words_device(d.data(), kN, c.seed, c.stream, nullptr, first);
      const auto dev = d.download();
      std::vector<std::uint32_t> host(kN);
      for (std::int64_t i = 0; i < kN; ++i)
        host[static_cast<std::size_t>(i)] = philox::word(c.seed, c.stream, first + static_cast<std::uint64_t>(i));
      const auto bad = first_mismatch(host, dev);
      EXPECT_EQ(bad, -1) << "seed " << c.seed << " stream " << c.stream << " first " << first << ": "
                         << (bad >= 0 ? describe(host, dev, bad) : "");
    }
  }
}

// Fills n elements starting at stream element `first` on both sides and compares bits.
template <class T, class HostFill, class DeviceFill>
void compare_fill(const char* what, HostFill host_fill, DeviceFill device_fill) {
  for (const auto& c : cases()) {
    for (std::uint64_t first : {std::uint64_t{0}, std::uint64_t{3}}) {
      Tensor<T> host({kN});
      host_fill(host.view(), c.seed, c.stream, first);
      DeviceBuffer<T> d(kN);
      if constexpr (std::is_floating_point_v<T>)
        d.fill_nan();
      else
        d.fill_bytes(0xFF);
      device_fill(d.data(), kN, c.seed, c.stream, first);
      const auto dev = d.download();
      const std::vector<T> h(host.data(), host.data() + kN);
      const auto bad = first_mismatch(h, dev);
      EXPECT_EQ(bad, -1) << what << " seed " << c.seed << " stream " << c.stream << " first " << first << ": "
                         << (bad >= 0 ? describe(h, dev, bad) : "");
    }
  }
}

template <class T>
void check_uniform_and_normal() {
  compare_fill<T>(
      "uniform",
      [](TensorView<T> v, std::uint64_t k, std::uint64_t s, std::uint64_t f) { fill_uniform(v, k, s, T(-1.5), T(2.5), f); },
      [](T* p, std::int64_t n, std::uint64_t k, std::uint64_t s, std::uint64_t f) {
        cuda::fill_uniform_device(p, n, k, s, T(-1.5), T(2.5), nullptr, f);
      });
  compare_fill<T>(
      "normal",
      [](TensorView<T> v, std::uint64_t k, std::uint64_t s, std::uint64_t f) { fill_normal(v, k, s, T(0.25), T(3), f); },
      [](T* p, std::int64_t n, std::uint64_t k, std::uint64_t s, std::uint64_t f) {
        cuda::fill_normal_device(p, n, k, s, T(0.25), T(3), nullptr, f);
      });
}

TEST(PhiloxGpu, FloatFillsMatchHost) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  check_uniform_and_normal<float>();
}

TEST(PhiloxGpu, DoubleFillsMatchHost) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  check_uniform_and_normal<double>();
}

TEST(PhiloxGpu, IntegerFillsMatchHost) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  compare_fill<std::int32_t>(
      "int32 [0, 1000)",
      [](TensorView<std::int32_t> v, std::uint64_t k, std::uint64_t s, std::uint64_t f) {
        fill_uniform_int(v, k, s, 1000, f);
      },
      [](std::int32_t* p, std::int64_t n, std::uint64_t k, std::uint64_t s, std::uint64_t f) {
        cuda::fill_uniform_int_device(p, n, k, s, 1000, nullptr, f);
      });
  compare_fill<std::int64_t>(
      "int64 [0, 2^32)",
      [](TensorView<std::int64_t> v, std::uint64_t k, std::uint64_t s, std::uint64_t f) {
        fill_uniform_int(v, k, s, std::int64_t{1} << 32, f);
      },
      [](std::int64_t* p, std::int64_t n, std::uint64_t k, std::uint64_t s, std::uint64_t f) {
        cuda::fill_uniform_int_device(p, n, k, s, std::int64_t{1} << 32, nullptr, f);
      });
}

// A sub-range regenerated on the device equals the same slice of a full host fill.
TEST(PhiloxGpu, SubRangesRegenerateOnTheDevice) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const std::uint64_t seed = test::test_seed();
  Tensor<float> full({4099});
  fill_normal(full.view(), seed, 5, 0.0f, 1.0f);
  for (std::int64_t first : {1, 2, 3, 4, 1021, 4098}) {
    for (std::int64_t len : {1, 3, 7}) {
      if (first + len > 4099) continue;
      DeviceBuffer<float> d(static_cast<std::size_t>(len));
      d.fill_nan();
      cuda::fill_normal_device(d.data(), len, seed, 5, 0.0f, 1.0f, nullptr, static_cast<std::uint64_t>(first));
      const auto dev = d.download();
      EXPECT_EQ(std::memcmp(dev.data(), full.data() + first, dev.size() * sizeof(float)), 0)
          << "slice [" << first << ", +" << len << ")";
    }
  }
}

template <class T>
__global__ void element_kernel(T* u, T* z, std::int64_t n, std::uint64_t seed, std::uint64_t stream) {
  const std::int64_t i = std::int64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const auto ui = static_cast<std::uint64_t>(i);
  u[i] = philox::uniform_element<T>(seed, stream, ui, T(0), T(1));
  z[i] = philox::normal_element<T>(seed, stream, ui, T(0), T(1));
}

template <class T>
void check_inline_elements() {
  const std::uint64_t seed = test::test_seed();
  constexpr std::int64_t n = 10007;
  DeviceBuffer<T> u(n), z(n);
  u.fill_nan();
  z.fill_nan();
  element_kernel<T><<<(n + 255) / 256, 256>>>(u.data(), z.data(), n, seed, 11);
  MENAGERIE_LAUNCH_CHECK();
  const auto du = u.download(), dz = z.download();
  Tensor<T> hu({n}), hz({n});
  fill_uniform(hu.view(), seed, 11, T(0), T(1));
  fill_normal(hz.view(), seed, 11, T(0), T(1));
  EXPECT_EQ(std::memcmp(du.data(), hu.data(), n * sizeof(T)), 0);
  EXPECT_EQ(std::memcmp(dz.data(), hz.data(), n * sizeof(T)), 0);
}

TEST(PhiloxGpu, InlineElementsInAKernelMatchHost) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  check_inline_elements<float>();
  check_inline_elements<double>();
}

TEST(PhiloxGpu, BadArgumentsThrowBeforeLaunch) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  DeviceBuffer<float> d(4);
  EXPECT_THROW(cuda::fill_uniform_device(d.data(), 4, 1, 0, 1.0f, 0.0f, nullptr), InputError);
  EXPECT_THROW(cuda::fill_normal_device(d.data(), 4, 1, 0, 0.0f, -1.0f, nullptr), InputError);
  EXPECT_THROW(cuda::fill_uniform_device(d.data(), -1, 1, 0, 0.0f, 1.0f, nullptr), InputError);
  EXPECT_NO_THROW(cuda::fill_uniform_device(d.data(), 0, 1, 0, 0.0f, 1.0f, nullptr));  // nothing to do
}

}  // namespace
}  // namespace menagerie
