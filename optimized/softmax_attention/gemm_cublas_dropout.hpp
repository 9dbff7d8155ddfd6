// gemm_cublas fp32 with attention dropout (training): the entry points of optimized/softmax_attention/gemm_cublas.cu
// that apply a DropoutMask (dropout_mask.hpp) inside its row kernels, regenerating the mask from Philox in the
// forward and again in the backward (nothing mask-sized is kept between them):
//   forward   S = Q K^T;  P = softmax(scale S) over the visible band (lse of the undropped P);  P' = P keep/(1-p);
//             O = P' V
//   backward  S = Q K^T, dP' = dO V^T;  P = exp(scale S - lse);  dP = dP' keep/(1-p);  Delta = rowsum(P dP);
//             dS = P (dP - Delta);  dV = P'^T dO,  dQ = scale dS K,  dK = scale dS^T Q
// Same problems, buffers and workspace as gemm_cublas_fp32 (variants.hpp); a mask that is off runs it unchanged.
// Not a row of the variant table: the softmax_attention contract has no dropout.
#pragma once
#include <cuda_runtime.h>

#include "optimized/softmax_attention/dropout_mask.hpp"
#include "optimized/softmax_attention/variants.hpp"

namespace menagerie::opt::softmax_attention::gemm_cublas {

void forward_fp32_dropout(const Problem& p, const ForwardArgs& a, const DropoutMask& mask, cudaStream_t stream);
void backward_fp32_dropout(const Problem& p, const BackwardArgs& a, const DropoutMask& mask, cudaStream_t stream);

}  // namespace menagerie::opt::softmax_attention::gemm_cublas
