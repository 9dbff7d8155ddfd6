// registry_matrix_view (reference/matrix_view.hpp): the first contract of core/registry.hpp's Mixers whose Problem
// type the layer mixer holds, through that contract's matrix_view when it has one.
#include "reference/matrix_view.hpp"

namespace menagerie::ref {
namespace {

template <class... C>
std::optional<MatrixView> resolve(const model::LayerMixer& m, std::int64_t B, std::int64_t T,
                                  const Named<double>& in, TypeList<C...>) {
  std::optional<MatrixView> found;
  const auto one = [&]<class P>(std::type_identity<P>) {
    if constexpr (has_matrix_view<P>) {
      if (const auto p = m.template problem<P>(B, T)) found = matrix_view(*p, in);
    }
  };
  (one(std::type_identity<typename C::problem_type>{}), ...);
  return found;
}

}  // namespace

std::optional<MatrixView> registry_matrix_view(const model::LayerMixer& m, std::int64_t B, std::int64_t T,
                                               const Named<double>& in) {
  return resolve(m, B, T, in, Mixers{});
}

}  // namespace menagerie::ref
