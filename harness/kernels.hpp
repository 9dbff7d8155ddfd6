// The operators and mixers of core/registry.hpp that have GPU kernels (a variant table, optimized/variants.hpp), and the
// generic conformance run over every variant of one of them: the rows `menagerie verify --gpu` prints and the gpu
// conformance suite asserts. Per variant, over the contract's gpu_grid (the problems the variant supports, T capped
// by MENAGERIE_GPU_MAX_T for sanitizer runs):
//   forward / backward  accuracy of every output / input gradient (harness/gpu_check.hpp), worst error / tolerance
//   causality           on every supported problem with T >= 7 and T <= 1025 (bitwise, non-vacuous), for operators
//                       whose contract is causal (a filter generator such as s4d_kernel is not a sequence map)
//   determinism         on the largest supported problem with T <= 1025, `repeats` reruns (3 by default) bitwise
//                       against the first
// A variant that no grid problem exercises fails (a check that examined nothing is no check).
#pragma once
#include <cstdint>
#include <cstdlib>
#include <algorithm>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "core/registry.hpp"
#include "harness/gpu_check.hpp"
#include "optimized/variants.hpp"

namespace menagerie::harness {

template <class C>
concept HasKernels = requires { opt::VariantTable<typename C::problem_type>::get(); };

template <class C>
auto variants_of() {
  return opt::VariantTable<typename C::problem_type>::get();
}

template <class L> struct KernelFilter;
template <> struct KernelFilter<TypeList<>> { using type = TypeList<>; };
template <class C, class... Rest>
struct KernelFilter<TypeList<C, Rest...>> {
  using rest = typename KernelFilter<TypeList<Rest...>>::type;
  using type = std::conditional_t<HasKernels<C>, typename Concat<TypeList<C>, rest>::type, rest>;
};
using KernelContracts = KernelFilter<AllContracts>::type;  // operators and mixers with a variant table

// The contract must declare where its kernels are checked.
template <class C>
constexpr bool has_gpu_grid = requires { C::gpu_grid(false); };

struct Row {
  std::string id, variant, dtype, check;  // check: forward, backward, causality, determinism
  int cases = 0;
  double worst_ratio = 0;  // worst error / tolerance (accuracy rows)
  std::string worst_at;    // the problem and tensor of the worst ratio, or the first failure
  bool pass = true;
};

using Log = std::function<void(const std::string&)>;

// Elements of all of a problem's tensors: the size by which the determinism check picks its problem.
template <class P>
std::int64_t elements(const P& p) {
  std::int64_t n = 0;
  for (const auto& s : tensors(p)) {
    std::int64_t e = 1;
    for (auto x : s.shape) e *= x;
    n += e;
  }
  return n;
}

template <class C>
std::vector<Row> conformance(const opt::Variant<typename C::problem_type>& v, bool full, std::uint64_t seed,
                             const Log& log, int repeats = 3) {
  static_assert(has_gpu_grid<C>, "an operator with a GPU variant table must declare gpu_grid(bool full) in its contract");
  using P = typename C::problem_type;
  const std::string dt(dtype_name(v.dtype));
  const auto make_row = [&](const char* check) {
    Row r;
    r.id = C::id, r.variant = v.name, r.dtype = dt, r.check = check;
    return r;
  };
  Row fwd = make_row("forward"), bwd = make_row("backward"), cau = make_row("causality"), det = make_row("determinism");
  const P* largest = nullptr;
  std::vector<P> grid;
  for (const auto& p : C::gpu_grid(full))
    if (p.T <= gpu_max_t() && v.supports(p)) grid.push_back(p);
  for (const auto& p : grid) {
    const std::string what = cat(C::id, " ", v.name, " ", describe(p));
    for (const auto& m : check_accuracy(v, p, seed++, true)) {
      bool is_output = false;
      for (const auto& s : tensors(p)) is_output = is_output || (s.role == Role::output && s.name == m.name);
      Row& row = is_output ? fwd : bwd;
      ++row.cases;
      log(cat("  ", what, "  ", m.name, " relerr ", m.kernel, " yardstick ", m.yardstick, " tolerance ",
              tolerance_str(m), " ratio ", m.ratio(), m.pass() ? " ok" : " FAIL"));
      if (!(m.ratio() <= row.worst_ratio)) row.worst_ratio = m.ratio(), row.worst_at = cat(m.name, " at ", describe(p));
      if (!m.pass() && row.pass) row.pass = false;
    }
    if (C::traits.causal && p.T >= 7 && p.T <= 1025) {
      const auto c = check_causality(v, p, seed++);
      ++cau.cases;
      if (!c.pass && cau.pass) cau.pass = false, cau.worst_at = cat(c.detail, " at ", describe(p));
    }
    if (p.T <= 1025 && (!largest || elements(p) > elements(*largest))) largest = &p;
  }
  if (largest) {
    const auto d = check_determinism(v, *largest, seed++, repeats);
    ++det.cases;
    if (!d.pass) det.pass = false, det.worst_at = cat(d.detail, " at ", describe(*largest));
  }
  std::vector<Row> rows{fwd};
  if (v.backward) rows.push_back(bwd);
  if (C::traits.causal) rows.push_back(cau);
  rows.push_back(det);
  for (auto& r : rows)
    if (r.cases == 0) r.pass = false, r.worst_at = "no grid problem exercised this check";
  return rows;
}

// The variant names of every operator with kernels (or of `only`, when non-empty), in registry order.
template <class... C>
std::vector<std::string> variant_names(TypeList<C...>, const std::vector<std::string>& only) {
  std::vector<std::string> names;
  const auto one = [&]<class K>() {
    if (!only.empty() && std::find(only.begin(), only.end(), K::id) == only.end()) return;
    for (const auto& v : variants_of<K>()) names.push_back(v.name);
  };
  (one.template operator()<C>(), ...);
  return names;
}

// Every variant of every operator with kernels (or of `only`, when non-empty; of those, only the variants named in
// `variants`, when non-empty).
template <class... C>
std::vector<Row> conformance_all(TypeList<C...>, const std::vector<std::string>& only, bool full, std::uint64_t seed,
                                 const Log& log, int repeats = 3, const std::vector<std::string>& variants = {}) {
  std::vector<Row> rows;
  const auto one = [&]<class K>() {
    if (!only.empty() && std::find(only.begin(), only.end(), K::id) == only.end()) return;
    for (const auto& v : variants_of<K>()) {
      if (!variants.empty() && std::find(variants.begin(), variants.end(), v.name) == variants.end()) continue;
      auto r = conformance<K>(v, full, seed, log, repeats);
      rows.insert(rows.end(), r.begin(), r.end());
    }
  };
  (one.template operator()<C>(), ...);
  return rows;
}

}  // namespace menagerie::harness
