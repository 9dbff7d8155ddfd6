// The variant table of base_conv (see variants.hpp). composed_fp32 is causal to rounding only with a long filter (its
// convolution is cuFFT's, Variant::mixes_positions); with the short conv it is bitwise causal, but one flag holds for
// the variant, so the weaker check is declared. step_fp32 (the short conv's recurrent form) is bitwise causal and
// deterministic; not flagged `recurrent`, since the contract declares no recurrent form (its yardstick is the parallel
// form's float reference).
#include <array>

#include "optimized/base_conv/variants.hpp"

namespace menagerie::opt::base_conv {
namespace {

const std::array<Variant, 2> kVariants = {{
    {"composed_fp32", DType::f32, composed_fp32::unsupported, composed_fp32::buffers, composed_fp32::forward,
     composed_fp32::backward, "", false, true},
    {"step_fp32", DType::f32, step_fp32::unsupported, step_fp32::buffers, step_fp32::forward, nullptr},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::base_conv
