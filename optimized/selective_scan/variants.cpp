// The variant table of selective_scan (see variants.hpp): scan_fp32, forward and backward; the forward saves the
// chunk checkpoints of the state ("state"), the backward uses one scratch workspace (the partial sums of the gradients
// that are summed over channels or sequences, reduced in a fixed order).
#include <array>

#include "optimized/selective_scan/variants.hpp"

namespace menagerie::opt::selective_scan {

namespace {

namespace sf = scan_fp32;

sf::Inputs inputs(const DeviceArgs& a) {
  return {a.as<float>("x"), a.as<float>("delta"), a.as<float>("A"),
          a.as<float>("B"), a.as<float>("C"),     a.as<float>("D")};
}

std::vector<BufferSpec> buffers(const Problem& p) {
  return {{"state", sf::state_bytes(p), true}, {"workspace", sf::workspace_bytes(p), false}};
}

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  sf::forward(p, inputs(a), a.as<float>("y"), a.as<float>("state"), s);
}

void backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  sf::backward(p, inputs(a), a.as<float>("state"), a.as<float>("dy"),
               {a.as<float>("dx"), a.as<float>("ddelta"), a.as<float>("dA"), a.as<float>("dB"), a.as<float>("dC"),
                a.as<float>("dD")},
               a.as<float>("workspace"), s);
}

// recurrent: the forward evaluates the scan (the step form), so its yardstick is reference_forward_recurrent in float.
const std::array<Variant, 1> kVariants = {{
    {"scan_fp32", DType::f32, sf::unsupported, buffers, forward, backward, "", true},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::selective_scan
