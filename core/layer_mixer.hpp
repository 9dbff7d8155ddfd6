// LayerMixer: one layer's sequence mixer, type-erased over the mixer contracts (core/registry.hpp's Mixers, or
// any contract-shaped struct C with C::id, C::problem_type and ADL tensors/param_count/state_size on it), so a
// model config can hold a list of different mixers. It keeps the mixer's Problem with its hyper-parameters; B and T
// are set per call. The mixer maps input "u" [B, T, d] to output "y" [B, T, d]; its params are named relative to
// the mixer module (zoology state_dict keys). Back-ends recover the typed Problem with problem<P>(B, T) and
// dispatch to their own implementation (reference/model.cpp iterates the registry list).
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "core/contract.hpp"

namespace menagerie::model {

namespace detail {
// The contract's free functions, found by argument-dependent lookup in the contract's namespace (called from here,
// outside LayerMixer, whose same-named members would otherwise hide them).
template <class P> std::vector<TensorSpec> contract_tensors(const P& p) { return tensors(p); }
template <class P> std::int64_t contract_param_count(const P& p) { return param_count(p); }
template <class P> std::optional<std::int64_t> contract_state_size(const P& p) { return state_size(p); }
}  // namespace detail

class LayerMixer {
 public:
  template <class C>
  static LayerMixer of(typename C::problem_type problem) {
    LayerMixer m;
    m.self_ = std::make_shared<const Impl<C>>(std::move(problem));
    return m;
  }

  std::string_view id() const { return self_->id(); }
  // The mixer's tensor specs at batch size B and length T (u, its params, y).
  std::vector<TensorSpec> tensors(std::int64_t B, std::int64_t T) const { return self_->tensors(B, T); }
  std::int64_t param_count() const { return self_->param_count(); }
  std::optional<std::int64_t> state_size(std::int64_t sequence_length) const {
    return self_->state_size(sequence_length);
  }
  // Names (relative to the mixer) of state_dict tensors that are not trained (the contract's `frozen`).
  const std::vector<std::string>& frozen() const { return self_->frozen(); }
  // The typed Problem at (B, T) when this mixer's Problem type is P, else nullopt.
  template <class P>
  std::optional<P> problem(std::int64_t B, std::int64_t T) const {
    const void* raw = self_->raw(typeid(P));
    if (!raw) return std::nullopt;
    P p = *static_cast<const P*>(raw);
    p.B = B;
    p.T = T;
    return p;
  }

  // u [B, T, d] is the only input and y [B, T, d] the only output (checked at B = 1, T = 1).
  void check_model_width(std::int64_t d) const {
    int inputs = 0, outputs = 0;
    for (const auto& s : tensors(1, 1)) {
      if (s.role == Role::input)
        require<ShapeError>(s.name == "u" && s.shape == Shape{1, 1, d} && ++inputs == 1, "model: mixer '", id(),
                            "' has input '", s.name, "' ", shape_str(s.shape), "; expected the one input u [B, T, ",
                            d, "] (d_model)");
      if (s.role == Role::output)
        require<ShapeError>(s.name == "y" && s.shape == Shape{1, 1, d} && ++outputs == 1, "model: mixer '", id(),
                            "' has output '", s.name, "' ", shape_str(s.shape), "; expected the one output y [B, T, ",
                            d, "] (d_model)");
    }
    require<ShapeError>(inputs == 1 && outputs == 1, "model: mixer '", id(), "' lacks input u or output y");
  }

 private:
  LayerMixer() = default;  // only of<C>() makes one, so self_ is never null

  struct Concept {
    virtual ~Concept() = default;
    virtual std::string_view id() const = 0;
    virtual std::vector<TensorSpec> tensors(std::int64_t B, std::int64_t T) const = 0;
    virtual std::int64_t param_count() const = 0;
    virtual std::optional<std::int64_t> state_size(std::int64_t sequence_length) const = 0;
    virtual const std::vector<std::string>& frozen() const = 0;
    virtual const void* raw(const std::type_info& type) const = 0;
  };

  template <class C>
  struct Impl final : Concept {
    using P = typename C::problem_type;
    P p;
    std::vector<std::string> frozen_names;

    explicit Impl(P problem) : p(std::move(problem)) {
      if constexpr (requires { C::frozen; })
        for (std::string_view f : C::frozen) frozen_names.emplace_back(f);
    }
    P at(std::int64_t B, std::int64_t T) const {
      P q = p;
      q.B = B;
      q.T = T;
      return q;
    }
    std::string_view id() const override { return C::id; }
    std::vector<TensorSpec> tensors(std::int64_t B, std::int64_t T) const override {
      const P q = at(B, T);
      q.validate();
      return detail::contract_tensors(q);
    }
    std::int64_t param_count() const override { return detail::contract_param_count(at(1, 1)); }
    std::optional<std::int64_t> state_size(std::int64_t n) const override {
      return detail::contract_state_size(at(1, n));
    }
    const std::vector<std::string>& frozen() const override { return frozen_names; }
    const void* raw(const std::type_info& type) const override { return type == typeid(P) ? &p : nullptr; }

  };

  std::shared_ptr<const Concept> self_;
};

}  // namespace menagerie::model
