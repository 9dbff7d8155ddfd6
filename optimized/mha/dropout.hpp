// mha composed_fp32 as projected attention (optimized/common/projected_attention.hpp): its Shape, H = heads, no
// window. The GPU trainer runs it with attention dropout through projected_attention's DropoutMask overloads.
#pragma once
#include "core/mixers/mha.hpp"
#include "optimized/common/projected_attention.hpp"

template <>
struct menagerie::opt::projected_attention::WithDropout<menagerie::mixers::mha::Problem> {
  static Shape shape(const mixers::mha::Problem& p) {
    return {.B = p.B, .T = p.T, .d = p.d, .heads = p.heads, .window = -1};
  }
};
