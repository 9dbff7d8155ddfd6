// GPU linear attention (optimized/linear_attention: chunked_smem forward/backward, recurrent_step) against the CPU
// reference by the tolerance rule of verify/support/tolerances.hpp (oracle: the double reference on the float
// inputs; yardstick: the float reference): taylor_exp (Based) with F = 8 and 16, identity, with and without
// normalisation, at T = 1, 7, chunk - 1, chunk, chunk + 1, 97, 1000, 1025 (and 4096 forward, against the recurrent
// reference, which is linear in T); the step kernel token by token; causality; bitwise determinism of forward and
// backward; unsupported shapes rejected with a ShapeError. Outputs are NaN-filled before every launch.
// MENAGERIE_ATTENTION_MAX_T (default: no limit) drops longer problems, as in softmax_attention_gpu_test.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/device.hpp"
#include "optimized/common/device_buffer.hpp"
#include "optimized/linear_attention/variants.hpp"
#include "reference/linear_attention.hpp"
#include "reference/numerics.hpp"
#include "verify/support/env.hpp"
#include "verify/support/tolerances.hpp"

namespace menagerie {
namespace {

namespace la = ops::linear_attention;
namespace ola = opt::linear_attention;
using cuda::DeviceBuffer;

std::int64_t max_t() {
  const char* v = std::getenv("MENAGERIE_ATTENTION_MAX_T");
  return v && *v ? std::atoll(v) : std::int64_t{1} << 40;
}

la::Problem problem(std::int64_t B, std::int64_t T, std::int64_t H, std::int64_t F, std::int64_t Dv,
                    la::FeatureMap fm = la::FeatureMap::taylor_exp, bool normalize = true, double eps = 1e-12) {
  la::Problem p;
  p.B = B, p.T = T, p.H = H, p.F = F, p.Dv = Dv, p.feature_map = fm, p.normalize = normalize, p.eps = eps;
  return p;
}

std::string describe(const la::Problem& p) {
  return cat("B=", p.B, " T=", p.T, " H=", p.H, " F=", p.F, " Dv=", p.Dv, " ", la::to_string(p.feature_map),
             p.normalize ? " normalize" : "", " eps=", p.eps);
}

DeviceBuffer<float> upload(const Tensor<double>& x) {
  std::vector<float> f(static_cast<std::size_t>(x.numel()));
  for (std::size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(x.data()[i]);
  return DeviceBuffer<float>(std::span<const float>(f));
}

Tensor<double> download(const DeviceBuffer<float>& d, const Shape& shape) {
  const auto f = d.download();
  Tensor<double> x(shape);
  for (std::size_t i = 0; i < f.size(); ++i) x.data()[i] = f[i];
  return x;
}

struct Inputs {
  Named<double> in, dO;  // float-representable values
};

Inputs inputs(const la::Problem& p, std::uint64_t seed) {
  auto specs = la::tensors(p);
  for (auto& s : specs) s.role = Role::input;
  auto all = ref::convert<double>(ref::convert<float>(ref::random_inputs(specs, seed)));
  Inputs r;
  for (const char* n : {"q", "k", "v"}) r.in.emplace(n, all.at(n));
  r.dO.emplace("o", all.at("o"));
  return r;
}

// One GPU forward (+ backward); returns o (and dq, dk, dv).
struct GpuRun {
  Tensor<double> o, dq, dk, dv;
};

GpuRun run_gpu(const la::Problem& p, const Inputs& x, bool backward) {
  const auto specs = la::tensors(p);
  auto q = upload(x.in.at("q")), k = upload(x.in.at("k")), v = upload(x.in.at("v")), dO = upload(x.dO.at("o"));
  DeviceBuffer<float> o(static_cast<std::size_t>(p.B * p.T * p.H * p.Dv)), den(static_cast<std::size_t>(p.B * p.H * p.T));
  o.fill_nan();
  den.fill_nan();
  ola::chunked_smem::forward(p, {q.data(), k.data(), v.data(), o.data(), den.data()}, nullptr);
  MENAGERIE_CUDA_CHECK(cudaDeviceSynchronize());
  GpuRun r;
  r.o = download(o, specs[3].shape);
  if (!backward) return r;
  DeviceBuffer<float> dq(q.size()), dk(k.size()), dv(v.size());
  dq.fill_nan();
  dk.fill_nan();
  dv.fill_nan();
  ola::chunked_smem::backward(
      p, {q.data(), k.data(), v.data(), o.data(), dO.data(), den.data(), dq.data(), dk.data(), dv.data()}, nullptr);
  MENAGERIE_CUDA_CHECK(cudaDeviceSynchronize());
  r.dq = download(dq, specs[0].shape);
  r.dk = download(dk, specs[1].shape);
  r.dv = download(dv, specs[2].shape);
  return r;
}

void expect_rule(const char* name, const Tensor<double>& got, const Tensor<double>& oracle, const Tensor<float>& yard,
                 bool gradient, const std::string& what) {
  const auto om = ref::convert<Mp>(oracle);
  const double err = ref::relerr(got, om), ye = ref::relerr(yard, om);
  const double tol = test::tolerance(test::Dtype::f32, gradient, ye);
  const bool ok = ref::all_finite(got) && err <= tol;
  std::printf("  %-70s %-3s relerr %.3e  yardstick %.3e  tolerance %.3e  %s\n", what.c_str(), name, err, ye, tol,
              ok ? "ok" : "FAIL");
  std::fflush(stdout);
  EXPECT_TRUE(ok) << what << " " << name << ": relerr " << err << " > tolerance " << tol << " (yardstick " << ye
                  << "); replay with " << test::replay_line();
}

std::vector<la::Problem> grid() {
  using enum la::FeatureMap;
  std::vector<la::Problem> g;
  for (std::int64_t F : {8, 16})
    for (std::int64_t T : {1, 7, 31, 32, 33, 97})  // T = 1: o = v A / (A + eps) needs an O(1) eps to depend on q, k
      g.push_back(problem(2, T, 2, F, T == 97 ? 64 : 37, taylor_exp, true, T == 1 ? 0.25 : 1e-12));
  g.push_back(problem(1, 1000, 1, 16, 64));
  g.push_back(problem(1, 1025, 2, 8, 64));
  g.push_back(problem(2, 97, 2, 16, 16, taylor_exp, false, 0));
  g.push_back(problem(2, 97, 3, 5, 24, identity, true, 1e-6));
  g.push_back(problem(1, 200, 2, 16, 64, identity, false, 0));
  std::erase_if(g, [](const la::Problem& p) { return p.T > max_t(); });
  return g;
}

TEST(LinearAttentionGpu, ChunkedForwardBackwardMatchReference) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  std::uint64_t seed = test::test_seed();
  for (const auto& p : grid()) {
    const auto x = inputs(p, seed++);
    const auto gpu = run_gpu(p, x, true);
    const auto specs = la::tensors(p);
    Named<double> oracle = allocate<double>(specs, Role::output, NAN);
    la::reference_forward<double>(p, x.in, oracle);
    const auto in_f = ref::convert<float>(x.in);
    Named<float> yard = allocate<float>(specs, Role::output, NAN);
    la::reference_forward<float>(p, in_f, yard);
    expect_rule("o", gpu.o, oracle.at("o"), yard.at("o"), false, cat("chunked_smem fwd ", describe(p)));
    Named<double> g;
    la::reference_backward<double>(p, x.in, x.dO, g);
    Named<float> gy;
    la::reference_backward<float>(p, in_f, ref::convert<float>(x.dO), gy);
    expect_rule("dq", gpu.dq, g.at("q"), gy.at("q"), true, cat("chunked_smem bwd ", describe(p)));
    expect_rule("dk", gpu.dk, g.at("k"), gy.at("k"), true, cat("chunked_smem bwd ", describe(p)));
    expect_rule("dv", gpu.dv, g.at("v"), gy.at("v"), true, cat("chunked_smem bwd ", describe(p)));
  }
}

// T = 4096 (Based's benchmark length) against the recurrent reference, linear in T.
TEST(LinearAttentionGpu, ChunkedForwardLongSequence) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const auto p = problem(1, std::min<std::int64_t>(4096, max_t()), 2, 16, 64);
  const auto x = inputs(p, test::test_seed());
  const auto gpu = run_gpu(p, x, false);
  const auto specs = la::tensors(p);
  Named<double> oracle = allocate<double>(specs, Role::output, NAN);
  la::reference_forward_recurrent<double>(p, x.in, oracle);
  Named<float> yard = allocate<float>(specs, Role::output, NAN);
  la::reference_forward_recurrent<float>(p, ref::convert<float>(x.in), yard);
  expect_rule("o", gpu.o, oracle.at("o"), yard.at("o"), false, cat("chunked_smem fwd ", describe(p)));
}

TEST(LinearAttentionGpu, RecurrentStepMatchesReference) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  std::uint64_t seed = test::test_seed();
  const std::int64_t cap = std::min<std::int64_t>(50, max_t());
  for (const auto& p : {problem(2, cap, 3, 16, 64), problem(1, std::min<std::int64_t>(40, cap), 2, 8, 37),
                        problem(2, std::min<std::int64_t>(33, cap), 2, 5, 9, la::FeatureMap::identity, true, 1e-6)}) {
    const auto x = inputs(p, seed++);
    const std::int64_t Fp = p.expanded_dim();
    DeviceBuffer<float> S(static_cast<std::size_t>(p.B * p.H * Fp * p.Dv)), z(static_cast<std::size_t>(p.B * p.H * Fp));
    S.fill_bytes(0);
    z.fill_bytes(0);
    Tensor<double> o({p.B, p.T, p.H, p.Dv});
    for (std::int64_t t = 0; t < p.T; ++t) {
      const auto slice = [&](const char* n) { return upload(to_tensor(x.in.at(n).view().select(1, t))); };
      auto qt = slice("q"), kt = slice("k"), vt = slice("v");
      DeviceBuffer<float> ot(static_cast<std::size_t>(p.B * p.H * p.Dv));
      ot.fill_nan();
      ola::recurrent_step::step(p, {qt.data(), kt.data(), vt.data(), S.data(), z.data(), ot.data()}, nullptr);
      const auto h = ot.download();
      for (std::int64_t b = 0; b < p.B; ++b)
        for (std::int64_t hh = 0; hh < p.H; ++hh)
          for (std::int64_t e = 0; e < p.Dv; ++e)
            o(b, t, hh, e) = h[static_cast<std::size_t>((b * p.H + hh) * p.Dv + e)];
    }
    const auto specs = la::tensors(p);
    Named<double> oracle = allocate<double>(specs, Role::output, NAN);
    la::reference_forward_recurrent<double>(p, x.in, oracle);
    Named<float> yard = allocate<float>(specs, Role::output, NAN);
    la::reference_forward_recurrent<float>(p, ref::convert<float>(x.in), yard);
    expect_rule("o", o, oracle.at("o"), yard.at("o"), false, cat("recurrent_step ", describe(p)));
  }
}

TEST(LinearAttentionGpu, CausalityAndDeterminism) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  const auto p = problem(2, std::min<std::int64_t>(130, std::max<std::int64_t>(max_t(), 40)), 2, 16, 64);
  const auto x = inputs(p, test::test_seed());
  auto changed = x;
  const auto noise = inputs(p, test::test_seed() + 1);
  const std::int64_t t0 = p.T / 2;
  for (const char* n : {"q", "k", "v"}) {
    auto& a = changed.in.at(n);
    const std::int64_t per_t = a.numel() / (p.B * p.T);
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t i = (b * p.T + t0 + 1) * per_t; i < (b + 1) * p.T * per_t; ++i)
        a.data()[i] = noise.in.at(n).data()[i];
  }
  const auto r1 = run_gpu(p, x, true), r2 = run_gpu(p, x, true), rc = run_gpu(p, changed, false);
  const auto same = [](const Tensor<double>& a, const Tensor<double>& b) {
    return std::memcmp(a.data(), b.data(), static_cast<std::size_t>(a.numel()) * sizeof(double)) == 0;
  };
  EXPECT_TRUE(same(r1.o, r2.o)) << "forward differs between identical runs";
  EXPECT_TRUE(same(r1.dq, r2.dq) && same(r1.dk, r2.dk) && same(r1.dv, r2.dv)) << "backward differs between runs";
  const std::int64_t row = p.H * p.Dv;
  for (std::int64_t b = 0; b < p.B; ++b) {
    EXPECT_EQ(0, std::memcmp(r1.o.data() + b * p.T * row, rc.o.data() + b * p.T * row,
                             static_cast<std::size_t>((t0 + 1) * row) * sizeof(double)))
        << "outputs up to t0 = " << t0 << " changed when later inputs changed";
    EXPECT_NE(0, std::memcmp(r1.o.data() + (b * p.T + t0 + 1) * row, rc.o.data() + (b * p.T + t0 + 1) * row,
                             static_cast<std::size_t>((p.T - t0 - 1) * row) * sizeof(double)));
  }
}

TEST(LinearAttentionGpu, UnsupportedShapesAreShapeErrors) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  EXPECT_NE(ola::chunked_smem::unsupported(problem(1, 8, 1, 12, 8)).find("F = 12"), std::string::npos);
  EXPECT_NE(ola::chunked_smem::unsupported(problem(1, 8, 1, 16, 65)).find("Dv = 65"), std::string::npos);
  EXPECT_TRUE(ola::chunked_smem::unsupported(problem(1, 8, 1, 16, 64)).empty());
  EXPECT_THROW(ola::chunked_smem::forward(problem(1, 8, 1, 12, 8), {nullptr, nullptr, nullptr, nullptr, nullptr}, nullptr),
               ShapeError);
}

}  // namespace
}  // namespace menagerie
