// Throughput of every GPU kernel variant, generic over the operators with kernels (harness/kernels.hpp) and the
// cases their contracts declare (gpu_bench_cases(): problem, variants, directions).
//   kernels_bench --cases-out=cases.json --benchmark_out=kernels.json --benchmark_out_format=json
//   kernels_bench --smoke        every case once at a tiny size (T <= 64, B = 1; the gpu ctest kernels_bench_smoke)
//   --ops=a,b                    only those operators' cases are registered, timed and written to the cases file
//                                (default: every operator with kernels); an unknown name is a one-line error, exit 2
//   --error-out=FILE             the error of every variant against the double reference over the contract's
//                                gpu_error_sweep() (for each operator of --ops that declares one): one JSON row per
//                                problem, variant and tensor (harness::check_accuracy, forward and backward: relerr,
//                                yardstick, tolerance and the conditioning term it includes), with
//                                the provenance and the seed; then the extreme-input cases of harness/
//                                extreme_cases.hpp (wkv, selective_scan: the error against the decay range), rows
//                                with "scale" and "case". It runs first, before the ceilings are measured; when
//                                it is the only work asked for (no --cases-out and no --benchmark_* flag) the
//                                program exits after it without timing anything. Rows that miss the tolerance are
//                                information (where bf16 stops being adequate), not a failure: exit 0.
//   --seed=N                     the seed of every accuracy check (default 20261202; printed)
//   --benchmark_filter=REGEX     (Google Benchmark's) also restricts the cases file to the cases it selects (a leading
//                                '-' negates, as there), and is recorded in the JSON context as menagerie_filter
// `menagerie bench kernels` runs it (--ops=softmax_attention,linear_attention), then the PyTorch peers
// (bench/attention_torch.py) on the cases file it wrote, the same grid, and bench/attention_report.py;
// `menagerie bench conv` runs it with --ops=short_conv,long_conv and --error-out, then bench/conv_torch.py and
// bench/conv_report.py; `menagerie bench recurrent` with --ops=wkv,selective_scan and --error-out, then
// bench/recurrent_torch.py and bench/recurrent_report.py.
// Method (docs/kernels.md §4): each case is first verified (harness/gpu_check.hpp, the tests' rule) at a small size with
// the same variant and dims; then inputs of the timed shape are uploaded (random O(1), never zeros), two untimed
// warm-up calls run, and each timed call is bracketed by CUDA events after an L2 flush (harness/timing.hpp); the
// reported time is the median. Counters: ms (median), TFLOP/s from the contract's cost() (backward = 2.5 x forward
// FLOPs, fwdbwd 3.5 x), GB/s from its minimum HBM elements times the dtype size (x2 backward, x3 fwdbwd), frac_peak
// against this GPU's measured ceiling for the dtype (a cuBLAS 8192^3 GEMM in bf16, or fp32 without TF32), and the
// contract's bench_fields. The JSON context carries provenance and the ceilings (peak_bf16_gemm_tflops,
// peak_fp32_gemm_tflops, peak_copy_gbs: a device-to-device cudaMemcpy of 256 MiB, read + write bytes per second).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/io/atomic_file.hpp"
#include "core/provenance.hpp"
#include "harness/extreme_cases.hpp"
#include "harness/kernels.hpp"
#include "harness/timing.hpp"
#include "optimized/common/cublas_handle.hpp"
#include "optimized/common/device.hpp"
#include "optimized/common/random_device.hpp"

namespace {

using namespace menagerie;

struct Peaks {
  double bf16_tflops = 0, fp32_tflops = 0, copy_gbs = 0;
};
Peaks g_peaks;
bool g_smoke = false;
std::uint64_t g_seed = 20261202;
std::vector<std::string> g_ops;  // --ops: empty = every operator with kernels

bool selected(std::string_view id) {
  return g_ops.empty() || std::find(g_ops.begin(), g_ops.end(), id) != g_ops.end();
}

Peaks measure_peaks() {
  Peaks pk;
  const int n = 8192;
  harness::Timer timer;
  cuda::CublasHandle h(nullptr, cuda::MathMode::pedantic);
  const std::size_t nn = static_cast<std::size_t>(n) * n;
  cuda::DeviceBuffer<float> a(nn), b(nn), c(nn);
  cuda::fill_uniform_device(a.data(), static_cast<std::int64_t>(nn), 1, 1, -1.f, 1.f, nullptr);
  cuda::fill_uniform_device(b.data(), static_cast<std::int64_t>(nn), 1, 2, -1.f, 1.f, nullptr);
  const float one = 1.f, zero = 0.f;
  const double flops = 2.0 * n * n * static_cast<double>(n);
  pk.fp32_tflops = flops / timer.median([&] {
    MENAGERIE_CUBLAS_CHECK(cublasGemmEx(h.get(), CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a.data(), CUDA_R_32F, n,
                                        b.data(), CUDA_R_32F, n, &zero, c.data(), CUDA_R_32F, n,
                                        CUBLAS_COMPUTE_32F_PEDANTIC, CUBLAS_GEMM_DEFAULT));
  }, 3) / 1e9;
  // bf16 operands: the high halves of random fp32 words (finite, O(1)).
  std::vector<float> host(nn / 2);
  MENAGERIE_CUDA_CHECK(cudaMemcpy(host.data(), a.data(), host.size() * 4, cudaMemcpyDeviceToHost));
  std::vector<bf16_bits> hb(nn);
  for (std::size_t i = 0; i < hb.size(); ++i) hb[i].bits = to_bf16(host[i % host.size()]);
  cuda::DeviceBuffer<bf16_bits> ab(hb), bb(hb), cb(nn);
  pk.bf16_tflops = flops / timer.median([&] {
    MENAGERIE_CUBLAS_CHECK(cublasGemmEx(h.get(), CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, ab.data(), CUDA_R_16BF, n,
                                        bb.data(), CUDA_R_16BF, n, &zero, cb.data(), CUDA_R_16BF, n,
                                        CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  }, 5) / 1e9;
  pk.copy_gbs = 2.0 * static_cast<double>(a.bytes()) / timer.median([&] {
    MENAGERIE_CUDA_CHECK(cudaMemcpyAsync(c.data(), a.data(), a.bytes(), cudaMemcpyDeviceToDevice, nullptr));
  }, 5) / 1e6;
  return pk;
}

template <class C>
std::string label(const typename C::problem_type& p) {
  std::string s;
  for (const auto& [k, v] : C::bench_fields(p)) s += cat(s.empty() ? "" : "/", k, ":", v);
  return s;
}

// The small problem a case is verified at (and, with --smoke, timed at): B = 1 and H = min(H, 2) where the problem
// has them, T <= 193 (--smoke: T <= 64 for both, a cheaper reference; the smoke test checks the harness, the
// conformance tests check the kernels, and verifying at 193 it did not finish within ctest's 300 s on the H100 in
// sessions 31 and 32). A long_conv filter keeps L >= T: its excess over T is kept, capped at max_t, so a filter
// longer than the sequence stays longer and a 64k filter does not come along with a 193-token check.
template <class P>
P small(P p, std::int64_t max_t) {
  if constexpr (requires { p.B; }) p.B = 1;
  if constexpr (requires { p.H; }) p.H = std::min<std::int64_t>(p.H, 2);
  const std::int64_t t0 = p.T;
  p.T = std::min(p.T, max_t);
  if constexpr (requires { p.L; }) p.L = p.T + std::min<std::int64_t>(p.L - t0, max_t);
  if constexpr (requires { p.window; }) p.window = std::min(p.window, p.T - 1);
  return p;
}

template <class C>
void run(benchmark::State& state, const opt::Variant<typename C::problem_type>& v, typename C::problem_type p,
         std::string_view dir) {
  const bool fwd = dir != "bwd", bwd = dir != "fwd";
  state.SetLabel(std::string(dtype_name(v.dtype)));  // the JSON's "label": the reports read the variant's dtype here
  // Verified once per process and case: a case's repetitions (--benchmark_repetitions) reuse the first verdict.
  static std::map<std::string, std::string> verdicts;  // case name -> "" (passed) or the failure
  const std::string key = cat(C::id, "/", v.name, "/", dir, "/", label<C>(p));
  if (!verdicts.count(key)) {
    verdicts[key] = "";
    for (const auto& m : harness::check_accuracy(v, small(p, g_smoke ? 64 : 193), g_seed, bwd))
      if (!m.pass() && verdicts[key].empty())
        verdicts[key] = cat("verification failed: ", m.name, " relerr ", m.kernel, " > ", m.tolerance);
  }
  if (!verdicts[key].empty()) {
    state.SkipWithError(verdicts[key].c_str());
    return;
  }
  if (g_smoke) p = small(p, 64);
  harness::DeviceProblem<typename C::problem_type> dp(v, p);
  std::uint64_t stream = 1;
  for (const auto& s : tensors(p)) {  // random O(1) inputs and upstream gradients of the timed shape
    const bool out = s.role == Role::output;
    dp.at(out ? "d" + s.name : s.name).fill_random(7, stream++, out ? -1.0 : s.lo, out ? 1.0 : s.hi);
  }
  const auto args = dp.args();
  v.forward(p, args, nullptr);
  const auto call = [&] {
    if (fwd) v.forward(p, args, nullptr);
    if (bwd) v.backward(p, args, nullptr);
  };
  call();
  call();
  MENAGERIE_CUDA_CHECK(cudaDeviceSynchronize());
  harness::Timer timer;
  std::vector<double> ms;
  for (auto _ : state) {
    ms.push_back(timer.once(call));
    state.SetIterationTime(ms.back() / 1e3);
  }
  std::sort(ms.begin(), ms.end());
  const double med = ms[ms.size() / 2] / 1e3;
  const Cost c = cost(p);
  const double factor = (fwd ? 1.0 : 0.0) + (bwd ? c.backward_flops_factor : 0.0);
  const double elem = static_cast<double>(dtype_size(v.dtype));
  const double bytes = c.hbm_elements * elem * ((fwd ? 1.0 : 0.0) + (bwd ? 2.0 : 0.0));
  const double peak = v.dtype == DType::bf16 ? g_peaks.bf16_tflops : g_peaks.fp32_tflops;
  state.counters["ms"] = med * 1e3;
  state.counters["TFLOP/s"] = c.flops * factor / med / 1e12;
  state.counters["GB/s"] = bytes / med / 1e9;
  state.counters["frac_peak"] = c.flops * factor / med / 1e12 / peak;
  for (const auto& [k, val] : C::bench_fields(p)) state.counters[std::string(k)] = val;
}

template <class... C>
nlohmann::json register_all(TypeList<C...>) {
  auto cases = nlohmann::json::array();
  const auto one = [&]<class K>() {
    if (!selected(K::id)) return;
    for (const auto& c : K::gpu_bench_cases())
      for (const auto& v : harness::variants_of<K>()) {
        const bool listed = c.variants.empty() || std::find(c.variants.begin(), c.variants.end(), v.name) != c.variants.end();
        if (!listed || !v.supports(c.problem)) continue;
        for (std::string_view dir : c.directions) {
          if (dir != "fwd" && !v.backward) continue;
          const std::string name = cat(K::id, "/", v.name, "/", dir, "/", label<K>(c.problem));
          auto fields = nlohmann::json::object();
          for (const auto& [k, val] : K::bench_fields(c.problem)) fields[std::string(k)] = val;
          cases.push_back({{"name", name}, {"op", K::id}, {"variant", v.name}, {"dtype", dtype_name(v.dtype)},
                           {"direction", dir}, {"fields", fields}});
          const double est_rate = v.dtype == DType::bf16 ? 2e14 : 1.5e13;
          const double est = cost(c.problem).flops * (dir == "fwd" ? 1.0 : 3.5) / est_rate;
          const auto iters = g_smoke ? 1 : static_cast<benchmark::IterationCount>(std::clamp(0.5 / est, 3.0, 50.0));
          benchmark::RegisterBenchmark(name.c_str(), [&v, p = c.problem, dir](benchmark::State& s) { run<K>(s, v, p, dir); })
              ->UseManualTime()
              ->Iterations(iters)
              ->Unit(benchmark::kMillisecond);
        }
      }
  };
  (one.template operator()<C>(), ...);
  return cases;
}

template <class C>
constexpr bool has_error_sweep = requires { C::gpu_error_sweep(); };

// --error-out: every variant's error against the double reference over the contract's gpu_error_sweep(), one row
// per problem, variant and tensor (the outputs, then the input gradients when the variant has a backward); then, for
// an operator with extreme-input cases (harness/extreme_cases.hpp, the list verify/recurrent_gpu_test.cpp checks), the
// same rows per case at its one problem, each carrying "scale" (input name -> factor) and its label "case".
template <class... C>
nlohmann::json error_sweep(TypeList<C...>) {
  auto rows = nlohmann::json::array();
  const auto measure = [&]<class K>(const typename K::problem_type& p, const opt::Variant<typename K::problem_type>& v,
                                    const harness::InputScale& scale) {
    auto base = nlohmann::json{{"op", K::id}, {"variant", v.name}, {"dtype", dtype_name(v.dtype)}};
    for (const auto& [k, val] : K::bench_fields(p)) base[std::string(k)] = static_cast<std::int64_t>(val);
    if (!scale.empty()) base["scale"] = scale, base["case"] = harness::scale_label(scale);
    std::fprintf(stderr, "error sweep: %s %s %s %s\n", std::string(K::id).c_str(), v.name, label<K>(p).c_str(),
                 harness::scale_label(scale).c_str());
    try {
      for (const auto& m : harness::check_accuracy(v, p, g_seed, true, scale)) {
        auto r = base;
        r["tensor"] = m.name;
        r["relerr"] = m.finite ? nlohmann::json(m.kernel) : nlohmann::json(nullptr);  // NaN is no JSON number
        r["yardstick"] = m.yardstick;
        r["tolerance"] = m.tolerance;
        r["conditioning"] = m.conditioning;  // the part of tolerance that is the conditioning term (0: none)
        r["finite"] = m.finite;
        r["pass"] = m.pass();
        rows.push_back(r);
        std::fprintf(stderr, "  %-6s relerr %.3e yardstick %.3e tolerance %s %s\n", m.name.c_str(), m.kernel,
                     m.yardstick, harness::tolerance_str(m).c_str(), m.pass() ? "ok" : "FAIL");
      }
    } catch (const std::exception& e) {  // e.g. out of memory: the row says so, the sweep goes on
      auto r = base;
      r["error"] = e.what();
      rows.push_back(r);
      std::fprintf(stderr, "  error: %s\n", e.what());
    }
  };
  const auto one = [&]<class K>() {
    using P = typename K::problem_type;
    if (!selected(K::id)) return;
    if constexpr (has_error_sweep<K>) {
      for (const auto& p : K::gpu_error_sweep())
        for (const auto& v : harness::variants_of<K>())
          if (v.supports(p)) measure.template operator()<K>(p, v, {});
    }
    if constexpr (harness::has_extreme_cases<P>) {
      const P p = harness::ExtremeCases<P>::problem();
      for (const auto& v : harness::variants_of<K>())
        if (v.supports(p))
          for (const auto& scale : harness::ExtremeCases<P>::cases()) measure.template operator()<K>(p, v, scale);
    }
  };
  (one.template operator()<C>(), ...);
  return rows;
}

template <class... C>
std::vector<std::string> kernel_ids(TypeList<C...>) {
  return {std::string(C::id)...};
}

// Google Benchmark's reporter, also counting the cases that failed (SkipWithError): the smoke run exits 1 on any.
class Reporter : public benchmark::ConsoleReporter {
 public:
  int errors = 0, runs = 0;
  void ReportRuns(const std::vector<Run>& report) override {
    for (const auto& r : report) {
      ++runs;
      if (r.error_occurred) ++errors;
    }
    ConsoleReporter::ReportRuns(report);
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string cases_out, error_out, filter;
  bool timing_asked = false;  // --cases-out or a Google Benchmark flag: without one, --error-out alone skips timing
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--smoke") g_smoke = timing_asked = true;
    else if (a.rfind("--cases-out=", 0) == 0) cases_out = a.substr(12), timing_asked = true;
    else if (a.rfind("--error-out=", 0) == 0) error_out = a.substr(12);
    else if (a.rfind("--seed=", 0) == 0) {
      char* end = nullptr;
      g_seed = std::strtoull(a.c_str() + 7, &end, 10);
      if (a.size() == 7 || *end != '\0') {
        std::fprintf(stderr, "kernels_bench: --seed: '%s' is not a non-negative integer\n", a.c_str() + 7);
        return 2;
      }
    } else if (a.rfind("--ops=", 0) == 0) {
      const auto known = kernel_ids(harness::KernelContracts{});
      std::string_view list(a.c_str() + 6);
      while (!list.empty()) {
        const auto comma = list.find(',');
        const std::string id(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        if (std::find(known.begin(), known.end(), id) == known.end()) {
          std::string all;
          for (const auto& k : known) all += (all.empty() ? "" : ", ") + k;
          std::fprintf(stderr, "kernels_bench: --ops: '%s' is not an operator with GPU kernels (those are: %s)\n",
                       id.c_str(), all.c_str());
          return 2;
        }
        g_ops.push_back(id);
      }
      if (g_ops.empty()) {
        std::fprintf(stderr, "kernels_bench: --ops: empty list (give operator ids separated by commas)\n");
        return 2;
      }
    } else {
      if (i > 0 && a.rfind("--benchmark_", 0) == 0) timing_asked = true;
      if (a.rfind("--benchmark_filter=", 0) == 0) filter = a.substr(19);
      rest.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  if (!gpu_available()) {
    std::fprintf(stderr, "kernels_bench: no GPU visible; nothing to time\n");
    return 77;  // ctest's skip code for the smoke test
  }
  const nlohmann::json pj = to_json(current_provenance());
  std::printf("kernels_bench: seed %llu\n", static_cast<unsigned long long>(g_seed));
  if (!error_out.empty()) {
    const auto rows = error_sweep(harness::KernelContracts{});
    int failed = 0;
    for (const auto& r : rows) failed += r.contains("error") || !r.value("pass", false);
    const nlohmann::json doc = {
        {"provenance", pj},
        {"seed", g_seed},
        {"method", "harness::check_accuracy (the tests' rule): relerr of the kernel against the reference in double on "
                   "the kernel's rounded inputs; yardstick = the reference in float, rounded to the kernel's dtype; "
                   "pass = relerr <= tolerance"},
        {"rows", rows}};
    write_file_atomic(error_out, [&](std::ostream& f) { f << doc.dump(1) << "\n"; });
    std::printf("error sweep: %zu rows (%d over tolerance or errored) written to %s\n", rows.size(), failed,
                error_out.c_str());
    if (!timing_asked) return 0;
  }
  for (auto it = pj.begin(); it != pj.end(); ++it)
    benchmark::AddCustomContext("menagerie_" + it.key(), it->is_string() ? it->get<std::string>() : it->dump());
  benchmark::AddCustomContext("menagerie_seed", cat(g_seed));
  if (!g_smoke) g_peaks = measure_peaks();
  else g_peaks = {1, 1, 1};
  benchmark::AddCustomContext("peak_bf16_gemm_tflops", cat(g_peaks.bf16_tflops));
  benchmark::AddCustomContext("peak_fp32_gemm_tflops", cat(g_peaks.fp32_tflops));
  benchmark::AddCustomContext("peak_copy_gbs", cat(g_peaks.copy_gbs));
  benchmark::AddCustomContext("timing", "CUDA events per call, L2 flushed before each, median; 2 warm-up calls");
  if (!g_smoke)
    std::fprintf(stderr, "peaks: bf16 GEMM %.1f TFLOP/s, fp32 GEMM (no TF32) %.1f TFLOP/s, copy %.0f GB/s\n",
                 g_peaks.bf16_tflops, g_peaks.fp32_tflops, g_peaks.copy_gbs);
  auto cases = register_all(harness::KernelContracts{});
  if (!filter.empty() && filter != "all") {
    benchmark::AddCustomContext("menagerie_filter", filter);
    const bool negate = filter.front() == '-';
    std::regex re;
    try {
      re = std::regex(negate ? filter.substr(1) : filter, std::regex::extended);
    } catch (const std::regex_error&) {
      std::fprintf(stderr, "kernels_bench: --benchmark_filter: '%s' is not a regular expression\n", filter.c_str());
      return 2;
    }
    auto kept = nlohmann::json::array();
    for (const auto& c : cases)
      if (std::regex_search(c["name"].get<std::string>(), re) != negate) kept.push_back(c);
    cases = std::move(kept);
  }
  if (!cases_out.empty()) {
    write_file_atomic(cases_out, [&](std::ostream& f) { f << nlohmann::json{{"cases", cases}}.dump(1) << "\n"; });
  }
  Reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  std::printf("%d cases run, %d failed verification or errored\n", reporter.runs, reporter.errors);
  return reporter.errors == 0 && reporter.runs > 0 ? 0 : 1;
}
