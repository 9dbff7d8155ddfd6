// The variant table of rwkv (see variants.hpp): composed_fp32 and step_fp32 (the recurrent form, checked against the
// reference's step form), both bitwise causal and deterministic (their WKV and their GEMMs are).
#include <array>

#include "optimized/rwkv/variants.hpp"

namespace menagerie::opt::rwkv {
namespace {

const std::array<Variant, 2> kVariants = {{
    {"composed_fp32", DType::f32, composed_fp32::unsupported, composed_fp32::buffers, composed_fp32::forward,
     composed_fp32::backward},
    {"step_fp32", DType::f32, step_fp32::unsupported, step_fp32::buffers, step_fp32::forward, nullptr, "", true},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::rwkv
