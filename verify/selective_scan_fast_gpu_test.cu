// The rewritten selective scan (optimized/selective_scan/scan.cu: A and the carries in shared memory for occupancy,
// expm1_half for expm1f, 16 lane sums per reduction) must give bit for bit what the kernels before it gave
// (verify/support/selective_scan_chunked_baseline.cuh, a verbatim copy): on the same inputs, y and the checkpoints
// of the forward and all six gradients of the backward compared as raw bits, fp32 and bf16 storage, over shapes with
// T not a multiple of 64 (a partial last chunk), N = 1, 5 and 16, D = 70 (a partial channel block) and B = 3; inputs
// in the contract's ranges (delta A from -1.5 to -0.005: both sides of decay()'s -1/2 branch in most warps) and scaled
// (delta x 1e-3: every delta A in expm1_half's |x| < 0.41 part; delta x 1e2 with A x 30: exp underflows; every
// 7th delta exactly 0, so delta A = -0). And expm1_half against CUDA's expm1f on every float in (-1/2, 1/2), and
// decay_fast (the kernels' decay) against segment.hpp's decay() on all 2^32 bit patterns.
// The comparison itself is checked to fail on one flipped bit (no GPU needed). Under compute-sanitizer
// (MENAGERIE_GPU_MAX_T set) cases longer than that cap are left out and the exhaustive sweeps take every 4099th
// pattern. At Mamba's benchmark shape (B 8, T 2048, D 1536, N 16) the bits are compared again and both kernels timed
// (printed only).
#include <gtest/gtest.h>

#include <cuda_bf16.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "harness/gpu_check.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/device.hpp"
#include "optimized/common/device_buffer.hpp"
#include "optimized/selective_scan/decay_fast.cuh"
#include "optimized/selective_scan/segment.hpp"
#include "optimized/selective_scan/variants.hpp"
#include "verify/support/env.hpp"
#include "verify/support/selective_scan_chunked_baseline.cuh"

namespace menagerie {
namespace {

namespace ss = opt::selective_scan;
namespace sc = opt::selective_scan::scan;
using cuda::DeviceBuffer;

// Index of the first element whose bits differ, or -1 (sizes must agree).
template <class T>
std::int64_t first_difference(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0) return static_cast<std::int64_t>(i);
  return -1;
}

TEST(SelectiveScanFast, TheBitwiseComparisonFailsOnOneFlippedBit) {
  std::vector<float> a(1000, 0.25f), b = a;
  EXPECT_EQ(first_difference(a, b), -1);
  b[617] = std::bit_cast<float>(std::bit_cast<std::uint32_t>(b[617]) ^ 1u);
  EXPECT_EQ(first_difference(a, b), 617);
  std::vector<float> z(3, 0.f), nz(3, -0.f);
  EXPECT_EQ(first_difference(z, nz), 0) << "+0 and -0 differ in bits";
}

struct Case {
  std::int64_t B, T, D, N;
  float delta_scale, A_scale;
};

std::string describe(const Case& c) {
  char s[160];
  std::snprintf(s, sizeof s, "B=%lld T=%lld D=%lld N=%lld delta x%g A x%g", static_cast<long long>(c.B),
                static_cast<long long>(c.T), static_cast<long long>(c.D), static_cast<long long>(c.N),
                static_cast<double>(c.delta_scale), static_cast<double>(c.A_scale));
  return s;
}

// Storage of S on the host: float as is, bf16 as its bits.
template <class S>
using HostOf = std::conditional_t<std::is_same_v<S, float>, float, std::uint16_t>;

template <class S>
HostOf<S> to_storage(float v) {
  if constexpr (std::is_same_v<S, float>)
    return v;
  else
    return to_bf16(v);
}

template <class S>
std::vector<HostOf<S>> draw(std::int64_t n, float lo, float hi, float scale, std::mt19937_64& rng, int zero_every) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<HostOf<S>> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[i] = to_storage<S>(zero_every && i % zero_every == 3 ? 0.f : u(rng) * scale);
  return v;
}

template <class S>
struct Tensors {
  std::vector<DeviceBuffer<S>> in;  // x, delta, A, B, C, D, dy
  explicit Tensors(const Case& c, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    const std::int64_t btd = c.B * c.T * c.D, btn = c.B * c.T * c.N;
    const std::vector<std::vector<HostOf<S>>> host = {
        draw<S>(btd, -1.f, 1.f, 1.f, rng, 0),                    // x
        draw<S>(btd, 0.05f, 1.f, c.delta_scale, rng, 7),         // delta (every 7th from the 4th exactly 0)
        draw<S>(c.D * c.N, -1.5f, -0.1f, c.A_scale, rng, 0),     // A
        draw<S>(btn, -1.f, 1.f, 1.f, rng, 0),                    // B
        draw<S>(btn, -1.f, 1.f, 1.f, rng, 0),                    // C
        draw<S>(c.D, -1.f, 1.f, 1.f, rng, 0),                    // D
        draw<S>(btd, -1.f, 1.f, 1.f, rng, 0)};                   // dy
    for (const auto& h : host) {
      in.emplace_back(h.size());
      MENAGERIE_CUDA_CHECK(cudaMemcpy(in.back().data(), h.data(), h.size() * sizeof(S), cudaMemcpyHostToDevice));
    }
  }
  sc::Inputs<S> inputs() const {
    return {in[0].data(), in[1].data(), in[2].data(), in[3].data(), in[4].data(), in[5].data()};
  }
  const S* dy() const { return in[6].data(); }
};

// One run's outputs: y, state, then dx, ddelta, dA, dB, dC, dD, each a device buffer.
template <class S>
struct Outputs {
  DeviceBuffer<S> y, dx, ddelta, dA, dB, dC, dD;
  DeviceBuffer<float> state, workspace;
  explicit Outputs(const Case& c)
      : y(c.B * c.T * c.D), dx(c.B * c.T * c.D), ddelta(c.B * c.T * c.D), dA(c.D * c.N), dB(c.B * c.T * c.N),
        dC(c.B * c.T * c.N), dD(c.D) {
    const ss::Problem p{c.B, c.T, c.D, c.N};
    state = DeviceBuffer<float>(sc::state_bytes(p) / sizeof(float));
    workspace = DeviceBuffer<float>(sc::workspace_bytes(p) / sizeof(float));
    // Poison every output (NaN bits 0xFF), so an element a kernel skips differs from the other run's.
    for (auto* b : {&y, &dx, &ddelta, &dA, &dB, &dC, &dD})
      MENAGERIE_CUDA_CHECK(cudaMemset(b->data(), 0xFF, b->bytes()));
    MENAGERIE_CUDA_CHECK(cudaMemset(state.data(), 0xFF, state.bytes()));
  }
  sc::Grads<S> grads() { return {dx.data(), ddelta.data(), dA.data(), dB.data(), dC.data(), dD.data()}; }
};

template <class T>
std::vector<T> host_copy(const DeviceBuffer<T>& d) {
  std::vector<T> h(d.size());
  MENAGERIE_CUDA_CHECK(cudaMemcpy(h.data(), d.data(), d.bytes(), cudaMemcpyDeviceToHost));
  return h;
}

template <class T>
int expect_same_bits(const DeviceBuffer<T>& fast, const DeviceBuffer<T>& base, const std::string& what) {
  const auto f = host_copy(fast), b = host_copy(base);
  const std::int64_t i = first_difference(f, b);
  float fv = 0.f, bv = 0.f;
  if (i >= 0) {
    if constexpr (sizeof(T) == 4)
      std::memcpy(&fv, &f[i], 4), std::memcpy(&bv, &b[i], 4);
    else
      fv = __bfloat162float(f[i]), bv = __bfloat162float(b[i]);
  }
  EXPECT_EQ(i, -1) << what << ": element " << i << " of " << f.size() << " is " << fv << " (new) against " << bv
                   << " (baseline)";
  return i == -1 ? 1 : 0;
}

template <class S>
void expect_bitwise_equal(const Case& c, std::uint64_t seed) {
  const std::string what = std::string(std::is_same_v<S, float> ? "scan_fp32 " : "scan_bf16 ") + describe(c);
  const Tensors<S> t(c, seed);
  Outputs<S> fast(c), base(c);
  const ss::Problem p{c.B, c.T, c.D, c.N};
  const int N = static_cast<int>(c.N);
  sc::forward<S>(p, t.inputs(), fast.y.data(), fast.state.data(), nullptr);
  test::scan_baseline::forward<S>(c.B, c.T, c.D, N, t.inputs(), base.y.data(), base.state.data());
  sc::backward<S>(p, t.inputs(), fast.state.data(), t.dy(), fast.grads(), fast.workspace.data(), nullptr);
  test::scan_baseline::backward<S>(c.B, c.T, c.D, N, t.inputs(), base.state.data(), t.dy(), base.grads(),
                                   base.workspace.data());
  MENAGERIE_CUDA_CHECK(cudaDeviceSynchronize());
  int same = expect_same_bits(fast.y, base.y, what + " y");
  same += expect_same_bits(fast.state, base.state, what + " state (checkpoints)");
  same += expect_same_bits(fast.dx, base.dx, what + " dx");
  same += expect_same_bits(fast.ddelta, base.ddelta, what + " ddelta");
  same += expect_same_bits(fast.dA, base.dA, what + " dA");
  same += expect_same_bits(fast.dB, base.dB, what + " dB");
  same += expect_same_bits(fast.dC, base.dC, what + " dC");
  same += expect_same_bits(fast.dD, base.dD, what + " dD");
  std::printf("%s: %d of 8 tensors bitwise equal\n", what.c_str(), same);
}

std::vector<Case> cases() {
  return {{3, 200, 70, 16, 1.f, 1.f},   {3, 130, 70, 5, 1.f, 1.f},   {2, 97, 33, 1, 1.f, 1.f},
          {3, 1, 70, 16, 1.f, 1.f},     {1, 1000, 96, 16, 1.f, 1.f}, {3, 257, 70, 16, 1e-3f, 1.f},
          {3, 129, 70, 5, 1e2f, 30.f},  {2, 64, 64, 16, 1.f, 1.f}};
}

TEST(SelectiveScanFast, BitwiseEqualsTheChunkedBaseline) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const std::uint64_t seed = test::test_seed();
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  std::uint64_t k = 0;
  for (const Case& c : cases()) {
    if (c.T > harness::gpu_max_t()) continue;
    expect_bitwise_equal<float>(c, seed + k);
    expect_bitwise_equal<__nv_bfloat16>(c, seed + k);
    ++k;
  }
}

// Median milliseconds of f() over 5 timed calls after one warm-up.
template <class F>
double median_ms(F&& f) {
  cudaEvent_t start, stop;
  MENAGERIE_CUDA_CHECK(cudaEventCreate(&start));
  MENAGERIE_CUDA_CHECK(cudaEventCreate(&stop));
  f();
  std::vector<float> ms(5);
  for (float& m : ms) {
    MENAGERIE_CUDA_CHECK(cudaEventRecord(start));
    f();
    MENAGERIE_CUDA_CHECK(cudaEventRecord(stop));
    MENAGERIE_CUDA_CHECK(cudaEventSynchronize(stop));
    MENAGERIE_CUDA_CHECK(cudaEventElapsedTime(&m, start, stop));
  }
  MENAGERIE_CUDA_CHECK(cudaEventDestroy(start));
  MENAGERIE_CUDA_CHECK(cudaEventDestroy(stop));
  std::sort(ms.begin(), ms.end());
  return ms[2];
}

// Mamba's benchmark shape (B 8, T 2048, D 1536, N 16: 384 blocks, more than one SM's worth on every SM): the bits
// again, and both kernels timed on the same device in the same process (printed; kernels_bench is the record).
template <class S>
void expect_equal_and_time_at_bench_shape(std::uint64_t seed) {
  const Case c{8, 2048, 1536, 16, 1.f, 1.f};
  const char* name = std::is_same_v<S, float> ? "scan_fp32" : "scan_bf16";
  expect_bitwise_equal<S>(c, seed);
  const Tensors<S> t(c, seed);
  Outputs<S> o(c);
  const ss::Problem p{c.B, c.T, c.D, c.N};
  const int N = static_cast<int>(c.N);
  const double fwd_new = median_ms([&] { sc::forward<S>(p, t.inputs(), o.y.data(), o.state.data(), nullptr); });
  const double fwd_old = median_ms(
      [&] { test::scan_baseline::forward<S>(c.B, c.T, c.D, N, t.inputs(), o.y.data(), o.state.data()); });
  const double bwd_new = median_ms([&] {
    sc::backward<S>(p, t.inputs(), o.state.data(), t.dy(), o.grads(), o.workspace.data(), nullptr);
  });
  const double bwd_old = median_ms([&] {
    test::scan_baseline::backward<S>(c.B, c.T, c.D, N, t.inputs(), o.state.data(), t.dy(), o.grads(),
                                     o.workspace.data());
  });
  std::printf("%s %s: forward %.3f ms (baseline %.3f ms, %.2fx), backward %.3f ms (baseline %.3f ms, %.2fx)\n", name,
              describe(c).c_str(), fwd_new, fwd_old, fwd_old / fwd_new, bwd_new, bwd_old, bwd_old / bwd_new);
}

TEST(SelectiveScanFast, BitwiseEqualAndTimedAtTheBenchShape) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  if (harness::gpu_max_t() < 2048) GTEST_SKIP() << "T 2048 is above MENAGERIE_GPU_MAX_T (a sanitizer run)";
  const std::uint64_t seed = test::test_seed();
  expect_equal_and_time_at_bench_shape<float>(seed);
  expect_equal_and_time_at_bench_shape<__nv_bfloat16>(seed);
}

// 1 (every pattern), or 4099 under compute-sanitizer.
std::uint64_t sweep_step() { return harness::gpu_max_t() < (std::int64_t{1} << 40) ? 4099 : 1; }

// Every float of magnitude below 1/2: bit patterns 0 .. 0x3EFFFFFF, each with both signs. Mismatches counted, and
// the smallest mismatching pattern kept.
__global__ void expm1_half_vs_expm1f(unsigned long long* mismatches, unsigned* first, std::uint64_t step) {
  constexpr std::uint32_t kEnd = 0x3F000000u;
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x * step;
  unsigned long long local = 0;
  for (std::uint64_t i = (static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x) * step; i < 2ull * kEnd;
       i += stride) {
    const std::uint32_t bits =
        i < kEnd ? static_cast<std::uint32_t>(i) : 0x80000000u | static_cast<std::uint32_t>(i - kEnd);
    const float x = __uint_as_float(bits);
    if (__float_as_uint(ss::expm1_half(x)) != __float_as_uint(expm1f(x))) {
      ++local;
      atomicMin(first, bits);
    }
  }
  if (local) atomicAdd(mismatches, local);
}

TEST(SelectiveScanFast, Expm1HalfEqualsExpm1fOnEveryFloatBelowOneHalf) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  DeviceBuffer<unsigned long long> count(1);
  DeviceBuffer<unsigned> first(1);
  MENAGERIE_CUDA_CHECK(cudaMemset(count.data(), 0, sizeof(unsigned long long)));
  MENAGERIE_CUDA_CHECK(cudaMemset(first.data(), 0xFF, sizeof(unsigned)));
  expm1_half_vs_expm1f<<<132 * 16, 256>>>(count.data(), first.data(), sweep_step());
  MENAGERIE_LAUNCH_CHECK();
  const auto n = host_copy(count)[0];
  const auto f = host_copy(first)[0];
  std::printf("expm1_half vs expm1f over %llu floats in (-1/2, 1/2) (step %llu): %llu mismatches\n",
              2ull * 0x3F000000u, static_cast<unsigned long long>(sweep_step()), n);
  EXPECT_EQ(n, 0u) << "first mismatch at bits 0x" << std::hex << f << " (x = " << std::bit_cast<float>(f) << ")";
}

// All 2^32 bit patterns (NaNs included): decay_fast's (a, e) against decay()'s, as bits.
__global__ void decay_fast_vs_decay(unsigned long long* mismatches, unsigned* first, std::uint64_t step) {
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x * step;
  unsigned long long local = 0;
  for (std::uint64_t i = (static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x) * step; i < (1ull << 32);
       i += stride) {
    const float x = __uint_as_float(static_cast<std::uint32_t>(i));
    const ss::Decay f = ss::decay_fast(x), d = ss::decay(x);
    if (__float_as_uint(f.a) != __float_as_uint(d.a) || __float_as_uint(f.e) != __float_as_uint(d.e)) {
      ++local;
      atomicMin(first, static_cast<std::uint32_t>(i));
    }
  }
  if (local) atomicAdd(mismatches, local);
}

TEST(SelectiveScanFast, DecayFastEqualsDecayOnEveryFloat) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  DeviceBuffer<unsigned long long> count(1);
  DeviceBuffer<unsigned> first(1);
  MENAGERIE_CUDA_CHECK(cudaMemset(count.data(), 0, sizeof(unsigned long long)));
  MENAGERIE_CUDA_CHECK(cudaMemset(first.data(), 0xFF, sizeof(unsigned)));
  decay_fast_vs_decay<<<132 * 16, 256>>>(count.data(), first.data(), sweep_step());
  MENAGERIE_LAUNCH_CHECK();
  const auto n = host_copy(count)[0];
  const auto f = host_copy(first)[0];
  std::printf("decay_fast vs decay over 2^32 bit patterns (step %llu): %llu mismatches\n",
              static_cast<unsigned long long>(sweep_step()), n);
  EXPECT_EQ(n, 0u) << "first mismatch at bits 0x" << std::hex << f << " (x = " << std::bit_cast<float>(f) << ")";
}

}  // namespace
}  // namespace menagerie
