// AVX2 kernels of the numpy stream emulation (see numpy_random_avx2.hpp). Compiled for AVX2 through the target
// attribute; callers check have_avx2() first.
#include "synthetics/numpy_random_avx2.hpp"

#include <array>
#include <cstring>

namespace menagerie::synthetics::simd {

namespace {
using v8 = std::int32_t __attribute__((vector_size(32)));
using v8f = float __attribute__((vector_size(32)));

// pack[bits] lists the set bits of `bits` in increasing order: vpermd indices that gather the accepted lanes.
const std::array<std::array<std::int32_t, 8>, 256>& pack_table() {
  static const auto lut = [] {
    std::array<std::array<std::int32_t, 8>, 256> t{};
    for (std::size_t bits = 0; bits < 256; ++bits) {
      std::size_t n = 0;
      for (int k = 0; k < 8; ++k)
        if (bits >> k & 1) t[bits][n++] = k;
    }
    return t;
  }();
  return lut;
}

__attribute__((target("avx2"))) int movemask(v8 x) { return __builtin_ia32_movmskps256(reinterpret_cast<v8f>(x)); }

__attribute__((target("avx2"))) v8 load(const std::uint32_t* p) {
  v8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Packs the lanes of v selected by bits to t; returns how many.
__attribute__((target("avx2"))) std::uint32_t pack_to(v8 v, int bits, std::uint32_t* t,
                                                      const std::array<std::array<std::int32_t, 8>, 256>& lut) {
  v8 idx;
  std::memcpy(&idx, lut[static_cast<std::size_t>(bits)].data(), sizeof idx);
  // vpermd, as GCC's __builtin_shuffle(v, idx) gives it; this builtin exists in both GCC and clang (the fuzz build).
  const v8 packed = __builtin_ia32_permvarsi256(v, idx);
  std::memcpy(t, &packed, sizeof packed);
  return static_cast<std::uint32_t>(__builtin_popcount(static_cast<unsigned>(bits)));
}
}  // namespace

namespace {
bool& enabled() {
  static bool on = __builtin_cpu_supports("avx2");
  return on;
}
}  // namespace

bool have_avx2() { return enabled(); }
void set_avx2_enabled(bool on) { enabled() = on && __builtin_cpu_supports("avx2"); }

__attribute__((target("avx2"))) int draw_blocks_avx2(const std::uint32_t* o, int p, std::uint32_t mask,
                                                     std::uint32_t& i, std::uint32_t lo, std::uint32_t*& t) {
  const auto& lut = pack_table();
  const v8 lane = {0, 1, 2, 3, 4, 5, 6, 7};
  const v8 m = v8{} + static_cast<std::int32_t>(mask);
  // Values and i stay below 2^31 (the caller checks n), so the signed compares are exact.
  if (mask >= 1023) {  // 16 draws per block: undecided draws are rare enough (< 120 / 1024 per block)
    while (p + 16 <= 624 && i >= lo + 15) {
      const v8 a = load(o + p) & m, b = load(o + p + 8) & m;
      const v8 top = v8{} + static_cast<std::int32_t>(i);
      const v8 acc_a = a <= top - lane, acc_b = b <= top - 8 - lane;
      if (movemask(~(acc_a | (a > top))) | movemask(~(acc_b | (b > top)))) break;
      std::uint32_t c = pack_to(a, movemask(acc_a), t, lut);
      c += pack_to(b, movemask(acc_b), t + c, lut);
      t += c;
      i -= c;
      p += 16;
    }
  }
  while (p + 8 <= 624 && i >= lo + 7) {
    const v8 a = load(o + p) & m;
    const v8 top = v8{} + static_cast<std::int32_t>(i);
    const v8 acc = a <= top - lane;
    if (movemask(~(acc | (a > top)))) break;
    const std::uint32_t c = pack_to(a, movemask(acc), t, lut);
    t += c;
    i -= c;
    p += 8;
  }
  return p;
}

}  // namespace menagerie::synthetics::simd
