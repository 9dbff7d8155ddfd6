// The variant table of rwkv (see variants.hpp): composed_fp32, bitwise causal and deterministic (its WKV and its
// GEMMs are).
#include <array>

#include "optimized/rwkv/variants.hpp"

namespace menagerie::opt::rwkv {
namespace {

const std::array<Variant, 1> kVariants = {{
    {"composed_fp32", DType::f32, composed_fp32::unsupported, composed_fp32::buffers, composed_fp32::forward,
     composed_fp32::backward},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::rwkv
