// The variant table of cross_entropy (see variants.hpp): labelled_fp32, forward and backward, deterministic (fixed
// reduction trees, no atomics).
#include <array>

#include "optimized/cross_entropy/variants.hpp"

namespace menagerie::opt::cross_entropy {
namespace {

const std::array<Variant, 1> kVariants = {{
    {"labelled_fp32", DType::f32, labelled_fp32::unsupported, labelled_fp32::buffers, labelled_fp32::forward,
     labelled_fp32::backward},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::cross_entropy
