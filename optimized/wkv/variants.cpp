// The variant table of wkv (see variants.hpp): scan_fp32 and split_fp32, forward and backward; the forward saves the
// checkpoints of the state ("state"), the backward uses one scratch workspace (per-(b, d) parameter-gradient partials).
#include <array>

#include "optimized/wkv/variants.hpp"

namespace menagerie::opt::wkv {

namespace {

namespace sf = scan_fp32;

sf::Inputs inputs(const DeviceArgs& a) {
  return {a.as<float>("k"), a.as<float>("v"), a.as<float>("time_decay"), a.as<float>("time_first")};
}

sf::Grads grads(const DeviceArgs& a) {
  return {a.as<float>("dk"), a.as<float>("dv"), a.as<float>("dtime_decay"), a.as<float>("dtime_first")};
}

std::vector<BufferSpec> buffers(const Problem& p) {
  return {{"state", sf::state_bytes(p), true}, {"workspace", sf::workspace_bytes(p), false}};
}

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  sf::forward(p, inputs(a), a.as<float>("y"), a.as<float>("state"), s);
}

std::vector<BufferSpec> buffers_split(const Problem& p) {
  return {{"state", split_fp32::state_bytes(p), true}, {"workspace", sf::workspace_bytes(p), false}};
}

void forward_split(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  split_fp32::forward(p, inputs(a), a.as<float>("y"), a.as<float>("state"), s);
}

void backward_split(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  split_fp32::backward(p, inputs(a), a.as<float>("state"), a.as<float>("dy"), grads(a), a.as<float>("workspace"), s);
}

void backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  sf::backward(p, inputs(a), a.as<float>("state"), a.as<float>("dy"), grads(a), a.as<float>("workspace"), s);
}

// recurrent: the forward evaluates the stable step form, so its yardstick is reference_forward_recurrent in float.
const std::array<Variant, 2> kVariants = {{
    {"scan_fp32", DType::f32, sf::unsupported, buffers, forward, backward, "", true},
    {"split_fp32", DType::f32, split_fp32::unsupported, buffers_split, forward_split, backward_split, "", true},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::wkv
