// Self-consistency checks of a reference, generic over any contract C in core/registry.hpp, each returning a
// CheckResult (cases run, worst error, tolerance, pass) so that both the GoogleTest suite
// (verify/reference_properties_test.cpp) and `menagerie verify --cpu` run the very same checks:
//   causality      inputs after t0 replaced -> every output at positions <= t0 bitwise unchanged (double);
//   gradients      analytic backward vs central finite differences in Mp, h = 1e-16:
//                  error = |fd - g| / (|g| + rms of all gradients of the problem), tolerance 1e-20;
//   precision      float and double forwards vs the Mp forward on the same rounded inputs, tolerance 1e3 eps;
//   recurrent      step form run token by token vs the parallel form, in Mp, tolerance 1e-40.
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "reference/numerics.hpp"

namespace menagerie::ref {

struct CheckResult {
  std::string id, check;
  int cases = 0;         // problems (or sampled elements) examined
  double worst = 0;      // worst error seen, in the check's own measure
  double tolerance = 0;
  bool pass = true;
  bool skipped = false;  // the contract's traits exclude this check
  std::string detail;    // the first failure, with the problem and element
};

template <class T, class P>
Named<T> run_forward(const P& p, const Named<T>& in) {
  Named<T> out = allocate<T>(tensors(p), Role::output, static_cast<T>(std::numeric_limits<double>::quiet_NaN()));
  reference_forward<T>(p, in, out);
  return out;
}

namespace detail {
template <class C>
CheckResult start(const char* check, double tolerance) {
  CheckResult r;
  r.id = C::id;
  r.check = check;
  r.tolerance = tolerance;
  return r;
}
inline void record(CheckResult& r, double err, const std::string& where) {
  const bool bad = !(err <= r.tolerance);  // NaN fails
  if (bad && r.pass) r.detail = where;
  r.pass = r.pass && !bad;
  if (err > r.worst || err != err) r.worst = err;
}
template <class P>
std::string describe(const P& p) {
  std::ostringstream os;
  for (const auto& s : tensors(p)) {
    os << s.name << shape_str(s.shape) << " ";
  }
  return os.str();
}
}  // namespace detail

template <class C>
CheckResult check_causality(const std::vector<typename C::problem_type>& grid, std::uint64_t seed) {
  CheckResult r = detail::start<C>("causality", 0);
  if (!C::traits.causal) return r.skipped = true, r;
  for (const auto& p : grid) {
    const auto specs = tensors(p);
    const auto in = random_inputs(specs, seed);
    const auto noise = random_inputs(specs, seed + 1);
    const auto out = run_forward<double>(p, in);
    for (std::int64_t t0 : {std::int64_t{0}, p.T / 2, p.T - 2}) {
      if (t0 < 0 || t0 + 1 >= p.T) continue;
      ++r.cases;
      auto changed = in;
      for (const auto& s : specs) {
        if (s.role != Role::input || s.axes.rfind("B,T", 0) != 0) continue;
        auto& x = changed.at(s.name);
        const std::int64_t per_t = x.numel() / (s.shape[0] * s.shape[1]);
        for (std::int64_t b = 0; b < s.shape[0]; ++b)
          for (std::int64_t i = (b * s.shape[1] + t0 + 1) * per_t; i < (b + 1) * s.shape[1] * per_t; ++i)
            x.data()[i] = noise.at(s.name).data()[i];
      }
      const auto out2 = run_forward<double>(p, changed);
      for (const auto& s : specs) {
        if (s.role != Role::output || s.axes.rfind("B,T", 0) != 0) continue;
        const auto &a = out.at(s.name), &b2 = out2.at(s.name);
        const std::int64_t per_t = a.numel() / (s.shape[0] * s.shape[1]);
        for (std::int64_t b = 0; b < s.shape[0]; ++b)
          for (std::int64_t i = b * s.shape[1] * per_t; i < (b * s.shape[1] + t0 + 1) * per_t; ++i)
            if (a.data()[i] != b2.data()[i]) {
              detail::record(r, std::abs(a.data()[i] - b2.data()[i]) + 1e-300,
                             cat(s.name, "[", i, "] changed when inputs after t0 = ", t0, " changed; ",
                                 detail::describe(p)));
              break;
            }
      }
    }
  }
  return r;
}

template <class C>
CheckResult check_gradients(const std::vector<typename C::problem_type>& grid, std::uint64_t seed, int samples) {
  CheckResult r = detail::start<C>("gradients", 1e-20);
  for (const auto& p : grid) {
    const auto specs = tensors(p);
    const auto in = convert<Mp>(random_inputs(specs, seed));
    std::vector<TensorSpec> outs;
    for (auto s : specs)
      if (s.role == Role::output) outs.push_back((s.role = Role::input, s));
    const auto dO = convert<Mp>(random_inputs(outs, seed ^ 0x5eedULL));
    const auto loss = [&](const Named<Mp>& x) {
      const auto o = run_forward<Mp>(p, x);
      Mp l = 0;
      for (const auto& [name, t] : o)
        for (std::int64_t i = 0; i < t.numel(); ++i) l += t.data()[i] * dO.at(name).data()[i];
      return l;
    };
    Named<Mp> grads;
    reference_backward<Mp>(p, in, dO, grads);
    const Mp h("1e-16");
    Mp sq = 0;  // the scale: rms over every gradient element of the problem
    std::int64_t count = 0;
    for (const auto& [name, g] : grads)
      for (std::int64_t i = 0; i < g.numel(); ++i, ++count) sq += g.data()[i] * g.data()[i];
    const Mp rms = sqrt(sq / std::max<std::int64_t>(count, 1));
    for (const auto& s : specs) {
      if (s.role == Role::output) continue;
      if (!grads.count(s.name) || grads.at(s.name).shape() != s.shape) {
        detail::record(r, INFINITY, cat("backward gave no gradient of shape ", shape_str(s.shape), " for ", s.name));
        continue;
      }
      const auto& g = grads.at(s.name);
      const std::int64_t n = std::min<std::int64_t>(samples, g.numel());
      for (std::int64_t k = 0; k < n; ++k) {
        const std::int64_t i = g.numel() <= samples ? k : static_cast<std::int64_t>((seed + 7919u * k) % g.numel());
        auto plus = in, minus = in;
        plus.at(s.name).data()[i] += h;
        minus.at(s.name).data()[i] -= h;
        const Mp fd = (loss(plus) - loss(minus)) / (2 * h);
        const Mp den = abs(g.data()[i]) + rms;
        const double err = den == 0 ? static_cast<double>(abs(fd)) : static_cast<double>(abs(fd - g.data()[i]) / den);
        ++r.cases;
        detail::record(r, err, cat("d", s.name, "[", i, "]: analytic ", static_cast<double>(g.data()[i]),
                                   ", finite difference ", static_cast<double>(fd), "; ", detail::describe(p)));
      }
    }
  }
  return r;
}

template <class C>
CheckResult check_precision(const std::vector<typename C::problem_type>& grid, std::uint64_t seed) {
  CheckResult r = detail::start<C>("precision", 1.0);  // errors are reported in units of 1e3 eps
  for (const auto& p : grid) {
    const auto in = random_inputs(tensors(p), seed);
    const auto in_f = convert<float>(in);
    const auto oracle_f = run_forward<Mp>(p, convert<Mp>(convert<double>(in_f)));
    const auto oracle_d = run_forward<Mp>(p, convert<Mp>(in));
    const auto out_f = run_forward<float>(p, in_f);
    const auto out_d = run_forward<double>(p, in);
    for (const auto& [name, o] : oracle_d) {
      ++r.cases;
      const double ed = relerr(out_d.at(name), o) / (1e3 * std::numeric_limits<double>::epsilon());
      const double ef = relerr(out_f.at(name), oracle_f.at(name)) / (1e3 * std::numeric_limits<float>::epsilon());
      detail::record(r, ed, cat("double ", name, ": relerr ", ed * 1e3 * std::numeric_limits<double>::epsilon(),
                                "; ", detail::describe(p)));
      detail::record(r, ef, cat("float ", name, ": relerr ", ef * 1e3 * std::numeric_limits<float>::epsilon(), "; ",
                                detail::describe(p)));
    }
  }
  return r;
}

template <class C>
CheckResult check_recurrent(const std::vector<typename C::problem_type>& grid, std::uint64_t seed) {
  CheckResult r = detail::start<C>("recurrent", 1e-40);
  if constexpr (!C::traits.has_recurrent_form) {
    r.skipped = true;
  } else {
    for (const auto& p : grid) {
      const auto in = convert<Mp>(random_inputs(tensors(p), seed));
      const auto par = run_forward<Mp>(p, in);
      Named<Mp> rec = allocate<Mp>(tensors(p), Role::output, Mp(0));
      reference_forward_recurrent<Mp>(p, in, rec);
      for (const auto& [name, o] : par) {
        ++r.cases;
        const double e = relerr(rec.at(name), o);
        detail::record(r, e, cat(name, ": relerr ", e, "; ", detail::describe(p)));
      }
    }
  }
  return r;
}

}  // namespace menagerie::ref
