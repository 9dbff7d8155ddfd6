// The variant table of softmax_attention and the dispatcher (see variants.hpp).
#include "optimized/softmax_attention/variants.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "core/errors.hpp"

namespace menagerie::opt::softmax_attention {

namespace {

std::size_t no_bytes(const Problem&) { return 0; }

ForwardArgs forward_args(const DeviceArgs& a) {
  return {a.get("q"), a.get("k"), a.get("v"), a.get("o"), a.as<float>("lse"), a.get("saved"), a.get("workspace")};
}
BackwardArgs backward_args(const DeviceArgs& a) {
  return {a.get("q"),  a.get("k"),  a.get("v"),  a.get("o"),     a.get("do"), a.as<float>("lse"),
          a.get("saved"), a.get("dq"), a.get("dk"), a.get("dv"), a.get("workspace")};
}

// The kernels' entry points adapted to the table's named device tensors.
template <void (*F)(const Problem&, const ForwardArgs&, cudaStream_t)>
void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) { F(p, forward_args(a), s); }
template <void (*F)(const Problem&, const BackwardArgs&, cudaStream_t)>
void backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) { F(p, backward_args(a), s); }

// lse [B, H, T] fp32, the saved state, and one workspace serving both directions.
template <std::size_t (*Saved)(const Problem&), std::size_t (*FwdWs)(const Problem&),
          std::size_t (*BwdWs)(const Problem&)>
std::vector<BufferSpec> buffers(const Problem& p) {
  return {{"lse", static_cast<std::size_t>(p.B * p.H * p.T) * 4, true},
          {"saved", Saved(p), true},
          {"workspace", std::max(FwdWs(p), BwdWs(p)), false}};
}

using namespace flash_bf16;
namespace gc = gemm_cublas;
const std::array<Variant, 5> kVariants = {{
    {"flash_wgmma_bf16", DType::bf16, flash_wgmma::unsupported, buffers<saved_bytes, no_bytes, backward_workspace_bytes>,
     forward<flash_wgmma::forward>, backward<flash_bf16::backward>, "dq"},
    {"flash_tiled_bf16", DType::bf16, flash_bf16::unsupported, buffers<saved_bytes, no_bytes, backward_workspace_bytes>,
     forward<flash_bf16::forward>, backward<flash_bf16::backward>, "dq"},
    {"flash_tiled_fp32", DType::f32, flash_fp32::unsupported,
     buffers<flash_fp32::saved_bytes, no_bytes, flash_fp32::backward_workspace_bytes>, forward<flash_fp32::forward>,
     backward<flash_fp32::backward>, "dq"},
    {"gemm_cublas_bf16", DType::bf16, gc::unsupported,
     buffers<no_bytes, gc::forward_workspace_bytes, gc::backward_workspace_bytes>, forward<gc::forward_bf16>,
     backward<gc::backward_bf16>},
    {"gemm_cublas_fp32", DType::f32, gc::unsupported,
     buffers<no_bytes, gc::forward_workspace_bytes, gc::backward_workspace_bytes>, forward<gc::forward_fp32>,
     backward<gc::backward_fp32>},
}};

}  // namespace

std::span<const Variant> variants() { return kVariants; }

const Variant& variant(std::string_view name, const Problem& p) {
  return find_variant<Problem>(kVariants, "softmax_attention", name, p);
}

// Table order: the flash kernels first (nothing T x T in HBM, no workspace in the forward), the wgmma forward
// before the mma.sync one where the device has it; gemm_cublas serves the
// shapes only it supports (D or Dv beyond 128) and is preferred for one head at T <= 1024 (the Zoology shape), where
// it measured faster over forward + backward (reports/throughput-attention.md, B = 8, T = 1024, H = 1, D = 128:
// 0.132 against 0.149 ms for flash_wgmma_bf16 in bf16, 0.511 against 0.831 ms in fp32). One variant serves both
// directions, since a backward reads its own forward's saved state.
const Variant& choose(const Problem& p, DType dtype) {
  p.validate();
  if (p.H == 1 && p.T <= 1024)
    for (const auto& v : kVariants)
      if (v.dtype == dtype && std::string_view(v.name).starts_with("gemm_cublas") && v.supports(p)) return v;
  std::string reasons;
  for (const auto& v : kVariants) {
    if (v.dtype != dtype) continue;
    const std::string why = v.unsupported(p);
    if (why.empty()) return v;
    reasons += cat(reasons.empty() ? "" : "; ", why);
  }
  throw ShapeError(cat("softmax_attention (", dtype_name(dtype), "): no variant supports ", "B=", p.B, " T=", p.T,
                       " H=", p.H, " D=", p.D, " Dv=", p.Dv, ": ", reasons));
}

}  // namespace menagerie::opt::softmax_attention
