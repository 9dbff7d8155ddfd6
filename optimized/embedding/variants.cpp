// The variant table of embedding (see variants.hpp): gather_fp32, forward and backward, deterministic (the backward
// sums each id's rows in position order after a stable sort; no float atomics).
#include <array>

#include "optimized/embedding/variants.hpp"

namespace menagerie::opt::embedding {
namespace {

const std::array<Variant, 1> kVariants = {{
    {"gather_fp32", DType::f32, gather_fp32::unsupported, gather_fp32::buffers, gather_fp32::forward,
     gather_fp32::backward},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::embedding
