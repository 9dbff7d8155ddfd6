// The variant table of linear_attention (see variants.hpp): chunked_smem and quadratic forward and backward (the
// same saved den); recurrent_step run as a forward over the whole sequence, one launch per token, the state
// (S [B, H, F', Dv], z [B, H, F']) zeroed in the workspace first and each token's q_t, k_t, v_t gathered into it
// (rows b of [B, T, H, *] are strided by T H *).
#include <array>

#include "optimized/common/check.hpp"
#include "optimized/linear_attention/variants.hpp"

namespace menagerie::opt::linear_attention {

namespace {

// chunked_smem and quadratic: the saved denominator den [B, H, T].
std::vector<BufferSpec> den_buffers(const Problem& p) {
  return {{"den", static_cast<std::size_t>(p.B * p.H * p.T) * sizeof(float), true}};
}

ForwardArgs forward_args(const DeviceArgs& a) {
  return {a.as<float>("q"), a.as<float>("k"), a.as<float>("v"), a.as<float>("o"), a.as<float>("den")};
}

BackwardArgs backward_args(const DeviceArgs& a) {
  return {a.as<float>("q"),   a.as<float>("k"),  a.as<float>("v"),  a.as<float>("o"), a.as<float>("do"),
          a.as<float>("den"), a.as<float>("dq"), a.as<float>("dk"), a.as<float>("dv")};
}

void chunked_forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  chunked_smem::forward(p, forward_args(a), s);
}
void chunked_backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  chunked_smem::backward(p, backward_args(a), s);
}
void quadratic_forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  quadratic::forward(p, forward_args(a), s);
}
void quadratic_backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  quadratic::backward(p, backward_args(a), s);
}

// Workspace layout (floats): S [B H F' Dv], z [B H F'], q_t, k_t [B H F], v_t, o_t [B H Dv].
struct StepLayout {
  std::size_t S, z, q, k, v, o, total;
  explicit StepLayout(const Problem& p) {
    const auto bh = static_cast<std::size_t>(p.B * p.H), fp = static_cast<std::size_t>(p.expanded_dim());
    S = 0;
    z = S + bh * fp * static_cast<std::size_t>(p.Dv);
    q = z + bh * fp;
    k = q + bh * static_cast<std::size_t>(p.F);
    v = k + bh * static_cast<std::size_t>(p.F);
    o = v + bh * static_cast<std::size_t>(p.Dv);
    total = o + bh * static_cast<std::size_t>(p.Dv);
  }
};

std::vector<BufferSpec> step_buffers(const Problem& p) {
  return {{"workspace", StepLayout(p).total * sizeof(float), false}};
}

// dst rows [B] of `row` floats <- src[b, t] of a [B, T, row] tensor (or the reverse with to_tensor).
void copy_token(float* tensor, float* token, const Problem& p, std::int64_t t, std::int64_t row, bool to_tensor,
                cudaStream_t s) {
  const std::size_t width = static_cast<std::size_t>(row) * sizeof(float);
  float* at = tensor + t * row;
  const std::size_t pitch = static_cast<std::size_t>(p.T * row) * sizeof(float);
  if (to_tensor)
    MENAGERIE_CUDA_CHECK(cudaMemcpy2DAsync(at, pitch, token, width, width, static_cast<std::size_t>(p.B),
                                           cudaMemcpyDeviceToDevice, s));
  else
    MENAGERIE_CUDA_CHECK(cudaMemcpy2DAsync(token, width, at, pitch, width, static_cast<std::size_t>(p.B),
                                           cudaMemcpyDeviceToDevice, s));
}

void step_forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  const StepLayout l(p);
  float* ws = a.as<float>("workspace");
  MENAGERIE_CUDA_CHECK(cudaMemsetAsync(ws, 0, l.q * sizeof(float), s));  // S and z
  const StepArgs step{ws + l.q, ws + l.k, ws + l.v, ws + l.S, ws + l.z, ws + l.o};
  for (std::int64_t t = 0; t < p.T; ++t) {
    copy_token(a.as<float>("q"), ws + l.q, p, t, p.H * p.F, false, s);
    copy_token(a.as<float>("k"), ws + l.k, p, t, p.H * p.F, false, s);
    copy_token(a.as<float>("v"), ws + l.v, p, t, p.H * p.Dv, false, s);
    recurrent_step::step(p, step, s);
    copy_token(a.as<float>("o"), ws + l.o, p, t, p.H * p.Dv, true, s);
  }
}

const std::array<Variant, 3> kVariants = {{
    {"chunked_smem", DType::f32, chunked_smem::unsupported, den_buffers, chunked_forward, chunked_backward},
    {"quadratic", DType::f32, quadratic::unsupported, den_buffers, quadratic_forward, quadratic_backward},
    {"recurrent_step", DType::f32, recurrent_step::unsupported, step_buffers, step_forward, nullptr, "", true},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

}  // namespace menagerie::opt::linear_attention
