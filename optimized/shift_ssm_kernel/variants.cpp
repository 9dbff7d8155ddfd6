// The variant table of shift_ssm_kernel (see variants.hpp): direct_fp32, forward and backward, no buffers.
#include <array>

#include "optimized/shift_ssm_kernel/variants.hpp"

namespace menagerie::opt::shift_ssm_kernel {

namespace {

std::vector<BufferSpec> no_buffers(const Problem&) { return {}; }

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  direct_fp32::forward(p, a.as<float>("B"), a.as<float>("C"), a.as<float>("filter"), s);
}
void backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  direct_fp32::backward(p, a.as<float>("B"), a.as<float>("C"), a.as<float>("dfilter"), a.as<float>("dB"),
                        a.as<float>("dC"), s);
}

const std::array<Variant, 1> kVariants = {{
    {"direct_fp32", DType::f32, direct_fp32::unsupported, no_buffers, forward, backward},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::shift_ssm_kernel
