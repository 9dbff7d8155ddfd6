// M·v of a matrix view (reference/matrix_view.hpp): mixed[b, t, c, e] = sum_{i < T} M[b, c, t, i] v[b, i, c, e],
// every product summed in double in index order.
#include "reference/matrix_view.hpp"

namespace menagerie::ref {

Tensor<double> mix(const MatrixView& view) {
  const auto& M = view.M;
  const auto& v = view.v;
  const std::int64_t B = M.size(0), C = M.size(1), T = M.size(2), E = v.size(3);
  require<ShapeError>(M.size(3) == T && v.size(0) == B && v.size(1) == T && v.size(2) == C,
                      "matrix view: M ", shape_str(M.shape()), " and v ", shape_str(v.shape()),
                      " do not fit ([B, C, T, T] and [B, T, C, E])");
  Tensor<double> out({B, T, C, E}, 0.0);
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t c = 0; c < C; ++c)
      for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t e = 0; e < E; ++e) {
          double acc = 0;
          for (std::int64_t i = 0; i < T; ++i) acc += M(b, c, t, i) * v(b, i, c, e);
          out(b, t, c, e) = acc;
        }
  return out;
}

}  // namespace menagerie::ref
