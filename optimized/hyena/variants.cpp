// The variant table of hyena (see variants.hpp). composed_fp32 is deterministic (cuBLAS's and cuFFT's fixed-order
// sums, fixed-order reductions) and causal to rounding only: its long convolution is cuFFT's (mixes_positions).
#include <array>

#include "optimized/hyena/variants.hpp"

namespace menagerie::opt::hyena {
namespace {

const std::array<Variant, 1> kVariants = {{
    {"composed_fp32", DType::f32, composed_fp32::unsupported, composed_fp32::buffers, composed_fp32::forward,
     composed_fp32::backward, "", false, true},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::hyena
