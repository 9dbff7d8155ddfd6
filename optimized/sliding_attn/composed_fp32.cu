// composed_fp32: Zoology's SlidingAttn mixer (core/mixers/sliding_attn.hpp) in fp32 on the GPU: projected softmax
// attention (optimized/common/projected_attention.{hpp,cu}) with one head of D = d and the window w in the attention
// operator's mask (keys s in [max(0, t - w), t]):
//   q, k, v = u Wqkv^T + b (split by thirds);  o = softmax_attention(q, k, v; 1/sqrt(d), w);  y = o Wo^T + bo;
//   the backward by the chain rule through each.
#include <string>
#include <vector>

#include "optimized/common/pointwise.hpp"
#include "optimized/common/projected_attention.hpp"
#include "optimized/sliding_attn/dropout.hpp"
#include "optimized/sliding_attn/variants.hpp"

namespace menagerie::opt::sliding_attn::composed_fp32 {
namespace {

projected_attention::Shape shape(const Problem& p) { return projected_attention::WithDropout<Problem>::shape(p); }

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.window < 0) return cat("sliding_attn composed_fp32: window = ", p.window, " unsupported (needs >= 0)");
  return projected_attention::unsupported(shape(p), "sliding_attn composed_fp32");
}

std::vector<BufferSpec> buffers(const Problem& p) { return projected_attention::buffers(shape(p)); }

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  projected_attention::forward(shape(p), a, s);
}

void backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  projected_attention::backward(shape(p), a, s);
}

}  // namespace menagerie::opt::sliding_attn::composed_fp32
