// The variant table of layer_norm (see variants.hpp): rowwise_fp32, forward and backward, deterministic (warp
// butterflies and fixed-order chunk sums, no atomics).
#include <array>

#include "optimized/layer_norm/variants.hpp"

namespace menagerie::opt::layer_norm {
namespace {

const std::array<Variant, 1> kVariants = {{
    {"rowwise_fp32", DType::f32, rowwise_fp32::unsupported, rowwise_fp32::buffers, rowwise_fp32::forward,
     rowwise_fp32::backward},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::layer_norm
