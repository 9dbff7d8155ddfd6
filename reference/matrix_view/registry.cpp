// registry_matrix_view (reference/matrix_view.hpp): the first contract of core/registry.hpp's Mixers whose Problem
// type the layer mixer holds, through that contract's matrix_view when it has one, on the Problem the model's
// forward builds (model::problem_with_tokens: the batch's ids for a mixer that reads them).
#include "reference/matrix_view.hpp"
#include "reference/model.hpp"

namespace menagerie::ref {
namespace {

template <class... C>
std::optional<MatrixView> resolve(const model::LayerMixer& m, std::int64_t B, std::int64_t T,
                                  const model::Tokens& tokens, const Named<double>& in, TypeList<C...>) {
  std::optional<MatrixView> found;
  const auto one = [&]<class P>(std::type_identity<P>) {
    if constexpr (has_matrix_view<P>) {
      if (m.template problem<P>(B, T)) found = matrix_view(model::problem_with_tokens<P>(m, B, T, tokens), in);
    }
  };
  (one(std::type_identity<typename C::problem_type>{}), ...);
  return found;
}

}  // namespace

std::optional<MatrixView> registry_matrix_view(const model::LayerMixer& m, std::int64_t B, std::int64_t T,
                                               const model::Tokens& tokens, const Named<double>& in) {
  return resolve(m, B, T, tokens, in, Mixers{});
}

}  // namespace menagerie::ref
