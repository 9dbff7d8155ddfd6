// The variant table of long_conv (see variants.hpp): fft_cufft (fp32) and fft_tc_bf16, each forward and backward
// with one scratch workspace, both FFT-based, so causal to rounding rather than bitwise (Variant::mixes_positions);
// direct_fp32 for short T, a workspace for dh's partial sums, bitwise causal.
#include <array>

#include "optimized/long_conv/variants.hpp"

namespace menagerie::opt::long_conv {

namespace {

template <std::size_t (*Bytes)(const Problem&)>
std::vector<BufferSpec> workspace(const Problem& p) {
  return {{"workspace", Bytes(p), false}};
}

void cufft_forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  fft_cufft::forward(p, a.as<float>("u"), a.as<float>("h"), a.as<float>("y"), a.get("workspace"), s);
}
void cufft_backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  fft_cufft::backward(p, a.as<float>("u"), a.as<float>("h"), a.as<float>("dy"), a.as<float>("du"), a.as<float>("dh"),
                      a.get("workspace"), s);
}

void direct_forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  direct_fp32::forward(p, a.as<float>("u"), a.as<float>("h"), a.as<float>("y"), s);
}
void direct_backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  direct_fp32::backward(p, a.as<float>("u"), a.as<float>("h"), a.as<float>("dy"), a.as<float>("du"),
                        a.as<float>("dh"), a.get("workspace"), s);
}

void tc_forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  fft_tc_bf16::forward(p, a.get("u"), a.get("h"), a.get("y"), a.get("workspace"), s);
}
void tc_backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  fft_tc_bf16::backward(p, a.get("u"), a.get("h"), a.get("dy"), a.get("du"), a.get("dh"), a.get("workspace"), s);
}

const std::array<Variant, 3> kVariants = {{
    {"fft_cufft", DType::f32, fft_cufft::unsupported, workspace<fft_cufft::workspace_bytes>, cufft_forward,
     cufft_backward, "", false, true},
    {"direct_fp32", DType::f32, direct_fp32::unsupported, workspace<direct_fp32::workspace_bytes>, direct_forward,
     direct_backward, "", false, false},
    {"fft_tc_bf16", DType::bf16, fft_tc_bf16::unsupported, workspace<fft_tc_bf16::workspace_bytes>, tc_forward,
     tc_backward, "", false, true},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::long_conv
