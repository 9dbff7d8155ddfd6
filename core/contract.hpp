// The pieces every operator and mixer contract shares (docs/architecture.md, "The contract").
//   TensorSpec : a named tensor with its shape, axis letters and role (input, param, output).
//   Named<T>   : name -> Tensor<T>; the generic currency of references, kernels, tests and benchmarks.
//   Cost       : forward FLOPs and the minimum elements moved to/from HBM (times the dtype size gives bytes),
//                FlashAttention's conventions: causal counts only visible pairs; backward = 2.5 x forward FLOPs.
//   Traits     : the properties generic tests are gated by.
//   ReferenceBenchCase : one shape bench/reference_bench.cpp times.
// A contract lives in namespace menagerie::ops::<id> or menagerie::mixers::<id> and provides
//   struct Problem { ...; void validate() const; }            sizes and hyper-parameters
//   std::vector<TensorSpec> tensors(const Problem&)            every input, param and output with its shape
//   Cost cost(const Problem&)
//   (mixers also) std::int64_t param_count(const Problem&), std::optional<std::int64_t> state_size(const Problem&)
// and a `struct Contract` naming them for generic code, which the registry (core/registry.hpp) lists and checks
// piece by piece (a missing one is a compile error naming it):
//   struct Contract {
//     static constexpr std::string_view id;  using problem_type = Problem;  static constexpr Traits traits;
//     static std::vector<Problem> test_grid(bool full);        the sizes generic tests sweep: T = 1, small primes,
//                                                              odd dims; Problems written with designated initialisers
//     static std::vector<ReferenceBenchCase<Problem>> reference_bench_cases(std::int64_t T, std::int64_t d);
//                                                              the shapes timed at sequence length T and width d
//     (mixers also)
//     static constexpr std::int64_t Problem::*model_width;     the field the model's d_model sets
//     static constexpr std::array<std::string_view, n> frozen; state_dict tensors that are not trained
//     static std::vector<ConfigKey<Problem>> config_keys();    run-config keys (core/config_key.hpp)
//     static std::vector<InitLaw> init_laws();                 initialisation laws (core/init_law.hpp)
//     static std::vector<ParamColumn> param_columns(d, N);     `menagerie theory`'s tables (core/table_columns.hpp)
//     static std::vector<StateColumn> state_columns(d, T);
//   };
// References add, in the same namespace (found by argument-dependent lookup on Problem):
//   template <class T> void reference_forward(const Problem&, const Named<T>& in, Named<T>& out);
//   template <class T> void reference_backward(const Problem&, const Named<T>& in, const Named<T>& d_out,
//                                              Named<T>& d_in);   // d_in["x"] = dL/dx for every input and param
//   template <class T> void reference_forward_recurrent(...)      // when traits.has_recurrent_form
//   template <class T> std::vector<Form<Problem, T>> reference_forms(const Problem&);   // optional: other forms
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.hpp"

namespace menagerie {

enum class Role { input, param, output };

struct TensorSpec {
  std::string name;
  Shape shape;
  std::string axes;  // e.g. "B,T,H,D"
  Role role = Role::input;
  double lo = -1, hi = 1;  // range test inputs are drawn from (uniform); O(1) by default
};

template <class T>
using Named = std::map<std::string, Tensor<T>, std::less<>>;

struct Cost {
  double flops = 0;         // forward
  double hbm_elements = 0;  // inputs and params read once, outputs written once (forward)
  double backward_flops_factor = 2.5;
};

// One reference benchmark: bench/reference_bench.cpp names it "<id>" (empty name) or "<id>_<name>".
template <class Problem>
struct ReferenceBenchCase {
  std::string_view name;
  Problem problem;
};

struct Traits {
  bool causal = true;               // output t depends only on inputs at positions <= t
  bool has_recurrent_form = false;  // a step form with O(1)-in-T state exists (reference_forward_recurrent)
  bool linear_in_v = false;         // output is linear in the input named "v"
  bool time_invariant = false;      // an LTI map: shifting the input in time shifts the output
};

// Another evaluation of a reference's forward: the same inputs and outputs by another algorithm (long_conv's FFT
// form beside its direct sum). A reference that has some lists them in `reference_forms`; reference/conformance.hpp's
// `forms` check shows each equal to reference_forward in Mp.
template <class P, class T>
struct Form {
  std::string_view name;
  void (*forward)(const P&, const Named<T>& in, Named<T>& out);
};

// The specs of one role, in declaration order.
inline std::vector<TensorSpec> specs_with_role(const std::vector<TensorSpec>& all, Role role) {
  std::vector<TensorSpec> out;
  for (const auto& s : all)
    if (s.role == role) out.push_back(s);
  return out;
}

// Tensors of the given role, allocated with their shapes and filled with `fill`.
template <class T>
Named<T> allocate(const std::vector<TensorSpec>& all, Role role, T fill = T{}) {
  Named<T> out;
  for (const auto& s : all)
    if (s.role == role) out.emplace(s.name, Tensor<T>(s.shape, fill));
  return out;
}

// The named tensor, or a ShapeError naming what is missing or mis-shaped.
template <class T>
const Tensor<T>& get(const Named<T>& m, std::string_view name, const Shape& expected) {
  const auto it = m.find(name);
  require<ShapeError>(it != m.end(), "tensor '", name, "' missing");
  require<ShapeError>(it->second.shape() == expected, "tensor '", name, "' has shape ", shape_str(it->second.shape()),
                      ", expected ", shape_str(expected));
  return it->second;
}
template <class T>
Tensor<T>& get(Named<T>& m, std::string_view name, const Shape& expected) {
  return const_cast<Tensor<T>&>(get(static_cast<const Named<T>&>(m), name, expected));
}

}  // namespace menagerie
