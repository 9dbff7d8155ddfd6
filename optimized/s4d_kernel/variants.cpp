// The variant table of s4d_kernel (see variants.hpp): vandermonde_fp32, forward and backward, one scratch workspace
// (the per-mode terms of dlog_dt).
#include <array>

#include "optimized/s4d_kernel/variants.hpp"

namespace menagerie::opt::s4d_kernel {

namespace {

namespace vf = vandermonde_fp32;

vf::Params params(const DeviceArgs& a) {
  return {a.as<float>("log_dt"), a.as<float>("inv_A_real"), a.as<float>("A_imag"), a.as<float>("B"), a.as<float>("C")};
}

std::vector<BufferSpec> buffers(const Problem& p) { return {{"workspace", vf::workspace_bytes(p), false}}; }

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) { vf::forward(p, params(a), a.as<float>("K"), s); }

void backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  vf::backward(p, params(a), a.as<float>("dK"),
               {a.as<float>("dlog_dt"), a.as<float>("dinv_A_real"), a.as<float>("dA_imag"), a.as<float>("dB"),
                a.as<float>("dC")},
               a.get("workspace"), s);
}

const std::array<Variant, 1> kVariants = {{
    {"vandermonde_fp32", DType::f32, vf::unsupported, buffers, forward, backward},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::s4d_kernel
