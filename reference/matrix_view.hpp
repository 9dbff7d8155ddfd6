// The matrix-mixer view of a mixer (issue 19 item 8; STAR's linear input-varying operators, Hydra's matrix
// mixers): for parameters and an input u [B, T, d], every mixer of core/registry.hpp that has a view writes its
// output as
//   mixed[b, t, c, e] = sum_i M[b, c, t, i] v[b, i, c, e]          (M·v, per batch element and channel/head c)
//   y = finish(mixed)                                              (projections, post-gates, skip terms)
// with M [B, C, T, T] the token-mixing matrix "where the mixer looks" (attention's probabilities, a convolution's
// (gated) Toeplitz matrix, a recurrence's semiseparable matrix summed over its state), lower triangular for a causal
// mixer, v [B, T, C, E] the stream M mixes, and C heads or channels, whichever the mixer mixes tokens over
// independently. The per-mixer choices are the table of docs/mixers.md §2.9. Double precision only: a view is for
// looking at, and verify/matrix_view_test.cpp holds finish(M·v) to reference_forward<double> within 1e-12.
// Each mixer's view is declared here, beside its contract's namespace, and defined in reference/matrix_view/<id>.cpp;
// has_matrix_view<P> tells generic code (the test, `menagerie inspect`) which mixers have one.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/model_config.hpp"
#include "core/registry.hpp"

namespace menagerie::ref {

struct MatrixView {
  std::string channel;  // what C counts: "head" or "channel"
  Tensor<double> M;     // [B, C, T, T]
  Tensor<double> v;     // [B, T, C, E]
  std::function<Tensor<double>(const Tensor<double>&)> finish;  // mixed [B, T, C, E] -> y [B, T, d]
};

// mixed = M·v: mixed[b, t, c, e] = sum_{i < T} M[b, c, t, i] v[b, i, c, e].
Tensor<double> mix(const MatrixView& view);

// finish(M·v): the mixer's output as its view computes it.
inline Tensor<double> view_output(const MatrixView& view) { return view.finish(mix(view)); }

}  // namespace menagerie::ref

// in: "u" [B, T, d] and the mixer's parameters, named as its contract's tensors(p).
namespace menagerie::mixers::mha { ref::MatrixView matrix_view(const Problem& p, const Named<double>& in); }
namespace menagerie::mixers::sliding_attn { ref::MatrixView matrix_view(const Problem& p, const Named<double>& in); }
namespace menagerie::mixers::based { ref::MatrixView matrix_view(const Problem& p, const Named<double>& in); }
namespace menagerie::mixers::base_conv { ref::MatrixView matrix_view(const Problem& p, const Named<double>& in); }
namespace menagerie::mixers::rwkv { ref::MatrixView matrix_view(const Problem& p, const Named<double>& in); }
namespace menagerie::mixers::mamba { ref::MatrixView matrix_view(const Problem& p, const Named<double>& in); }
namespace menagerie::mixers::hyena { ref::MatrixView matrix_view(const Problem& p, const Named<double>& in); }
namespace menagerie::mixers::h3 { ref::MatrixView matrix_view(const Problem& p, const Named<double>& in); }
namespace menagerie::mixers::gla { ref::MatrixView matrix_view(const Problem& p, const Named<double>& in); }
namespace menagerie::mixers::mamba2 { ref::MatrixView matrix_view(const Problem& p, const Named<double>& in); }
namespace menagerie::mixers::m2 { ref::MatrixView matrix_view(const Problem& p, const Named<double>& in); }
namespace menagerie::mixers::deltanet { ref::MatrixView matrix_view(const Problem& p, const Named<double>& in); }
namespace menagerie::mixers::jrt { ref::MatrixView matrix_view(const Problem& p, const Named<double>& in); }
namespace menagerie::mixers::gated_deltanet { ref::MatrixView matrix_view(const Problem& p, const Named<double>& in); }
namespace menagerie::mixers::sigmoid_lookups { ref::MatrixView matrix_view(const Problem& p, const Named<double>& in); }
namespace menagerie::mixers::repeat_lookups { ref::MatrixView matrix_view(const Problem& p, const Named<double>& in); }

namespace menagerie::ref {

// Whether mixer problem P has a matrix view (found by argument-dependent lookup).
template <class P>
constexpr bool has_matrix_view = requires(const P& p, const Named<double>& in) {
  { matrix_view(p, in) } -> std::same_as<MatrixView>;
};

// The view of a model's layer mixer m at batch B and length T (in: "u" and its parameters, named relative to the
// mixer, as model::MixerMath receives them; tokens: the batch's ids, for a mixer that reads them, as the model's
// forward passes them); nullopt when its contract has no view yet.
std::optional<MatrixView> registry_matrix_view(const model::LayerMixer& m, std::int64_t B, std::int64_t T,
                                               const model::Tokens& tokens, const Named<double>& in);

}  // namespace menagerie::ref
