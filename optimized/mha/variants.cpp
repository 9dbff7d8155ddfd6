// The variant table of mha (see variants.hpp). composed_fp32 is bitwise causal (cuBLAS's row-wise GEMMs, the
// attention operator's masked kernels). Its forward is deterministic; its backward is where the attention operator
// runs flash_tiled_fp32 (several heads, or T > 1024), whose dq sums key tiles by atomics, so du and Wqkv's
// gradients (all computed from dq) are declared nondeterministic.
#include <array>

#include "optimized/mha/variants.hpp"

namespace menagerie::opt::mha {
namespace {

const std::array<Variant, 1> kVariants = {{
    {"composed_fp32", DType::f32, composed_fp32::unsupported, composed_fp32::buffers, composed_fp32::forward,
     composed_fp32::backward, "du dWqkv.weight dWqkv.bias"},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::mha
