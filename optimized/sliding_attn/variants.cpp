// The variant table of sliding_attn (see variants.hpp). composed_fp32 is bitwise causal; its forward is
// deterministic, its backward is where the attention operator runs flash_tiled_fp32 (T > 1024, d <= 128),
// whose dq sums key tiles by atomics, so du and Wqkv's gradients are declared nondeterministic. step_fp32 is
// bitwise causal and deterministic; it evaluates the recurrent form but is not flagged `recurrent`, since the
// reference has no recurrent form of this mixer (the yardstick is then the parallel form's float reference).
#include <array>

#include "optimized/sliding_attn/variants.hpp"

namespace menagerie::opt::sliding_attn {
namespace {

const std::array<Variant, 2> kVariants = {{
    {"composed_fp32", DType::f32, composed_fp32::unsupported, composed_fp32::buffers, composed_fp32::forward,
     composed_fp32::backward, "du dWqkv.weight dWqkv.bias"},
    {"step_fp32", DType::f32, step_fp32::unsupported, step_fp32::buffers, step_fp32::forward, nullptr},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::sliding_attn
