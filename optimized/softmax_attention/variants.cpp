// The variant table of softmax_attention and the dispatcher (see variants.hpp).
#include "optimized/softmax_attention/variants.hpp"

#include <array>

#include "core/errors.hpp"

namespace menagerie::opt::softmax_attention {

namespace {

std::size_t no_workspace(const Problem&) { return 0; }

const std::array<Variant, 4> kVariants = {{
    {"flash_tiled_bf16", Precision::bf16, flash_bf16::unsupported, no_workspace, flash_bf16::backward_workspace_bytes,
     flash_bf16::forward, flash_bf16::backward},
    {"flash_tiled_fp32", Precision::fp32, flash_fp32::unsupported, no_workspace, flash_fp32::backward_workspace_bytes,
     flash_fp32::forward, flash_fp32::backward},
    {"gemm_cublas_bf16", Precision::bf16, gemm_cublas::unsupported, gemm_cublas::forward_workspace_bytes,
     gemm_cublas::backward_workspace_bytes, gemm_cublas::forward_bf16, gemm_cublas::backward_bf16},
    {"gemm_cublas_fp32", Precision::fp32, gemm_cublas::unsupported, gemm_cublas::forward_workspace_bytes,
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

// Table order: the flash kernels first (nothing T x T in HBM, no workspace in the forward); gemm_cublas serves the
// shapes only it supports (D or Dv beyond 128: the Zoology single-head shape). bench/attention_bench.cpp times both
// where both apply, so reports/throughput-attention.md shows whether this order is the right one.
const Variant& choose(const Problem& p, Precision precision) {
  p.validate();
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
