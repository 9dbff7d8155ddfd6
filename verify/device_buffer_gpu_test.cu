// CUDA plumbing of optimized/common: DeviceBuffer (round trips at odd sizes, zero size, NaN poisoning, moves,
// size checks), Stream/Event timing, a cuBLAS handle in pedantic mode on a stream (a small GEMM against the host),
// and the cuFFT plan cache (reuse per key, distinct plans per size and stream, thread safety, a working plan).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "core/random.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/cublas_handle.hpp"
#include "optimized/common/cufft_plan_cache.hpp"
#include "optimized/common/device.hpp"
#include "optimized/common/device_buffer.hpp"
#include "optimized/common/stream.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

using cuda::DeviceBuffer;

template <class T>
std::vector<T> random_values(std::int64_t n, std::uint64_t stream) {
  Tensor<T> t({n});
  if constexpr (std::is_floating_point_v<T>)
    fill_normal(t.view(), test::test_seed(), stream, T(0), T(1));
  else
    fill_uniform_int(t.view(), test::test_seed(), stream, std::int64_t{1} << 30);
  return {t.data(), t.data() + n};
}

template <class T>
void check_round_trip() {
  for (std::int64_t n : {1, 7, 97, 1'000'003}) {
    const auto host = random_values<T>(n, static_cast<std::uint64_t>(n));
    DeviceBuffer<T> d(host);
    ASSERT_EQ(d.size(), static_cast<std::size_t>(n));
    EXPECT_EQ(d.bytes(), static_cast<std::size_t>(n) * sizeof(T));
    const auto back = d.download();
    ASSERT_EQ(back.size(), host.size());
    EXPECT_EQ(std::memcmp(back.data(), host.data(), host.size() * sizeof(T)), 0) << "n = " << n;
  }
}

TEST(DeviceBuffer, RoundTripsAtOddSizes) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  check_round_trip<float>();
  check_round_trip<double>();
  check_round_trip<std::int32_t>();
}

TEST(DeviceBuffer, ZeroSizeIsAllowed) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  DeviceBuffer<float> d(0);
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.data(), nullptr);
  d.upload(std::span<const float>());
  d.fill_nan();
  EXPECT_TRUE(d.download().empty());
}

TEST(DeviceBuffer, FillNanPoisonsEveryElement) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const auto host = random_values<float>(1001, 1);
  DeviceBuffer<float> f(host);
  f.fill_nan();
  for (float x : f.download()) ASSERT_TRUE(std::isnan(x));
  DeviceBuffer<double> d(33);
  d.fill_nan();
  for (double x : d.download()) ASSERT_TRUE(std::isnan(x));
  cuda::Stream s;
  DeviceBuffer<float2> c(5);
  c.fill_nan(s.get());
  for (const float2& z : c.download(s.get())) ASSERT_TRUE(std::isnan(z.x) && std::isnan(z.y));
}

TEST(DeviceBuffer, MovesTransferOwnership) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const auto host = random_values<double>(513, 2);
  DeviceBuffer<double> a(host);
  const double* p = a.data();
  DeviceBuffer<double> b(std::move(a));
  EXPECT_EQ(b.data(), p);
  EXPECT_EQ(b.size(), 513u);
  EXPECT_EQ(a.data(), nullptr);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_EQ(a.size(), 0u);
  DeviceBuffer<double> c(3);
  c = std::move(b);  // releases c's old allocation
  EXPECT_EQ(c.data(), p);
  EXPECT_EQ(b.data(), nullptr);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.download(), host);
  auto& self = c;
  c = std::move(self);
  EXPECT_EQ(c.data(), p);
}

TEST(DeviceBuffer, SizeMismatchIsAShapeError) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  DeviceBuffer<float> d(4);
  std::vector<float> three(3, 1.0f);
  EXPECT_THROW(d.upload(three), ShapeError);
  EXPECT_THROW(d.download(std::span<float>(three)), ShapeError);
}

__global__ void spin_kernel(float* out, int iters) {
  float x = static_cast<float>(threadIdx.x);
  for (int i = 0; i < iters; ++i) x = x * 0.999f + 1.0f;
  out[threadIdx.x] = x;
}

TEST(Stream, EventsTimeWorkOnAStream) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  cuda::Stream s;
  cuda::Event start, stop;
  DeviceBuffer<float> out(128);
  start.record(s.get());
  spin_kernel<<<1, 128, 0, s.get()>>>(out.data(), 1 << 16);
  MENAGERIE_LAUNCH_CHECK();
  stop.record(s.get());
  const float ms = cuda::elapsed_ms(start, stop);
  EXPECT_GT(ms, 0.0f);
  EXPECT_TRUE(stop.done());
  cuda::Stream moved(std::move(s));
  EXPECT_EQ(s.get(), nullptr);  // NOLINT(bugprone-use-after-move)
  moved.synchronize();
}

TEST(CublasHandle, PedanticGemmOnAStreamMatchesHost) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  cuda::Stream s;
  cuda::CublasHandle h(s.get(), cuda::MathMode::pedantic);
  EXPECT_EQ(h.stream(), s.get());
  EXPECT_EQ(h.math_mode(), cuda::MathMode::pedantic);
  constexpr int m = 7, k = 5, n = 3;  // column-major C[m, n] = A[m, k] B[k, n]
  const auto a = random_values<float>(m * k, 3), b = random_values<float>(k * n, 4);
  DeviceBuffer<float> da(a), db(b), dc(m * n);
  dc.fill_nan(s.get());
  const float alpha = 1, beta = 0;
  MENAGERIE_CUBLAS_CHECK(cublasSgemm(h.get(), CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &alpha, da.data(), m, db.data(), k,
                                     &beta, dc.data(), m));
  const auto c = dc.download(s.get());
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) {
      double ref = 0;
      for (int p = 0; p < k; ++p) ref += double(a[i + p * m]) * double(b[p + j * k]);
      EXPECT_NEAR(c[i + j * m], ref, 1e-5 * (1 + std::fabs(ref))) << i << ", " << j;
    }
  h.set_math_mode(cuda::MathMode::default_math);
  EXPECT_EQ(h.math_mode(), cuda::MathMode::default_math);
}

TEST(CufftPlanCache, ReusesPlansPerKey) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  cuda::Stream s1, s2;
  cuda::CufftPlanCache cache;
  const cufftHandle p = cache.get(CUFFT_C2C, 64, 2, s1.get());
  EXPECT_EQ(cache.get(CUFFT_C2C, 64, 2, s1.get()), p);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_NE(cache.get(CUFFT_C2C, 65, 2, s1.get()), p);
  EXPECT_NE(cache.get(CUFFT_C2C, 64, 2, s2.get()), p);
  EXPECT_NE(cache.get(CUFFT_R2C, 64, 2, s1.get()), p);
  EXPECT_NE(cache.get(CUFFT_C2C, 64, 3, s1.get()), p);
  EXPECT_EQ(cache.size(), 5u);

  // Many threads asking for one key get one plan.
  std::vector<std::thread> threads;
  std::vector<cufftHandle> got(8);
  for (std::size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] { got[t] = cache.get(CUFFT_Z2Z, 128, 1, s2.get()); });
  for (auto& th : threads) th.join();
  for (auto g : got) EXPECT_EQ(g, got[0]);
  EXPECT_EQ(cache.size(), 6u);

  // The cached plan works on its stream: the DFT of a unit impulse is all ones.
  constexpr int n = 64;
  std::vector<float2> impulse(2 * n, float2{0, 0});
  impulse[0] = {1, 0};
  impulse[n + 5] = {1, 0};  // second batch row: a shifted impulse, |X_k| = 1
  DeviceBuffer<float2> d(impulse);
  MENAGERIE_CUFFT_CHECK(cufftExecC2C(p, reinterpret_cast<cufftComplex*>(d.data()),
                                     reinterpret_cast<cufftComplex*>(d.data()), CUFFT_FORWARD));
  const auto out = d.download(s1.get());
  for (int i = 0; i < 2 * n; ++i) EXPECT_NEAR(std::hypot(out[i].x, out[i].y), 1.0, 1e-6) << i;
  EXPECT_NEAR(out[0].x, 1.0, 1e-6);

  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace menagerie
