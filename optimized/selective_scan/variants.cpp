// The variant table of selective_scan (see variants.hpp): scan_fp32 and scan_bf16, forward and backward; the forward saves the
// chunk checkpoints of the state ("state"), the backward uses one scratch workspace (the partial sums of the gradients
// that are summed over channels or sequences, reduced in a fixed order).
#include <array>

#include "optimized/selective_scan/variants.hpp"

namespace menagerie::opt::selective_scan {

namespace {

namespace sc = scan;

template <class S>
sc::Inputs<S> inputs(const DeviceArgs& a) {
  return {a.as<S>("x"), a.as<S>("delta"), a.as<S>("A"), a.as<S>("B"), a.as<S>("C"), a.as<S>("D")};
}

std::vector<BufferSpec> buffers(const Problem& p) {
  return {{"state", sc::state_bytes(p), true}, {"workspace", sc::workspace_bytes(p), false}};
}

template <class S>
void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  sc::forward<S>(p, inputs<S>(a), a.as<S>("y"), a.as<float>("state"), s);
}

template <class S>
void backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  sc::backward<S>(p, inputs<S>(a), a.as<float>("state"), a.as<S>("dy"),
                  {a.as<S>("dx"), a.as<S>("ddelta"), a.as<S>("dA"), a.as<S>("dB"), a.as<S>("dC"), a.as<S>("dD")},
                  a.as<float>("workspace"), s);
}

// recurrent: the forward evaluates the scan (the step form), so its yardstick is reference_forward_recurrent in float.
const std::array<Variant, 2> kVariants = {{
    {"scan_fp32", DType::f32, sc::unsupported, buffers, forward<float>, backward<float>, "", true},
    {"scan_bf16", DType::bf16, sc::unsupported, buffers, forward<__nv_bfloat16>, backward<__nv_bfloat16>, "", true},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::selective_scan
