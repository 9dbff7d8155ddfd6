// Attention dropout on the GPU (optimized/common/projected_attention.hpp's DropoutMask path, the one the GPU trainer
// runs for mha and sliding_attn): forward and backward against the CPU trainer's attention with the same Philox masks
// (train/cpu_fast_paths.hpp Attention, stream 1 + layer, the step's seed):
//   y = Wo (drop_p(softmax(q k^T / sqrt(D))) v) + bo,  q, k, v = Wqkv u + b;  drop_p(P) = P keep / (1 - p)
//   oracle     that code in double on the GPU's float inputs (widened)
//   yardstick  the same code in float
// Each of y (forward) and du, dWqkv.weight, dWqkv.bias, dout_proj.weight, dout_proj.bias (gradients) must satisfy
// DESIGN §4's rule relerr(gpu) <= factor relerr(yardstick) + 2^-22 (harness/tolerance.hpp; factor 2 forward, 3
// gradients), relerr = ||x - oracle|| / ||oracle||. A wrong mask bit or scale moves the output by far more than fp32
// rounding. The mixers' shapes come from their WithDropout (optimized/{mha,sliding_attn}/dropout.hpp); several heads
// and T > 16 cover what the plain path would give to flash_tiled_fp32. p = 0 is the plain (evaluation) path. Two runs
// must agree bitwise (the trainer is bitwise repeatable).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "core/random.hpp"
#include "harness/tolerance.hpp"
#include "optimized/common/device.hpp"
#include "optimized/common/device_buffer.hpp"
#include "optimized/common/projected_attention.hpp"
#include "optimized/common/stream.hpp"
#include "optimized/mha/dropout.hpp"
#include "optimized/sliding_attn/dropout.hpp"
#include "train/cpu_fast_paths.hpp"
#include "verify/support/env.hpp"

namespace menagerie::test {
namespace {

namespace pa = opt::projected_attention;
using cuda::DeviceBuffer;

struct Case {
  const char* name;
  pa::Shape shape;
  double p;
  std::int64_t layer;
};

pa::Shape mha(std::int64_t B, std::int64_t T, std::int64_t d, std::int64_t heads) {
  return pa::WithDropout<mixers::mha::Problem>::shape({.B = B, .T = T, .d = d, .heads = heads});
}
pa::Shape sliding(std::int64_t B, std::int64_t T, std::int64_t d, std::int64_t w) {
  return pa::WithDropout<mixers::sliding_attn::Problem>::shape({.B = B, .T = T, .d = d, .window = w});
}

const Case kCases[] = {
    {"mha_h1_T16", mha(3, 16, 16, 1), 0.1, 1},       {"mha_h2_T16", mha(4, 16, 16, 2), 0.1, 1},
    {"mha_h1_T97", mha(2, 97, 64, 1), 0.1, 0},       {"mha_h4_T130_p05", mha(2, 130, 64, 4), 0.5, 3},
    {"sliding_w0_T16", sliding(3, 16, 16, 0), 0.1, 0}, {"sliding_w5_T97", sliding(2, 97, 32, 5), 0.1, 1},
    {"sliding_w40_T300", sliding(1, 300, 64, 40), 0.1, 2}, {"mha_h2_T33_off", mha(2, 33, 16, 2), 0.0, 1},
};

const char* kParams[] = {"Wqkv.weight", "Wqkv.bias", "out_proj.weight", "out_proj.bias"};

// The inputs, drawn in float: u, dy [B T d] uniform in [-1, 1]; weights uniform in +-1/sqrt(d).
struct Inputs {
  std::vector<float> u, dy;
  Named<float> params;
};

Inputs draw(const pa::Shape& s, std::uint64_t seed) {
  const std::int64_t d = s.d, n = s.B * s.T * d;
  const float a = static_cast<float>(1 / std::sqrt(static_cast<double>(d)));
  Inputs in;
  const auto uniform = [&](Shape shape, std::uint64_t stream, float lim) {
    Tensor<float> t(std::move(shape));
    fill_uniform(t.view(), seed, stream, -lim, lim);
    return t;
  };
  const auto u = uniform({n}, 1, 1.f), dy = uniform({n}, 2, 1.f);
  in.u.assign(u.data(), u.data() + n);
  in.dy.assign(dy.data(), dy.data() + n);
  in.params.emplace("Wqkv.weight", uniform({3 * d, d}, 3, a));
  in.params.emplace("Wqkv.bias", uniform({3 * d}, 4, a));
  in.params.emplace("out_proj.weight", uniform({d, d}, 5, a));
  in.params.emplace("out_proj.bias", uniform({d}, 6, a));
  return in;
}

// y, then du, then the parameter gradients in kParams order.
using Outputs = std::vector<std::vector<double>>;

template <class T>
Outputs reference(const Case& c, const Inputs& in, std::uint64_t seed) {
  const auto& s = c.shape;
  const train::kernel_detail::Attention<T> k(s.d, s.heads, s.window);
  Named<T> params, grads;
  for (const char* n : kParams) {
    const auto& t = in.params.at(n);
    Tensor<T> x(t.shape());
    for (std::int64_t i = 0; i < t.numel(); ++i) x.data()[i] = static_cast<T>(t.data()[i]);
    params.emplace(n, std::move(x));
    grads.emplace(n, Tensor<T>(t.shape(), T(0)));
  }
  const std::vector<T> u(in.u.begin(), in.u.end()), dy(in.dy.begin(), in.dy.end());
  std::vector<T> y(u.size()), du(u.size());
  typename train::Kernel<T>::Cache cache;
  const train::Dropout dr{0, c.p, seed, 0};
  k.forward({&params, "", {}}, s.B, s.T, u.data(), y.data(), cache, dr, c.layer);
  typename train::Kernel<T>::Grads g{&grads, ""};
  k.backward({&params, "", {}}, s.B, s.T, u.data(), dy.data(), du.data(), g, cache, dr, c.layer);
  Outputs out{{y.begin(), y.end()}, {du.begin(), du.end()}};
  for (const char* n : kParams) out.emplace_back(grads.at(n).data(), grads.at(n).data() + grads.at(n).numel());
  return out;
}

Outputs gpu(const Case& c, const Inputs& in, std::uint64_t seed) {
  const auto& s = c.shape;
  cuda::Stream st;
  std::vector<DeviceBuffer<float>> keep;
  opt::DeviceArgs a;
  const auto bind = [&](const std::string& name, std::vector<float> host) {
    keep.emplace_back(std::span<const float>(host), st.get());
    a.set(name, keep.back().data());
  };
  const auto n = static_cast<std::size_t>(s.B * s.T * s.d);
  bind("u", in.u);
  bind("dy", in.dy);
  for (const char* name : {"y", "du"}) bind(name, std::vector<float>(n, NAN));
  for (const char* name : kParams) {
    const auto& t = in.params.at(name);
    bind(name, std::vector<float>(t.data(), t.data() + t.numel()));
    bind(cat("d", name), std::vector<float>(static_cast<std::size_t>(t.numel()), NAN));
  }
  std::vector<DeviceBuffer<unsigned char>> scratch;
  auto specs = pa::buffers(s);
  for (const auto& spec : pa::dropout_buffers(s)) specs.push_back(spec);
  for (const auto& spec : specs) {
    scratch.emplace_back(spec.bytes);
    scratch.back().fill_bytes(0xff, st.get());  // NaN floats: whatever is read before it is written shows
    a.set(spec.name, scratch.back().data());
  }
  const auto mask = opt::softmax_attention::dropout_mask(c.p, seed, c.layer);
  pa::forward(s, a, mask, st.get());
  pa::backward(s, a, mask, st.get());
  Outputs out;
  for (const std::string name : {"y", "du", "dWqkv.weight", "dWqkv.bias", "dout_proj.weight", "dout_proj.bias"}) {
    std::vector<float> host(name == "y" || name == "du" ? n : static_cast<std::size_t>(
                                                                  in.params.at(name.substr(1)).numel()));
    MENAGERIE_CUDA_CHECK(cudaMemcpyAsync(host.data(), a.get(name), host.size() * sizeof(float),
                                         cudaMemcpyDeviceToHost, st.get()));
    st.synchronize();
    out.emplace_back(host.begin(), host.end());
  }
  return out;
}

double relerr(const std::vector<double>& x, const std::vector<double>& oracle) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    num += (x[i] - oracle[i]) * (x[i] - oracle[i]);
    den += oracle[i] * oracle[i];
  }
  return std::sqrt(num) / std::sqrt(den);
}

class AttentionDropoutGpu : public ::testing::TestWithParam<Case> {};

TEST_P(AttentionDropoutGpu, FollowsTheReferenceMasks) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const Case& c = GetParam();
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE(cat(c.name, " seed ", seed));
  ASSERT_EQ(pa::unsupported_dropout(c.shape, c.name), "");
  const auto in = draw(c.shape, seed);
  const auto oracle = reference<double>(c, in, seed), yard = reference<float>(c, in, seed);
  const auto got = gpu(c, in, seed), again = gpu(c, in, seed);
  const char* names[] = {"y", "du", "dWqkv.weight", "dWqkv.bias", "dout_proj.weight", "dout_proj.bias"};
  for (std::size_t k = 0; k < oracle.size(); ++k) {
    const double e = relerr(got[k], oracle[k]), ey = relerr(yard[k], oracle[k]);
    const double tol = harness::tolerance(k > 0, ey);
    std::printf("[ %s ] %-16s relerr %.3e yardstick %.3e ratio %.3f\n", c.name, names[k], e, ey, e / tol);
    EXPECT_LE(e, tol) << names[k];
    EXPECT_TRUE(got[k] == again[k]) << names[k] << " differs between two identical runs";
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, AttentionDropoutGpu, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(AttentionDropoutGpuShapes, UnsupportedIsOneLine) {
  EXPECT_NE(pa::unsupported_dropout(mha(1, 1025, 64, 1), "mha").find("T = 1025"), std::string::npos);
  EXPECT_NE(pa::unsupported_dropout(mha(1, 16, 1024, 1), "mha").find("D = 1024"), std::string::npos);
}

}  // namespace
}  // namespace menagerie::test
