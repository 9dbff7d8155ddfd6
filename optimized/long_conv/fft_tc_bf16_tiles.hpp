// Host query of fft_tc_bf16's channel-tiled path (fft_tc_bf16_tiled.cu): for T <= 8192 and D % 8 == 0 a cluster of
// 8 CTAs handles 8 neighbouring channels of a sequence pair, moving each row's 8 bf16 (16 bytes) as one access. The
// launch falls back to the one-channel kernels when the tensors are not 16-byte aligned or no such cluster fits.
#pragma once
#include "optimized/long_conv/variants.hpp"

namespace menagerie::opt::long_conv::fft_tc_bf16 {

// Whether forward and backward run the channel-tiled kernels on the current device for p, given 16-byte aligned
// tensors: p supported, T <= 8192, D % 8 == 0, and a cluster of 8 CTAs of each kernel's shared memory fits.
bool uses_channel_tiles(const Problem& p);

}  // namespace menagerie::opt::long_conv::fft_tc_bf16
