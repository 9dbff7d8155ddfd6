// The variant table of h3 (see variants.hpp). composed_fp32 is deterministic (cuBLAS's and cuFFT's fixed-order
// sums, fixed-order reductions) and causal to rounding only: its long convolution is cuFFT's (mixes_positions).
// step_fp32 (the recurrent form, checked against the reference's step form) is bitwise causal and deterministic.
#include <array>

#include "optimized/h3/variants.hpp"

namespace menagerie::opt::h3 {
namespace {

const std::array<Variant, 2> kVariants = {{
    {"composed_fp32", DType::f32, composed_fp32::unsupported, composed_fp32::buffers, composed_fp32::forward,
     composed_fp32::backward, "", false, true},
    {"step_fp32", DType::f32, step_fp32::unsupported, step_fp32::buffers, step_fp32::forward, nullptr, "", true},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::h3
