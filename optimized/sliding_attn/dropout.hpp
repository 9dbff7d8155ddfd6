// sliding_attn composed_fp32 as projected attention (optimized/common/projected_attention.hpp): its Shape, one head
// of D = d, the window w. The GPU trainer runs it with attention dropout through projected_attention's DropoutMask
// overloads.
#pragma once
#include "core/mixers/sliding_attn.hpp"
#include "optimized/common/projected_attention.hpp"

template <>
struct menagerie::opt::projected_attention::WithDropout<menagerie::mixers::sliding_attn::Problem> {
  static Shape shape(const mixers::sliding_attn::Problem& p) {
    return {.B = p.B, .T = p.T, .d = p.d, .heads = 1, .window = p.window};
  }
};
