// The variant table of softmax_attention and the dispatcher (see variants.hpp).
#include "optimized/softmax_attention/variants.hpp"

#include <array>
#include <string_view>

#include "core/errors.hpp"

namespace menagerie::opt::softmax_attention {

namespace {

std::size_t no_bytes(const Problem&) { return 0; }

const std::array<Variant, 5> kVariants = {{
    {"flash_wgmma_bf16", Precision::bf16, flash_wgmma::unsupported, flash_bf16::saved_bytes, no_bytes,
     flash_bf16::backward_workspace_bytes, flash_wgmma::forward, flash_bf16::backward},
    {"flash_tiled_bf16", Precision::bf16, flash_bf16::unsupported, flash_bf16::saved_bytes, no_bytes,
     flash_bf16::backward_workspace_bytes, flash_bf16::forward, flash_bf16::backward},
    {"flash_tiled_fp32", Precision::fp32, flash_fp32::unsupported, flash_fp32::saved_bytes, no_bytes,
     flash_fp32::backward_workspace_bytes, flash_fp32::forward, flash_fp32::backward},
    {"gemm_cublas_bf16", Precision::bf16, gemm_cublas::unsupported, no_bytes, gemm_cublas::forward_workspace_bytes,
     gemm_cublas::backward_workspace_bytes, gemm_cublas::forward_bf16, gemm_cublas::backward_bf16},
    {"gemm_cublas_fp32", Precision::fp32, gemm_cublas::unsupported, no_bytes, gemm_cublas::forward_workspace_bytes,
     gemm_cublas::backward_workspace_bytes, gemm_cublas::forward_fp32, gemm_cublas::backward_fp32},
}};

}  // namespace

const char* to_string(Precision p) { return p == Precision::bf16 ? "bf16" : "fp32"; }

std::span<const Variant> variants() { return kVariants; }

const Variant& variant(std::string_view name, const Problem& p) {
  for (const auto& v : kVariants)
    if (name == v.name) {
      const std::string why = v.unsupported(p);
      require<ShapeError>(why.empty(), why);
      return v;
    }
  std::string names;
  for (const auto& v : kVariants) names += cat(names.empty() ? "" : ", ", v.name);
  throw InputError(cat("softmax_attention: no variant named '", name, "' (have ", names, ")"));
}

// Table order: the flash kernels first (nothing T x T in HBM, no workspace in the forward), the wgmma forward
// before the mma.sync one where the device has it; gemm_cublas serves the
// shapes only it supports (D or Dv beyond 128) and is preferred for one head at T <= 1024 (the Zoology shape), where
// it measured faster over forward + backward (reports/throughput-attention.md, B = 8, T = 1024, H = 1, D = 128:
// 0.132 against 0.149 ms for flash_wgmma_bf16 in bf16, 0.511 against 0.831 ms in fp32). One variant serves both
// directions, since a backward reads its own forward's saved state.
const Variant& choose(const Problem& p, Precision precision) {
  p.validate();
  if (p.H == 1 && p.T <= 1024)
    for (const auto& v : kVariants)
      if (v.precision == precision && std::string_view(v.name).starts_with("gemm_cublas") && v.supports(p)) return v;
  std::string reasons;
  for (const auto& v : kVariants) {
    if (v.precision != precision) continue;
    const std::string why = v.unsupported(p);
    if (why.empty()) return v;
    reasons += cat(reasons.empty() ? "" : "; ", why);
  }
  throw ShapeError(cat("softmax_attention (", to_string(precision), "): no variant supports ", "B=", p.B, " T=", p.T,
                       " H=", p.H, " D=", p.D, " Dv=", p.Dv, ": ", reasons));
}

}  // namespace menagerie::opt::softmax_attention
