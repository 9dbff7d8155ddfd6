// The AVX2 kernel behind LegacyRandomState::draw_swaps (numpy_random.cpp), used only when the CPU has AVX2; it
// produces exactly what the scalar path produces. Written with GCC vector extensions (no intrinsics headers).
//   have_avx2()          the CPU supports AVX2 and the kernels are enabled; set_avx2_enabled(false) forces the
//                        scalar paths (tests compare both).
//   draw_blocks_avx2     Fisher-Yates partners from blocks of 8 or 16 masked draws decided at once: from i at the
//                        block start, draw k is surely accepted if v <= i - k (at most k earlier acceptances) and
//                        surely rejected if v > i. Accepted values are packed, in order, to t (which advances; up
//                        to 16 words past the last accepted one are scribbled). Runs while a block fits in the
//                        624-word buffer and cannot reach the next mask (i >= lo + block - 1); stops before the first
//                        block holding an undecided draw. Returns the new buffer position; i and t advance.
#pragma once
#include <cstdint>

namespace menagerie::synthetics::simd {

bool have_avx2();
void set_avx2_enabled(bool on);
int draw_blocks_avx2(const std::uint32_t* buffer, int p, std::uint32_t mask, std::uint32_t& i, std::uint32_t lo,
                     std::uint32_t*& t);

}  // namespace menagerie::synthetics::simd
