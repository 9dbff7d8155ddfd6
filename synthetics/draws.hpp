// The numpy idioms the Zoology-family generators are built from, reproduced on LegacyRandomState so that the same
// seed gives numpy's exact stream (rows drawn in order 0, 1, ..., as np.apply_along_axis does).
//   distinct_rows(rs, n, lo, hi, k)   [n, k]: row r = np.random.choice(np.arange(lo, hi), size=k, replace=False),
//                                     i.e. lo + permutation(hi - lo)[:k]; a uniform random ordered k-subset.
//                                     With numpy_stream = false the same law from k draws instead of hi - lo - 1
//                                     (LegacyRandomState::sample_without_replacement): not numpy's numbers.
//   gap_slots(rs, n, space, k, a)     [n, k]: row r = np.random.choice(space, size=k, replace=False,
//                                     p=power_law_probs(space, a)); slot j belongs to key j.
//   fill_zeros_uniform(rs, x, vocab)  every 0 of x (row-major) replaced by randint(0, vocab). This is where the
//                                     public code calls torch.randint (global torch RNG, not reproducible); here
//                                     the draws continue the numpy stream: same distribution, uniform on 0..c-1.
#pragma once
#include <cstdint>

#include "core/tensor.hpp"
#include "synthetics/numpy_random.hpp"

namespace menagerie::synthetics {

Tensor<std::int64_t> distinct_rows(LegacyRandomState& rs, std::int64_t n, std::int64_t lo, std::int64_t hi,
                                   std::int64_t k, bool numpy_stream = true);
Tensor<std::int64_t> gap_slots(LegacyRandomState& rs, std::int64_t n, std::int64_t space, std::int64_t k,
                               double power_a);
void fill_zeros_uniform(LegacyRandomState& rs, Tensor<std::int64_t>& x, std::int64_t vocab);  // x: [n, N]

}  // namespace menagerie::synthetics
