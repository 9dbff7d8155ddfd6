// Throughput of the attention-family GPU kernels (optimized/softmax_attention), the harness later kernels reuse.
//   attention_bench --benchmark_out=attention.json --benchmark_out_format=json   (what `menagerie bench attention`
//   runs; bench/attention_torch.py times the PyTorch peers at the same shapes, bench/attention_report.py writes
//   reports/throughput-attention.md and its plot from the two JSON files)
// Method (DESIGN.md §7): every configuration is first verified against the reference at a small size with the
// same variant, head dim and window (verify/support/attention_gpu.hpp, the tests' rule); then inputs of the timed
// shape are filled on the device (random, never zeros), two untimed warm-up calls run, and each timed call is
// bracketed by CUDA events after an L2 flush (a memset of twice the L2). The reported time is the median call.
// Counters: ms (median), TFLOP/s and GB/s from the contract's cost() (causal pairs counted exactly; backward =
// 2.5 x forward FLOPs), and frac_peak, the fraction of this GPU's measured ceiling for the precision (a cuBLAS
// 8192^3 GEMM in bf16, or in fp32 without TF32, timed at start-up and written to the JSON context with the
// device-to-device copy bandwidth).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <functional>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "optimized/common/cublas_handle.hpp"
#include "optimized/common/device.hpp"
#include "optimized/common/random_device.hpp"
#include "optimized/common/stream.hpp"
#include "optimized/linear_attention/variants.hpp"
#include "reference/linear_attention.hpp"
#include "verify/support/attention_gpu.hpp"

namespace {

using namespace menagerie;
using namespace menagerie::test::attention;
using osa::Precision;

struct Peaks {
  double bf16_tflops = 0, fp32_tflops = 0, copy_gbs = 0;
};
Peaks g_peaks;

double time_ms(const std::function<void()>& f, int reps) {
  cuda::Event a, b;
  std::vector<double> ms;
  f();
  for (int i = 0; i < reps; ++i) {
    a.record(nullptr);
    f();
    b.record(nullptr);
    ms.push_back(cuda::elapsed_ms(a, b));
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

Peaks measure_peaks() {
  Peaks pk;
  const int n = 8192;
  cuda::CublasHandle h(nullptr, cuda::MathMode::pedantic);
  cuda::DeviceBuffer<float> a(static_cast<std::size_t>(n) * n), b(static_cast<std::size_t>(n) * n),
      c(static_cast<std::size_t>(n) * n);
  cuda::fill_uniform_device(a.data(), static_cast<std::int64_t>(a.size()), 1, 1, -1.f, 1.f, nullptr);
  cuda::fill_uniform_device(b.data(), static_cast<std::int64_t>(b.size()), 1, 2, -1.f, 1.f, nullptr);
  const float one = 1.f, zero = 0.f;
  const double flops = 2.0 * n * n * static_cast<double>(n);
  pk.fp32_tflops = flops / time_ms([&] {
    MENAGERIE_CUBLAS_CHECK(cublasGemmEx(h.get(), CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a.data(), CUDA_R_32F, n,
                                        b.data(), CUDA_R_32F, n, &zero, c.data(), CUDA_R_32F, n,
                                        CUBLAS_COMPUTE_32F_PEDANTIC, CUBLAS_GEMM_DEFAULT));
  }, 3) / 1e9;
  // bf16 operands: the fp32 buffers' bytes reinterpreted would hold NaNs; convert through a GEMM-free path instead:
  // bf16 values are the high halves of the random fp32 words (finite, O(1)).
  std::vector<float> host(static_cast<std::size_t>(n) * n / 2);
  MENAGERIE_CUDA_CHECK(cudaMemcpy(host.data(), a.data(), host.size() * 4, cudaMemcpyDeviceToHost));
  std::vector<bf16_bits> hb(static_cast<std::size_t>(n) * n);
  for (std::size_t i = 0; i < hb.size(); ++i) hb[i].bits = to_bf16(host[i % host.size()]);
  cuda::DeviceBuffer<bf16_bits> ab(hb), bb(hb), cb(static_cast<std::size_t>(n) * n);
  pk.bf16_tflops = flops / time_ms([&] {
    MENAGERIE_CUBLAS_CHECK(cublasGemmEx(h.get(), CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, ab.data(), CUDA_R_16BF, n,
                                        bb.data(), CUDA_R_16BF, n, &zero, cb.data(), CUDA_R_16BF, n,
                                        CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  }, 5) / 1e9;
  const double bytes = 2.0 * static_cast<double>(a.bytes());
  pk.copy_gbs = bytes / time_ms([&] {
    MENAGERIE_CUDA_CHECK(cudaMemcpyAsync(c.data(), a.data(), a.bytes(), cudaMemcpyDeviceToDevice, nullptr));
  }, 5) / 1e6;
  return pk;
}

struct Config {
  std::string variant;
  bool backward;
  sa::Problem p;
};

// Random O(1) device inputs: Philox on the device for fp32; for bf16 a fixed host block of 2^24 - 1 values
// (odd, so it does not align with rows) copied over the buffer.
void fill_random(DeviceTensor& t, std::size_t n, Precision prec, std::uint64_t stream_id) {
  if (prec == Precision::fp32) {
    cuda::fill_uniform_device(static_cast<float*>(t.ptr()), static_cast<std::int64_t>(n), 7, stream_id, -1.f, 1.f,
                              nullptr);
    return;
  }
  static const std::vector<bf16_bits> block = [] {
    Tensor<double> x({(std::int64_t{1} << 24) - 1});
    fill_uniform(x.view(), 7, 99, -1.0, 1.0);
    std::vector<bf16_bits> b(static_cast<std::size_t>(x.numel()));
    for (std::size_t i = 0; i < b.size(); ++i) b[i].bits = to_bf16(static_cast<float>(x.data()[i]));
    return b;
  }();
  auto* dst = static_cast<bf16_bits*>(t.ptr());
  const std::size_t shift = static_cast<std::size_t>(stream_id) * 4099 % block.size();
  for (std::size_t at = 0; at < n;) {
    const std::size_t len = std::min(n - at, block.size() - shift);
    MENAGERIE_CUDA_CHECK(cudaMemcpy(dst + at, block.data() + shift, len * 2, cudaMemcpyHostToDevice));
    at += len;
  }
}

void run(benchmark::State& state, const Config& c) {
  const auto& var = osa::variant(c.variant, c.p);
  {  // verify, then time: the same variant, head dims and window at a small size
    sa::Problem small = c.p;
    small.B = 1, small.H = 2, small.T = std::min<std::int64_t>(c.p.T, 193);
    for (const auto& m : check(var, small, 20261202, c.backward))
      if (!m.pass()) {
        state.SkipWithError(cat("verification failed: ", m.name, " relerr ", m.kernel, " > ", m.tolerance).c_str());
        return;
      }
  }
  const auto& p = c.p;
  DeviceProblem dp(var, p);
  const std::size_t nq = static_cast<std::size_t>(p.B * p.T * p.H * p.D), nv = static_cast<std::size_t>(p.B * p.T * p.H * p.Dv);
  fill_random(dp.q, nq, var.precision, 1);
  fill_random(dp.k, nq, var.precision, 2);
  fill_random(dp.v, nv, var.precision, 3);
  fill_random(dp.dO, nv, var.precision, 4);
  var.forward(p, dp.forward_args(), nullptr);
  const auto call = [&] {
    if (c.backward)
      var.backward(p, dp.backward_args(), nullptr);
    else
      var.forward(p, dp.forward_args(), nullptr);
  };
  call();
  call();
  MENAGERIE_CUDA_CHECK(cudaDeviceSynchronize());
  cuda::DeviceBuffer<unsigned char> flush(2 * std::max<std::size_t>(device_report().gpus.at(0).l2_bytes, 1 << 20));
  cuda::Event start, stop;
  std::vector<double> ms;
  for (auto _ : state) {
    flush.fill_bytes(static_cast<unsigned char>(ms.size()), nullptr);
    start.record(nullptr);
    call();
    stop.record(nullptr);
    const double t = cuda::elapsed_ms(start, stop);
    ms.push_back(t);
    state.SetIterationTime(t / 1e3);
  }
  std::sort(ms.begin(), ms.end());
  const double med = ms[ms.size() / 2] / 1e3;
  const Cost cost = sa::cost(p);
  const double flops = cost.flops * (c.backward ? cost.backward_flops_factor : 1.0);
  const double elem = var.precision == Precision::bf16 ? 2.0 : 4.0;
  const double rows = static_cast<double>(p.B * p.T * p.H);
  const double extra = rows * 4.0 + static_cast<double>(var.saved_bytes(p));  // lse and the saved state
  const double bytes =
      (c.backward ? rows * static_cast<double>(4 * p.D + 4 * p.Dv) * elem : cost.hbm_elements * elem) + extra;
  const double peak = var.precision == Precision::bf16 ? g_peaks.bf16_tflops : g_peaks.fp32_tflops;
  state.counters["ms"] = med * 1e3;
  state.counters["TFLOP/s"] = flops / med / 1e12;
  state.counters["GB/s"] = bytes / med / 1e9;
  state.counters["frac_peak"] = flops / med / 1e12 / peak;
  state.counters["B"] = static_cast<double>(p.B);
  state.counters["T"] = static_cast<double>(p.T);
  state.counters["H"] = static_cast<double>(p.H);
  state.counters["D"] = static_cast<double>(p.D);
  state.counters["window"] = static_cast<double>(p.window);
  state.counters["backward"] = c.backward ? 1 : 0;
}

// Based (linear_attention, taylor_exp, F = 16, Dv = 64, normalised): chunked_smem forward, backward, and the two
// in one timed region (what the PyTorch peer's autograd step does). Verified first at T = 97 against the reference.
namespace la = ops::linear_attention;
namespace ola = opt::linear_attention;

bool verify_linear(const la::Problem& big, std::string& why) {
  la::Problem p = big;
  p.B = 1, p.H = 2, p.T = 97;
  auto specs = la::tensors(p);
  for (auto& s : specs) s.role = Role::input;
  const auto all = ref::convert<double>(ref::convert<float>(ref::random_inputs(specs, 20261202)));
  Named<double> in, dO;
  for (const char* n : {"q", "k", "v"}) in.emplace(n, all.at(n));
  dO.emplace("o", all.at("o"));
  const auto up = [](const Tensor<double>& x) {
    std::vector<float> f(static_cast<std::size_t>(x.numel()));
    for (std::size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(x.data()[i]);
    return cuda::DeviceBuffer<float>(std::span<const float>(f));
  };
  auto q = up(in.at("q")), k = up(in.at("k")), v = up(in.at("v")), g = up(dO.at("o"));
  cuda::DeviceBuffer<float> o(v.size()), den(static_cast<std::size_t>(p.B * p.H * p.T)), dq(q.size()), dk(k.size()),
      dv(v.size());
  for (auto* b : {&o, &den, &dq, &dk, &dv}) b->fill_nan();
  ola::chunked_smem::forward(p, {q.data(), k.data(), v.data(), o.data(), den.data()}, nullptr);
  ola::chunked_smem::backward(p, {q.data(), k.data(), v.data(), o.data(), g.data(), den.data(), dq.data(), dk.data(), dv.data()}, nullptr);
  MENAGERIE_CUDA_CHECK(cudaDeviceSynchronize());
  const auto outs = la::tensors(p);
  Named<double> oracle = allocate<double>(outs, Role::output, NAN), grads;
  la::reference_forward<double>(p, in, oracle);
  la::reference_backward<double>(p, in, dO, grads);
  const auto in_f = ref::convert<float>(in);
  Named<float> yard = allocate<float>(outs, Role::output, NAN), gy;
  la::reference_forward<float>(p, in_f, yard);
  la::reference_backward<float>(p, in_f, ref::convert<float>(dO), gy);
  const auto cmp = [&](const char* name, const cuda::DeviceBuffer<float>& d, const Tensor<double>& orc,
                       const Tensor<float>& y, bool grad) {
    const auto h = d.download();
    Tensor<double> x(orc.shape());
    for (std::size_t i = 0; i < h.size(); ++i) x.data()[i] = h[i];
    const auto om = ref::convert<Mp>(orc);
    const double e = ref::relerr(x, om), tol = test::tolerance(test::Dtype::f32, grad, ref::relerr(y, om));
    if (!(e <= tol)) why = cat(name, " relerr ", e, " > ", tol);
    return e <= tol;
  };
  return cmp("o", o, oracle.at("o"), yard.at("o"), false) & cmp("dq", dq, grads.at("q"), gy.at("q"), true) &
         cmp("dk", dk, grads.at("k"), gy.at("k"), true) & cmp("dv", dv, grads.at("v"), gy.at("v"), true);
}

void run_linear(benchmark::State& state, const la::Problem& p, int mode) {  // mode 0 fwd, 1 bwd, 2 fwd+bwd
  std::string why;
  if (!verify_linear(p, why)) {
    state.SkipWithError(cat("verification failed: ", why).c_str());
    return;
  }
  const std::size_t nq = static_cast<std::size_t>(p.B * p.T * p.H * p.F), nv = static_cast<std::size_t>(p.B * p.T * p.H * p.Dv);
  cuda::DeviceBuffer<float> q(nq), k(nq), v(nv), dO(nv), o(nv), den(static_cast<std::size_t>(p.B * p.H * p.T)), dq(nq),
      dk(nq), dv(nv);
  cuda::fill_uniform_device(q.data(), static_cast<std::int64_t>(nq), 7, 1, -1.f, 1.f, nullptr);
  cuda::fill_uniform_device(k.data(), static_cast<std::int64_t>(nq), 7, 2, -1.f, 1.f, nullptr);
  cuda::fill_uniform_device(v.data(), static_cast<std::int64_t>(nv), 7, 3, -1.f, 1.f, nullptr);
  cuda::fill_uniform_device(dO.data(), static_cast<std::int64_t>(nv), 7, 4, -1.f, 1.f, nullptr);
  const ola::ForwardArgs fa{q.data(), k.data(), v.data(), o.data(), den.data()};
  const ola::BackwardArgs ba{q.data(), k.data(), v.data(), o.data(), dO.data(), den.data(), dq.data(), dk.data(), dv.data()};
  ola::chunked_smem::forward(p, fa, nullptr);
  const auto call = [&] {
    if (mode != 1) ola::chunked_smem::forward(p, fa, nullptr);
    if (mode != 0) ola::chunked_smem::backward(p, ba, nullptr);
  };
  call();
  call();
  MENAGERIE_CUDA_CHECK(cudaDeviceSynchronize());
  cuda::DeviceBuffer<unsigned char> flush(2 * std::max<std::size_t>(device_report().gpus.at(0).l2_bytes, 1 << 20));
  cuda::Event start, stop;
  std::vector<double> ms;
  for (auto _ : state) {
    flush.fill_bytes(static_cast<unsigned char>(ms.size()), nullptr);
    start.record(nullptr);
    call();
    stop.record(nullptr);
    const double t = cuda::elapsed_ms(start, stop);
    ms.push_back(t);
    state.SetIterationTime(t / 1e3);
  }
  std::sort(ms.begin(), ms.end());
  const double med = ms[ms.size() / 2] / 1e3;
  const Cost cost = la::cost(p);
  const double flops = cost.flops * (mode == 0 ? 1.0 : mode == 1 ? cost.backward_flops_factor : 1.0 + cost.backward_flops_factor);
  const double bytes = cost.hbm_elements * 4.0 * (mode == 0 ? 1.0 : mode == 1 ? 2.0 : 3.0);
  state.counters["ms"] = med * 1e3;
  state.counters["TFLOP/s"] = flops / med / 1e12;
  state.counters["GB/s"] = bytes / med / 1e9;
  state.counters["frac_peak"] = flops / med / 1e12 / g_peaks.fp32_tflops;
  state.counters["B"] = static_cast<double>(p.B);
  state.counters["T"] = static_cast<double>(p.T);
  state.counters["H"] = static_cast<double>(p.H);
  state.counters["F"] = static_cast<double>(p.F);
  state.counters["Dv"] = static_cast<double>(p.Dv);
  state.counters["mode"] = mode;
}

sa::Problem shape(std::int64_t B, std::int64_t T, std::int64_t H, std::int64_t D, std::int64_t window = -1) {
  sa::Problem p;
  p.B = B, p.T = T, p.H = H, p.D = D, p.Dv = D, p.window = window;
  return p;
}

void register_all() {
  std::vector<Config> cs;
  for (std::int64_t D : {64, 128})
    for (std::int64_t T : {1024, 4096, 16384}) {
      cs.push_back({"flash_wgmma_bf16", false, shape(8, T, 16, D)});  // its backward is flash_tiled_bf16's
      cs.push_back({"flash_tiled_bf16", false, shape(8, T, 16, D)});
      cs.push_back({"flash_tiled_bf16", true, shape(8, T, 16, D)});
      cs.push_back({"flash_tiled_fp32", false, shape(8, T, 16, D)});
      if (T <= 4096) cs.push_back({"flash_tiled_fp32", true, shape(8, T, 16, D)});
    }
  for (const char* v : {"flash_wgmma_bf16", "flash_tiled_bf16"})
    cs.push_back({v, false, shape(8, 16384, 16, 64, 1024)});  // sliding window skips tiles
  // The Zoology shape: one head, head dim = d_model.
  for (const char* v : {"gemm_cublas_bf16", "gemm_cublas_fp32"})
    for (std::int64_t D : {128, 512}) {
      cs.push_back({v, false, shape(8, 1024, 1, D)});
      cs.push_back({v, true, shape(8, 1024, 1, D)});
    }
  for (const char* v : {"flash_tiled_bf16", "flash_tiled_fp32"}) {
    cs.push_back({v, false, shape(8, 1024, 1, 128)});
    cs.push_back({v, true, shape(8, 1024, 1, 128)});
  }
  cs.push_back({"flash_wgmma_bf16", false, shape(8, 1024, 1, 128)});
  for (std::int64_t T : {1024, 4096, 16384})
    for (int mode : {0, 1, 2}) {
      la::Problem p;
      p.B = 8, p.T = T, p.H = 16, p.F = 16, p.Dv = 64;
      const char* m = mode == 0 ? "fwd" : mode == 1 ? "bwd" : "fwdbwd";
      benchmark::RegisterBenchmark(cat("linear_attention/chunked_smem/", m, "/B:8/T:", T, "/H:16/F:16/Dv:64").c_str(),
                                   [p, mode](benchmark::State& s) { run_linear(s, p, mode); })
          ->UseManualTime()
          ->Iterations(T >= 16384 ? 3 : 10)
          ->Unit(benchmark::kMillisecond);
    }
  for (const auto& c : cs) {
    const auto& p = c.p;
    const std::string name = cat("softmax_attention/", c.variant, c.backward ? "/bwd" : "/fwd", "/B:", p.B,
                                 "/T:", p.T, "/H:", p.H, "/D:", p.D, p.window >= 0 ? cat("/window:", p.window) : "");
    // about half a second of timed calls per configuration, at least 3
    const double est_rate = c.variant.find("bf16") != std::string::npos ? 2e14 : 1.5e13;
    const double est = sa::cost(p).flops * (c.backward ? 2.5 : 1.0) / est_rate;
    const auto iters = static_cast<benchmark::IterationCount>(std::clamp(0.5 / est, 3.0, 50.0));
    benchmark::RegisterBenchmark(name.c_str(), [c](benchmark::State& s) { run(s, c); })
        ->UseManualTime()
        ->Iterations(iters)
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (!gpu_available()) {
    std::fprintf(stderr, "attention_bench: no GPU visible; nothing to time\n");
    return 2;
  }
  const Provenance prov = current_provenance();
  const nlohmann::json pj = to_json(prov);
  for (auto it = pj.begin(); it != pj.end(); ++it)
    benchmark::AddCustomContext("menagerie_" + it.key(), it->is_string() ? it->get<std::string>() : it->dump());
  g_peaks = measure_peaks();
  benchmark::AddCustomContext("peak_bf16_gemm_tflops", cat(g_peaks.bf16_tflops));
  benchmark::AddCustomContext("peak_fp32_gemm_tflops", cat(g_peaks.fp32_tflops));
  benchmark::AddCustomContext("peak_copy_gbs", cat(g_peaks.copy_gbs));
  benchmark::AddCustomContext("timing", "CUDA events per call, L2 flushed before each, median; 2 warm-up calls");
  std::fprintf(stderr, "peaks: bf16 GEMM %.1f TFLOP/s, fp32 GEMM (no TF32) %.1f TFLOP/s, copy %.0f GB/s\n",
               g_peaks.bf16_tflops, g_peaks.fp32_tflops, g_peaks.copy_gbs);
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
