// composed_fp32: Zoology's MHA mixer (core/mixers/mha.hpp) in fp32 on the GPU: projected softmax attention
// (optimized/common/projected_attention.{hpp,cu}) with H = heads and the full causal mask (no window):
//   q, k, v = u Wqkv^T + b  (rows [0, d), [d, 2d), [2d, 3d) of Wqkv: the "(three h D)" split, each [B, T, H, D]);
//   o = softmax_attention(q, k, v; 1/sqrt(D));  y = o Wo^T + bo;  the backward by the chain rule through each.
#include <string>
#include <vector>

#include "optimized/common/pointwise.hpp"
#include "optimized/common/projected_attention.hpp"
#include "optimized/mha/dropout.hpp"
#include "optimized/mha/variants.hpp"

namespace menagerie::opt::mha::composed_fp32 {
namespace {

projected_attention::Shape shape(const Problem& p) { return projected_attention::WithDropout<Problem>::shape(p); }

}  // namespace

std::string unsupported(const Problem& p) { return projected_attention::unsupported(shape(p), "mha composed_fp32"); }

std::vector<BufferSpec> buffers(const Problem& p) { return projected_attention::buffers(shape(p)); }

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  projected_attention::forward(shape(p), a, s);
}

void backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  projected_attention::backward(shape(p), a, s);
}

}  // namespace menagerie::opt::mha::composed_fp32
