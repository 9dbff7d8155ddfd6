// The variant table of short_conv (see variants.hpp): direct_fp32 and direct_bf16, forward and backward, one
// workspace for the backward's dweight/dbias partial sums.
#include <array>

#include "optimized/short_conv/variants.hpp"

namespace menagerie::opt::short_conv {

namespace {

std::vector<BufferSpec> buffers(const Problem& p) {
  return {{"workspace", static_cast<std::size_t>(chunks(p) * (p.K + 1) * p.D) * sizeof(float), false}};
}

template <DType DT>
void forward_named(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  forward(p, DT, {a.get("u"), a.get("weight"), a.get("bias"), a.get("y")}, s);
}

template <DType DT>
void backward_named(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  backward(p, DT,
           {a.get("u"), a.get("weight"), a.get("dy"), a.get("du"), a.get("dweight"), a.get("dbias"),
            a.as<float>("workspace")},
           s);
}

const std::array<Variant, 2> kVariants = {{
    {"direct_fp32", DType::f32, unsupported, buffers, forward_named<DType::f32>, backward_named<DType::f32>},
    {"direct_bf16", DType::bf16, unsupported, buffers, forward_named<DType::bf16>, backward_named<DType::bf16>},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::short_conv
