// The 2-norms of WKV's parameter gradients' terms (math in reference/wkv_terms.hpp): reference_backward's softmax
// per (b, t, d), each term squared and summed instead of the terms themselves.
#include "reference/wkv_terms.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace menagerie::ops::wkv {

TermNorms parameter_term_norms(const Problem& p, const Named<double>& in, const Named<double>& d_out) {
  p.validate();
  const auto specs = tensors(p);
  const auto& k = get(in, "k", specs[0].shape);
  const auto& v = get(in, "v", specs[1].shape);
  const auto& time_decay = get(in, "time_decay", specs[2].shape);
  const auto& time_first = get(in, "time_first", specs[3].shape);
  const auto& dy = get(d_out, "y", specs[4].shape);
  double first_sq = 0, decay_sq = 0;
  std::vector<double> P(static_cast<std::size_t>(p.T));
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t d = 0; d < p.D; ++d) {
      const double w = std::exp(time_decay(d));
      for (std::int64_t t = 0; t < p.T; ++t) {
        const auto n = static_cast<std::size_t>(t);
        for (std::int64_t s = 0; s < t; ++s)
          P[static_cast<std::size_t>(s)] = -static_cast<double>(t - 1 - s) * w + k(b, s, d);
        P[n] = time_first(d) + k(b, t, d);
        const double m = *std::max_element(P.begin(), P.begin() + t + 1);
        double z = 0;
        for (std::size_t s = 0; s <= n; ++s) z += (P[s] = std::exp(P[s] - m));
        double yt = 0;
        for (std::size_t s = 0; s <= n; ++s) yt += (P[s] /= z) * v(b, static_cast<std::int64_t>(s), d);
        const double g = dy(b, t, d);
        const double first = g * P[n] * (v(b, t, d) - yt);
        first_sq += first * first;
        for (std::int64_t s = 0; s < t; ++s) {
          const double decay =
              w * static_cast<double>(t - 1 - s) * g * P[static_cast<std::size_t>(s)] * (v(b, s, d) - yt);
          decay_sq += decay * decay;
        }
      }
    }
  return {std::sqrt(first_sq), std::sqrt(decay_sq)};
}

}  // namespace menagerie::ops::wkv
