// Self-consistency checks of a reference, generic over any contract C in core/registry.hpp, each returning a
// CheckResult (cases run, worst error, tolerance, pass) so that both the GoogleTest suite
// (verify/reference_properties_test.cpp) and `menagerie verify --cpu` run the very same checks:
//   causality      inputs after t0 replaced -> every output at positions <= t0 bitwise unchanged (double); a case
//                  counts only when the perturbation changed some input and some output after t0 (else it proved
//                  nothing: it is tallied as void, and a check with no counted case fails as examining nothing);
//   batch          the inputs of every batch element but b replaced -> the outputs of b bitwise unchanged (double);
//                  counted only when some other element's output changed (else void, as for causality);
//   gradients      analytic backward vs central finite differences in Mp, h = 1e-16:
//                  error = |fd - g| / (|g| + rms of all gradients of the problem), tolerance 1e-20;
//   precision      float and double forwards vs the Mp forward on the same rounded inputs, tolerance 1e3 eps;
//   recurrent      step form run token by token vs the parallel form, in Mp, tolerance 1e-40;
//   forms          each other form a reference lists (reference_forms: long_conv's FFT form) vs reference_forward,
//                  in Mp, relerr tolerance 1e-40;
//   linear_v       (traits.linear_in_v) out(a v1 + b v2) vs a out(v1) + b out(v2) in Mp, relerr tolerance 1e-40;
//   shift          (traits.time_invariant) inputs delayed by s steps (zeros in front) -> outputs delayed by s, in
//                  Mp, relerr tolerance 1e-40;
//   inputs         forward, backward, the recurrent form and the other forms leave every tensor they are given
//                  bitwise unchanged (double; Mp by value): `const &` does not rule out const_cast or aliasing.
// The time axis is the T of inputs whose axes begin "B,T"; a contract whose token data are integer ids in its
// Problem (`ids`, [B, T] row-major, with `V` values: embedding) is perturbed through those ids. A check that does
// not apply (trait not declared, nothing with a batch or time axis) is reported skipped, with the reason.
#pragma once
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "reference/numerics.hpp"

namespace menagerie::ref {

struct CheckResult {
  std::string id, check;
  int cases = 0;         // problems (or sampled elements) examined
  int void_cases = 0;    // perturbation cases that changed no output they could have changed: not counted
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
// Whether the spec's axes begin with `lead` ("B" or "B,T") as whole axis names.
inline bool leads_with(const TensorSpec& s, std::string_view lead) {
  return s.axes.compare(0, lead.size(), lead) == 0 && (s.axes.size() == lead.size() || s.axes[lead.size()] == ',');
}
inline bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

// A reference that lists other forms of its forward (core/contract.hpp's Form), found by argument-dependent lookup.
template <class P>
constexpr bool has_forms = requires(const P& p) { reference_forms<Mp>(p); };

// A Problem that carries its tokens as integer ids [B, T] (embedding): its time axis lives there, not in a tensor.
template <class P>
constexpr bool has_ids = requires(P& p) {
  p.ids[0] = p.V;
};

// Perturbs the (b, t) slices with pick(b, t) of every input whose axes begin "B,T" (or, with time_axis false,
// "B"; t is then 0 for inputs without a T axis), copying them from `noise`; a Problem with ids gets those ids
// moved to another valid id. Returns the number of values that changed (0: the case tests nothing).
template <class P, class Pick>
std::int64_t perturb(P& p, const std::vector<TensorSpec>& specs, Named<double>& x, const Named<double>& noise,
                     bool time_axis, Pick pick) {
  std::int64_t changed = 0;
  for (const auto& s : specs) {
    const bool bt = leads_with(s, "B,T");
    if (s.role != Role::input || !(time_axis ? bt : leads_with(s, "B"))) continue;
    auto& t = x.at(s.name);
    const auto& n = noise.at(s.name);
    const std::int64_t B = s.shape[0], T = bt ? s.shape[1] : 1;
    if (B * T == 0) continue;
    const std::int64_t per = t.numel() / (B * T);
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t tt = 0; tt < T; ++tt) {
        if (!pick(b, tt)) continue;
        for (std::int64_t i = (b * T + tt) * per; i < (b * T + tt + 1) * per; ++i)
          if (!same_bits(t.data()[i], n.data()[i])) t.data()[i] = n.data()[i], ++changed;
      }
  }
  if constexpr (has_ids<P>) {
    if (p.V > 1)
      for (std::int64_t b = 0; b < p.B; ++b)
        for (std::int64_t tt = 0; tt < p.T; ++tt)
          if (pick(b, tt)) {
            auto& id = p.ids[static_cast<std::size_t>(b * p.T + tt)];
            id = (id + 1 + (b * p.T + tt) % (p.V - 1)) % p.V;  // a step in [1, V - 1]: always another id
            ++changed;
          }
  }
  return changed;
}

// Whether anything with a time (or batch) axis can be perturbed at all.
template <class P>
bool perturbable(const std::vector<TensorSpec>& specs, std::string_view lead) {
  if constexpr (has_ids<P>) return true;
  for (const auto& s : specs)
    if (s.role == Role::input && leads_with(s, lead)) return true;
  return false;
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
  using P = typename C::problem_type;
  CheckResult r = detail::start<C>("causality", 0);
  if (!C::traits.causal) return r.skipped = true, r.detail = "traits.causal is false", r;
  for (const auto& p : grid) {
    const auto specs = tensors(p);
    if (!detail::perturbable<P>(specs, "B,T")) {
      r.skipped = true;
      r.detail = "no input has a B,T axis and the problem has no token ids: nothing to perturb in time";
      return r;
    }
    const auto in = random_inputs(specs, seed);
    const auto noise = random_inputs(specs, seed + 1);
    const auto out = run_forward<double>(p, in);
    for (std::int64_t t0 : {std::int64_t{0}, p.T / 2, p.T - 2}) {
      if (t0 < 0 || t0 + 1 >= p.T) continue;
      P q = p;
      auto changed = in;
      const std::int64_t n =
          detail::perturb(q, specs, changed, noise, true, [&](std::int64_t, std::int64_t t) { return t > t0; });
      if (n == 0) continue;  // nothing to change (e.g. a vocabulary of one id): no case
      const auto out2 = run_forward<double>(q, changed);
      bool later_changed = false;
      for (const auto& s : specs) {
        if (s.role != Role::output || !detail::leads_with(s, "B,T")) continue;
        const auto &a = out.at(s.name), &b2 = out2.at(s.name);
        const std::int64_t T = s.shape[1], per_t = a.numel() / (s.shape[0] * T);
        for (std::int64_t b = 0; b < s.shape[0]; ++b) {
          for (std::int64_t i = b * T * per_t; i < (b * T + t0 + 1) * per_t; ++i)
            if (!detail::same_bits(a.data()[i], b2.data()[i])) {
              detail::record(r, std::abs(a.data()[i] - b2.data()[i]) + 1e-300,
                             cat(s.name, "[", i, "] changed when inputs after t0 = ", t0, " changed; ",
                                 detail::describe(p)));
              break;
            }
          for (std::int64_t i = (b * T + t0 + 1) * per_t; i < (b + 1) * T * per_t && !later_changed; ++i)
            later_changed = !detail::same_bits(a.data()[i], b2.data()[i]);
        }
      }
      ++(later_changed ? r.cases : r.void_cases);  // e.g. layer_norm at D = 1 ignores x: y = bias
    }
  }
  return r;
}

template <class C>
CheckResult check_batch_independence(const std::vector<typename C::problem_type>& grid, std::uint64_t seed) {
  using P = typename C::problem_type;
  CheckResult r = detail::start<C>("batch", 0);
  for (const auto& p : grid) {
    const auto specs = tensors(p);
    std::int64_t B = 0;
    for (const auto& s : specs)
      if (s.role == Role::output && detail::leads_with(s, "B")) B = s.shape[0];
    if (B == 0 || !detail::perturbable<P>(specs, "B")) {
      r.skipped = true;
      r.detail = B == 0 ? "no output has a batch axis" : "no input has a batch axis and the problem has no token ids";
      return r;
    }
    if (B < 2) continue;
    const auto in = random_inputs(specs, seed);
    const auto noise = random_inputs(specs, seed + 1);
    const auto out = run_forward<double>(p, in);
    for (std::int64_t kept : {std::int64_t{0}, B - 1}) {
      P q = p;
      auto changed = in;
      const std::int64_t n =
          detail::perturb(q, specs, changed, noise, false, [&](std::int64_t b, std::int64_t) { return b != kept; });
      if (n == 0) continue;
      const auto out2 = run_forward<double>(q, changed);
      bool others_changed = false;
      for (const auto& s : specs) {
        if (s.role != Role::output || !detail::leads_with(s, "B")) continue;
        const auto &a = out.at(s.name), &b2 = out2.at(s.name);
        const std::int64_t per = a.numel() / s.shape[0];
        for (std::int64_t i = kept * per; i < (kept + 1) * per; ++i)
          if (!detail::same_bits(a.data()[i], b2.data()[i])) {
            detail::record(r, std::abs(a.data()[i] - b2.data()[i]) + 1e-300,
                           cat(s.name, "[", i, "] of batch element ", kept,
                               " changed when only the other elements' inputs changed; ", detail::describe(p)));
            break;
          }
        for (std::int64_t i = 0; i < a.numel() && !others_changed; ++i)
          others_changed = i / per != kept && !detail::same_bits(a.data()[i], b2.data()[i]);
      }
      ++(others_changed ? r.cases : r.void_cases);
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

// Every other form of the forward that the reference lists (reference_forms) against reference_forward, in Mp: each
// form is another algorithm for the same exact map (long_conv: an FFT against the direct sum), so the two differ by
// rounding only, O(1e-48) at the grid's sizes; 1e-40 leaves room, while a wrong twiddle, a missing 1/n or a circular
// wrap-around gives O(1) errors.
template <class C>
CheckResult check_forms(const std::vector<typename C::problem_type>& grid, std::uint64_t seed) {
  using P = typename C::problem_type;
  CheckResult r = detail::start<C>("forms", 1e-40);
  if constexpr (!detail::has_forms<P>) {
    r.skipped = true;
    r.detail = "the reference lists no other forms (reference_forms)";
  } else {
    for (const auto& p : grid) {
      const auto in = convert<Mp>(random_inputs(tensors(p), seed));
      const auto want = run_forward<Mp>(p, in);
      for (const auto& form : reference_forms<Mp>(p)) {
        Named<Mp> got = allocate<Mp>(tensors(p), Role::output, Mp(std::numeric_limits<double>::quiet_NaN()));
        form.forward(p, in, got);
        for (const auto& [name, o] : want) {
          ++r.cases;
          const double e = relerr(got.at(name), o);
          detail::record(r, e, cat(form.name, " form, ", name, ": relerr ", e, "; ", detail::describe(p)));
        }
      }
    }
  }
  return r;
}

// Linearity in v, in Mp with a = 11/16, b = -21/16 (a + b != 1, so an affine offset shows too). The map is exactly
// linear, so the two sides differ only by rounding: each Mp operation errs by <= 2^-166 ~ 1e-50 relatively, an
// output of the grid's problems takes < 1e4 operations, and a out(v1) + b out(v2) cancels by a factor ~1 for random
// inputs; 1e-40 leaves six decades over that, while a real non-linearity (a bias, a v^2 term, a softmax over v)
// gives relative errors of order 1e-3 or larger.
template <class C>
CheckResult check_linear_in_v(const std::vector<typename C::problem_type>& grid, std::uint64_t seed) {
  CheckResult r = detail::start<C>("linear_v", 1e-40);
  if (!C::traits.linear_in_v) return r.skipped = true, r.detail = "traits.linear_in_v is false", r;
  const Mp a("0.6875"), b("-1.3125");
  for (const auto& p : grid) {
    const auto specs = tensors(p);
    const auto in1 = convert<Mp>(random_inputs(specs, seed));
    if (!in1.count("v")) {
      detail::record(r, INFINITY, cat("traits.linear_in_v declared but there is no input named v; ", detail::describe(p)));
      continue;
    }
    auto in2 = in1, mix = in1;
    in2.at("v") = convert<Mp>(random_inputs(specs, seed + 1).at("v"));
    for (std::int64_t i = 0; i < mix.at("v").numel(); ++i)
      mix.at("v").data()[i] = a * in1.at("v").data()[i] + b * in2.at("v").data()[i];
    const auto o1 = run_forward<Mp>(p, in1), o2 = run_forward<Mp>(p, in2), om = run_forward<Mp>(p, mix);
    for (const auto& [name, o] : om) {
      Tensor<Mp> want(o.shape());
      for (std::int64_t i = 0; i < o.numel(); ++i) want.data()[i] = a * o1.at(name).data()[i] + b * o2.at(name).data()[i];
      ++r.cases;
      const double e = relerr(o, want);
      detail::record(r, e, cat(name, ": relerr of out(a v1 + b v2) to a out(v1) + b out(v2) ", e, "; ",
                               detail::describe(p)));
    }
  }
  return r;
}

// Time invariance of an LTI map, in Mp: every input with a B,T axis delayed by s steps (zeros enter at the front)
// must give outputs delayed by s: out'[b, t + s] = out[b, t] for t < T - s, s in {1, T/2}. The delayed sums add
// exact zeros, so the sides differ by rounding only (as for linear_v: tolerance 1e-40); a time-dependent map
// (position-dependent weights, a filter anchored to the end of the sequence) gives O(1) errors.
template <class C>
CheckResult check_time_invariance(const std::vector<typename C::problem_type>& grid, std::uint64_t seed) {
  CheckResult r = detail::start<C>("shift", 1e-40);
  if (!C::traits.time_invariant) return r.skipped = true, r.detail = "traits.time_invariant is false", r;
  for (const auto& p : grid) {
    const auto specs = tensors(p);
    const auto in = convert<Mp>(random_inputs(specs, seed));
    const auto out = run_forward<Mp>(p, in);
    std::vector<std::int64_t> shifts;
    for (std::int64_t s : {std::int64_t{1}, p.T / 2})
      if (s >= 1 && s < p.T && std::find(shifts.begin(), shifts.end(), s) == shifts.end()) shifts.push_back(s);
    for (std::int64_t s : shifts) {
      auto delayed = in;
      bool any = false;
      for (const auto& sp : specs) {
        if (sp.role != Role::input || !detail::leads_with(sp, "B,T")) continue;
        any = true;
        const auto& x = in.at(sp.name);
        auto& y = delayed.at(sp.name);
        const std::int64_t T = sp.shape[1], per = x.numel() / (sp.shape[0] * T);
        for (std::int64_t b = 0; b < sp.shape[0]; ++b)
          for (std::int64_t t = 0; t < T; ++t)
            for (std::int64_t k = 0; k < per; ++k)
              y.data()[(b * T + t) * per + k] = t >= s ? x.data()[(b * T + t - s) * per + k] : Mp(0);
      }
      if (!any) {
        detail::record(r, INFINITY, cat("traits.time_invariant declared but no input has a B,T axis; ", detail::describe(p)));
        break;
      }
      const auto out2 = run_forward<Mp>(p, delayed);
      for (const auto& sp : specs) {
        if (sp.role != Role::output || !detail::leads_with(sp, "B,T")) continue;
        const std::int64_t T = sp.shape[1], per = out.at(sp.name).numel() / (sp.shape[0] * T);
        Tensor<Mp> got({sp.shape[0], T - s, per}), want({sp.shape[0], T - s, per});
        Mp norm = 0;
        for (std::int64_t b = 0; b < sp.shape[0]; ++b)
          for (std::int64_t t = 0; t + s < T; ++t)
            for (std::int64_t k = 0; k < per; ++k) {
              got(b, t, k) = out2.at(sp.name).data()[(b * T + t + s) * per + k];
              want(b, t, k) = out.at(sp.name).data()[(b * T + t) * per + k];
              norm += abs(want(b, t, k));
            }
        ++r.cases;
        const double e = norm == 0 ? INFINITY : relerr(got, want);
        detail::record(r, e, cat(sp.name, ": relerr of the delayed output to the output delayed by s = ", s,
                                 norm == 0 ? " (the compared output is all zero: proves nothing)" : "", ": ", e, "; ",
                                 detail::describe(p)));
      }
    }
  }
  return r;
}

namespace detail {
// Records a failure for the first element of `after` that differs from `before` (bitwise for double, by value
// for Mp) or a tensor that vanished or changed shape.
template <class T>
void expect_unchanged(CheckResult& r, const Named<T>& before, const Named<T>& after, const std::string& what) {
  for (const auto& [name, x] : before) {
    ++r.cases;
    const auto it = after.find(name);
    if (it == after.end() || it->second.shape() != x.shape()) {
      record(r, INFINITY, cat(what, " removed or reshaped its argument ", name));
      continue;
    }
    for (std::int64_t i = 0; i < x.numel(); ++i) {
      bool same;
      if constexpr (std::is_same_v<T, double>)
        same = same_bits(x.data()[i], it->second.data()[i]);
      else
        same = x.data()[i] == it->second.data()[i];
      if (!same) {
        record(r, INFINITY, cat(what, " modified its argument ", name, "[", i, "]: ", static_cast<double>(x.data()[i]),
                                " -> ", static_cast<double>(it->second.data()[i])));
        break;
      }
    }
  }
}

template <class C, class T>
void check_inputs_kept(CheckResult& r, const typename C::problem_type& p, const Named<T>& in, const Named<T>& d_out) {
  const std::string where = cat(" (", std::is_same_v<T, double> ? "double" : "Mp", "; ", describe(p), ")");
  auto args = in;
  run_forward<T>(p, args);
  expect_unchanged(r, in, args, "reference_forward" + where);
  auto d_args = d_out;
  Named<T> grads;
  reference_backward<T>(p, args, d_args, grads);
  expect_unchanged(r, in, args, "reference_backward" + where);
  expect_unchanged(r, d_out, d_args, "reference_backward" + where);
  if constexpr (C::traits.has_recurrent_form) {
    Named<T> rec = allocate<T>(tensors(p), Role::output, T(0));
    reference_forward_recurrent<T>(p, args, rec);
    expect_unchanged(r, in, args, "reference_forward_recurrent" + where);
  }
  if constexpr (has_forms<typename C::problem_type>) {
    for (const auto& form : reference_forms<T>(p)) {
      Named<T> o = allocate<T>(tensors(p), Role::output, T(0));
      form.forward(p, args, o);
      expect_unchanged(r, in, args, cat("the ", form.name, " form", where));
    }
  }
}
}  // namespace detail

// The reference's entry points leave what they are given unchanged: inputs and params (forward, backward,
// recurrent form) and d_out (backward), in double (bitwise) and in Mp (by value).
template <class C>
CheckResult check_inputs_unmodified(const std::vector<typename C::problem_type>& grid, std::uint64_t seed) {
  CheckResult r = detail::start<C>("inputs", 0);
  for (const auto& p : grid) {
    const auto specs = tensors(p);
    std::vector<TensorSpec> outs;
    for (auto s : specs)
      if (s.role == Role::output) outs.push_back((s.role = Role::input, s));
    const auto in = random_inputs(specs, seed);
    const auto d_out = random_inputs(outs, seed ^ 0x5eedULL);
    detail::check_inputs_kept<C>(r, p, in, d_out);
    detail::check_inputs_kept<C>(r, p, convert<Mp>(in), convert<Mp>(d_out));
  }
  return r;
}

}  // namespace menagerie::ref
