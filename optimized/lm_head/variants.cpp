// The variant table of lm_head (see variants.hpp): gemm_fp32, forward and backward, deterministic (cuBLAS's FP32
// GEMMs, fixed summation order on one architecture).
#include <array>

#include "optimized/lm_head/variants.hpp"

namespace menagerie::opt::lm_head {
namespace {

const std::array<Variant, 1> kVariants = {{
    {"gemm_fp32", DType::f32, gemm_fp32::unsupported, gemm_fp32::buffers, gemm_fp32::forward, gemm_fp32::backward},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::lm_head
