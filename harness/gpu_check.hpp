// One generic GPU check of any kernel variant against its operator's CPU reference (docs/gpu-harness.md), shared by the
// gpu tests (verify/kernel_conformance_gpu_test.cpp), `menagerie verify --gpu` and the benchmarks (verify, then
// time). For a (variant, problem):
//   accuracy     inputs drawn O(1) from the contract's ranges (seeded) and rounded to the variant's dtype; every
//                output and saved buffer NaN-filled before the forward, every gradient before the backward (an
//                unwritten element fails); each output and input gradient against the oracle by the rule of
//                harness/tolerance.hpp, one Measure each; gradients that an operator opts in
//                (harness/conditioning.hpp) add the conditioning term of their terms' norm to the tolerance
//   causality    inputs (and token ids) after t0 replaced: every output up to t0 bitwise unchanged, and some output after t0
//                changed (else the check examined nothing and fails); for a variant that mixes positions (an FFT,
//                Variant::mixes_positions) the outputs up to t0 may move by rounding only: their change, normwise
//                relative to them, at most causal_rounding(dtype) (16 units of the dtype's rounding; an acausal
//                kernel moves them by O(1))
//   determinism  more identical runs (three, or `repeats`): outputs, saved buffers and gradients bitwise equal, except the tensors
//                the variant declares nondeterministic (atomics)
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "harness/conditioning.hpp"
#include "harness/device_tensor.hpp"
#include "harness/tolerance.hpp"
#include "harness/yardstick.hpp"
#include "optimized/common/check.hpp"
#include "reference/numerics.hpp"

namespace menagerie::harness {

// MENAGERIE_GPU_MAX_T: problems longer than this are left out (compute-sanitizer runs set it; no limit by default).
inline std::int64_t gpu_max_t() {
  const char* v = std::getenv("MENAGERIE_GPU_MAX_T");
  return v && *v ? std::atoll(v) : std::int64_t{1} << 40;
}

struct Measure {
  std::string name;  // "o", "dq", ...
  double kernel = 0, yardstick = 0, tolerance = 0;
  double conditioning = 0;  // the part of tolerance that is the conditioning term (0 where not opted in)
  bool finite = true;
  bool pass() const { return finite && kernel <= tolerance; }  // NaN fails
  double ratio() const { return finite ? kernel / tolerance : INFINITY; }
};

// The tolerance as printed: "6.29217e-07", or "4.02497e-06 (6.29217e-07 + conditioning 3.39575e-06)" with the term.
inline std::string tolerance_str(const Measure& m) {
  char buf[96];
  if (m.conditioning > 0)
    std::snprintf(buf, sizeof buf, "%.6g (%.6g + conditioning %.6g)", m.tolerance, m.tolerance - m.conditioning,
                  m.conditioning);
  else
    std::snprintf(buf, sizeof buf, "%.6g", m.tolerance);
  return buf;
}

template <class P>
std::string describe(const P& p) {
  std::string s;
  for (const auto& t : tensors(p)) s += cat(s.empty() ? "" : " ", t.name, shape_str(t.shape));
  return s;
}

// Inputs of p and the upstream gradient "d" + name of each output, uniform in the contract's ranges (outputs'
// gradients in [-1, 1]), rounded to the dtype.
template <class P>
Named<double> draw_inputs(const P& p, std::uint64_t seed, DType dtype) {
  auto specs = tensors(p);
  for (auto& s : specs)
    if (s.role == Role::output) s.name = "d" + s.name, s.role = Role::input;
  auto in = ref::random_inputs(specs, seed);
  for (auto& [name, t] : in) t = rounded(t, dtype);
  return in;
}

namespace detail {
inline double rms_all(const Named<double>& m) {
  double sq = 0;
  std::int64_t n = 0;
  for (const auto& [name, t] : m)
    for (std::int64_t i = 0; i < t.numel(); ++i, ++n) sq += t.data()[i] * t.data()[i];
  return n ? std::sqrt(sq / static_cast<double>(n)) : 0.0;
}
// The norm an error is relative to: ||oracle||_2, or rms_scale sqrt(n) where the oracle is identically zero.
inline double error_scale(const Tensor<double>& oracle, double rms_scale) {
  double den = 0;
  for (std::int64_t i = 0; i < oracle.numel(); ++i) den += oracle.data()[i] * oracle.data()[i];
  return den != 0 ? std::sqrt(den) : rms_scale * std::sqrt(static_cast<double>(oracle.numel()));
}
// relerr against the oracle, or ||x - oracle|| / (rms_scale sqrt(n)) where the oracle is identically zero.
inline double error(const Tensor<double>& x, const Tensor<double>& oracle, double rms_scale) {
  double den = 0;
  for (std::int64_t i = 0; i < oracle.numel(); ++i) den += oracle.data()[i] * oracle.data()[i];
  if (den != 0) return ref::relerr(x, ref::convert<Mp>(oracle));
  double num = 0;
  for (std::int64_t i = 0; i < x.numel(); ++i) num += x.data()[i] * x.data()[i];
  if (num == 0) return 0;
  return rms_scale > 0 ? std::sqrt(num / static_cast<double>(x.numel())) / rms_scale : INFINITY;
}
inline Tensor<double> rounded_float(const Tensor<float>& x, DType dtype) {
  return rounded(ref::convert<double>(x), dtype);
}
template <class P>
Named<double> split(const Named<double>& all, Role role, const P& p) {
  Named<double> out;
  for (const auto& s : tensors(p)) {
    if (role == Role::output && s.role == Role::output) out.emplace(s.name, all.at("d" + s.name));
    if (role != Role::output && s.role != Role::output) out.emplace(s.name, all.at(s.name));
  }
  return out;
}
}  // namespace detail

// Runs the variant's forward (and backward) on `dp` with `in` uploaded; synchronises.
template <class P>
void run(const opt::Variant<P>& v, const P& p, DeviceProblem<P>& dp, const Named<double>& in, bool backward) {
  for (const auto& [name, t] : in) dp.at(name).upload(t);
  dp.poison_forward();
  v.forward(p, dp.args(), nullptr);
  MENAGERIE_LAUNCH_CHECK();
  if (backward) {
    dp.poison_backward();
    v.backward(p, dp.args(), nullptr);
    MENAGERIE_LAUNCH_CHECK();
  }
  MENAGERIE_CUDA_CHECK(cudaDeviceSynchronize());
}

// Accuracy of the forward (and the backward, when `backward` and the variant has one) of v on p. `scale` multiplies
// named inputs after the draw (then rounded to the dtype again): magnitudes far from O(1), e.g. {{"h", 1e3}}.
template <class P>
std::vector<Measure> check_accuracy(const opt::Variant<P>& v, const P& p, std::uint64_t seed, bool backward,
                                    const std::map<std::string, double>& scale = {}) {
  backward = backward && v.backward != nullptr;
  auto all = draw_inputs(p, seed, v.dtype);
  for (const auto& [name, factor] : scale) {
    auto& x = all.at(name);
    for (std::int64_t i = 0; i < x.numel(); ++i) x.data()[i] *= factor;
    x = rounded(x, v.dtype);
  }
  const auto in = detail::split(all, Role::input, p), d_out = detail::split(all, Role::output, p);
  DeviceProblem<P> dp(v, p);
  run(v, p, dp, all, backward);
  const auto specs = tensors(p);
  Named<double> oracle = allocate<double>(specs, Role::output, NAN);
  Yardstick<P>::forward(p, in, oracle);
  const auto in_f = ref::convert<float>(in);
  Named<float> yard = allocate<float>(specs, Role::output, NAN);
  if constexpr (requires { reference_forward_recurrent<float>(p, in_f, yard); }) {
    if (v.recurrent)
      reference_forward_recurrent<float>(p, in_f, yard);
    else
      Yardstick<P>::forward(p, in_f, yard, v.dtype);
  } else {
    require<NotAvailableError>(!v.recurrent, v.name, " claims the recurrent form, which the reference lacks");
    Yardstick<P>::forward(p, in_f, yard, v.dtype);
  }
  std::vector<Measure> out;
  const auto measure = [&](const std::string& name, const Tensor<double>& got, const Tensor<double>& orc,
                           const Tensor<float>& y, bool gradient, double rms, double terms_norm) {
    Measure m{name};
    m.kernel = detail::error(got, orc, rms);
    m.yardstick = detail::error(detail::rounded_float(y, v.dtype), orc, rms);
    m.conditioning = terms_norm > 0 ? conditioning_term(terms_norm, detail::error_scale(orc, rms)) : 0.0;
    m.tolerance = tolerance(gradient, m.yardstick) + m.conditioning;
    m.finite = ref::all_finite(got);
    out.push_back(m);
  };
  for (const auto& s : specs)
    if (s.role == Role::output) measure(s.name, dp.download(s.name), oracle.at(s.name), yard.at(s.name), false, 0, 0);
  if (!backward) return out;
  Named<double> g_oracle;
  Yardstick<P>::backward(p, in, d_out, g_oracle);
  Named<float> g_yard;
  Yardstick<P>::backward(p, in_f, ref::convert<float>(d_out), g_yard, v.dtype);
  const double rms = detail::rms_all(g_oracle);
  const auto terms = conditioned_term_norms(p, in, d_out);
  for (const auto& s : specs)
    if (s.role != Role::output)
      measure("d" + s.name, dp.download("d" + s.name), g_oracle.at(s.name), g_yard.at(s.name), true, rms,
              terms.count(s.name) ? terms.at(s.name) : 0.0);
  return out;
}

struct Verdict {
  bool pass = true;
  std::string detail;  // the first failure
  void fail(std::string why) {
    if (pass) detail = std::move(why);
    pass = false;
  }
};

// The change of outputs up to t0 (normwise, relative) a position-mixing variant may show: 16 units of rounding of
// its storage dtype (fp32 2^-20, bf16 2^-5: a changed scale can flip the last bit of many bf16 outputs).
inline double causal_rounding(DType dtype) { return dtype == DType::bf16 ? 0x1p-5 : 0x1p-20; }

// A Problem carrying token ids (the embedding): integer data outside Named<T>, perturbed in the Problem itself.
template <class P>
constexpr bool has_token_ids = requires(P& p) { p.ids[0] = p.V; };

// Causality at t0 = T / 2 (needs T >= 2): outputs up to t0 unchanged (bitwise, or to rounding for a variant that
// mixes positions), some output after t0 changed. Inputs with a leading B,T axis and, for a Problem with token ids,
// the ids after t0 are changed.
template <class P>
Verdict check_causality(const opt::Variant<P>& v, const P& p, std::uint64_t seed) {
  Verdict r;
  const std::int64_t t0 = p.T / 2;
  const auto in = draw_inputs(p, seed, v.dtype), noise = draw_inputs(p, seed + 1, v.dtype);
  auto changed = in;
  P q = p;
  if constexpr (has_token_ids<P>) {  // the embedding's ids are data in the Problem: each after t0 moved to another id
    if (q.V > 1)
      for (std::int64_t b = 0; b < q.B; ++b)
        for (std::int64_t t = t0 + 1; t < q.T; ++t) {
          auto& id = q.ids[static_cast<std::size_t>(b * q.T + t)];
          id = (id + 1 + (b * q.T + t) % (q.V - 1)) % q.V;  // a step in [1, V - 1]: always another id
        }
  }
  const auto specs = tensors(p);
  for (const auto& s : specs) {
    if (s.role == Role::output || s.axes.rfind("B,T", 0) != 0) continue;
    auto& x = changed.at(s.name);
    const std::int64_t per_t = x.numel() / (s.shape[0] * s.shape[1]);
    for (std::int64_t b = 0; b < s.shape[0]; ++b)
      for (std::int64_t i = (b * s.shape[1] + t0 + 1) * per_t; i < (b + 1) * s.shape[1] * per_t; ++i)
        x.data()[i] = noise.at(s.name).data()[i];
  }
  DeviceProblem<P> dp(v, p);
  run(v, p, dp, in, false);
  const auto a = dp.results(false);
  run(v, q, dp, changed, false);
  const auto b2 = dp.results(false);
  bool later_changed = false;
  for (const auto& s : specs) {
    if (s.role != Role::output || s.axes.rfind("B,T", 0) != 0) continue;
    const auto &x = a.at(s.name), &y = b2.at(s.name);
    const std::size_t row = x.size() / static_cast<std::size_t>(s.shape[0] * s.shape[1]);
    const Tensor<double> xv = v.mixes_positions ? decode(x, s.shape, v.dtype) : Tensor<double>();
    const Tensor<double> yv = v.mixes_positions ? decode(y, s.shape, v.dtype) : Tensor<double>();
    for (std::int64_t b = 0; b < s.shape[0]; ++b) {
      const std::size_t off = static_cast<std::size_t>(b * s.shape[1]) * row;
      const std::size_t upto = static_cast<std::size_t>(t0 + 1) * row, all = static_cast<std::size_t>(s.shape[1]) * row;
      if (v.mixes_positions) {  // in elements, where off and upto count bytes
        const std::int64_t per_t = xv.numel() / (s.shape[0] * s.shape[1]);
        const std::int64_t first = b * s.shape[1] * per_t, last = first + (t0 + 1) * per_t;
        double num = 0, den = 0;
        for (std::int64_t i = first; i < last; ++i) {
          const double d = yv.data()[i] - xv.data()[i];
          num += d * d, den += xv.data()[i] * xv.data()[i];
        }
        const double moved = den > 0 ? std::sqrt(num / den) : (num > 0 ? INFINITY : 0);
        if (!(moved <= causal_rounding(v.dtype)))
          r.fail(cat(s.name, " at t <= ", t0, " (batch ", b, ") moved by ", moved, " (relative; rounding allows ",
                     causal_rounding(v.dtype), ") when inputs after t0 changed"));
      } else if (!std::equal(x.begin() + off, x.begin() + off + upto, y.begin() + off)) {
        r.fail(cat(s.name, " at t <= ", t0, " (batch ", b, ") changed when inputs after t0 changed"));
      }
      later_changed = later_changed || !std::equal(x.begin() + off + upto, x.begin() + off + all, y.begin() + off + upto);
    }
  }
  if (!later_changed) r.fail(cat("no output after t0 = ", t0, " changed: the perturbation reached nothing"));
  return r;
}

// Bitwise run-to-run determinism of outputs, saved buffers and gradients: `repeats` more runs against the first.
template <class P>
Verdict check_determinism(const opt::Variant<P>& v, const P& p, std::uint64_t seed, int repeats = 3) {
  Verdict r;
  const bool backward = v.backward != nullptr;
  const auto in = draw_inputs(p, seed, v.dtype);
  DeviceProblem<P> dp(v, p);
  const auto once = [&] {
    run(v, p, dp, in, backward);
    auto res = dp.results(false);
    if (backward) res.merge(dp.results(true));
    return res;
  };
  const auto first = once();
  const std::string skip = cat(" ", v.nondeterministic, " ");
  for (int rep = 1; rep <= repeats; ++rep) {
    const auto again = once();
    for (const auto& [name, bytes] : first)
      if (skip.find(cat(" ", name, " ")) == std::string::npos && bytes != again.at(name))
        r.fail(cat(name, " differs between identical runs (repeat ", rep, ")"));
  }
  return r;
}

}  // namespace menagerie::harness
