// The variant table of based (see variants.hpp). composed_fp32 is deterministic (cuBLAS's fixed-order GEMMs,
// chunked_smem's or quadratic's fixed-order sums, the block sums) and bitwise causal. step_fp32 evaluates the
// recurrent form (checked against the reference's recurrent form as yardstick), bitwise causal and deterministic.
#include <array>

#include "optimized/based/variants.hpp"

namespace menagerie::opt::based {
namespace {

const std::array<Variant, 2> kVariants = {{
    {"composed_fp32", DType::f32, composed_fp32::unsupported, composed_fp32::buffers, composed_fp32::forward,
     composed_fp32::backward},
    {"step_fp32", DType::f32, step_fp32::unsupported, step_fp32::buffers, step_fp32::forward, nullptr, "", true},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::based
