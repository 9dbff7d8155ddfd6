// Philox-4x32-10, the counter-based generator of Random123 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers:
// as easy as 1, 2, 3", SC'11), and the conversions menagerie uses to fill tensors. Header-only, std-only, and
// usable from host and device code (MENAGERIE_HD): host and device produce bitwise identical values.
//
// Generator. A block is philox4x32_R(ctr, key) with ctr = 4 x u32, key = 2 x u32, R rounds. One round:
//   (hi0, lo0) = M0 * ctr0,  (hi1, lo1) = M1 * ctr2          (32x32 -> 64-bit products)
//   ctr' = {hi1 ^ ctr1 ^ key0, lo1, hi0 ^ ctr3 ^ key1, lo0}
// with M0 = 0xD2511F53, M1 = 0xCD9E8D57; between rounds key += {0x9E3779B9, 0xBB67AE85} (Weyl sequence), so round r
// (0-based) uses key + r * W. menagerie uses R = 10.
//
// Element-stream convention (seed k, stream s, element index i, all uint64):
//   key(k)      = {k mod 2^32, k >> 32}
//   ctr(s, b)   = {b mod 2^32, b >> 32, s mod 2^32, s >> 32}
//   block(k,s,b) = philox4x32_10(ctr(s, b), key(k)) = words x0..x3
// Each element kind packs a fixed number of elements per block, so element i lies in block b = i / L, slot i % L:
//   u32 word      L = 4: word i = x[i % 4]
//   float uniform L = 4: lo + (hi - lo) * u,  u = to_float_co(x[i % 4])          computed as fma(u, hi - lo, lo)
//   double unif.  L = 2: u = to_double_co(x[2j], x[2j+1]) with j = i % 2          computed as fma(u, hi - lo, lo)
//   float normal  L = 4: pairs (x0, x1) -> (z0, z1), (x2, x3) -> (z2, z3) by Box-Muller with
//                        u1 = to_float_oo(x[2p]), u2 = to_float_co(x[2p+1]), evaluated in double;
//                        element = float(fma(z, std, mean)) computed in double, rounded once to float
//   double normal L = 2: u1 = to_double_oo(x0, x1), u2 = to_double_co(x2, x3) -> (z0, z1); element = fma(z, std, mean)
//   integer [0,n) L = 1: block i; Lemire's multiply-shift with rejection on w0 = x1:x0, then w1 = x3:x2 (see below)
// Box-Muller: r = sqrt(-2 ln u1), z0 = r cos(2 pi u2), z1 = r sin(2 pi u2). Tails: |z| <= 5.77 for float elements
// (u1 >= 2^-24), |z| <= 8.57 for double elements (u1 >= 2^-53).
//
// Conversions (x, lo, hi are u32 words; all results are exact, no rounding happens):
//   to_float_co(x)       = (x >> 8) * 2^-24                         in [0, 1 - 2^-24], 2^24 values
//   to_float_oo(x)       = (2 (x >> 9) + 1) * 2^-24                 in [2^-24, 1 - 2^-24], open (0, 1)
//   to_double_co(lo, hi) = (v >> 11) * 2^-53,  v = hi * 2^32 + lo   in [0, 1 - 2^-53]
//   to_double_oo(lo, hi) = (2 (v >> 12) + 1) * 2^-53                in [2^-53, 1 - 2^-53], open (0, 1)
// (The open float variant uses 23 bits: (x >> 8) * 2^-24 + 2^-25 would need 25 significant bits and round.)
//
// Bitwise reproducibility. Every floating-point step below is one IEEE operation, correctly rounded on both sides:
// +, -, *, /, sqrt and fma; on the device they are the _rn intrinsics, which nvcc never fuses. ln, cos and sin are
// not taken from libm/libdevice (those differ between host and device) but evaluated here from those operations
// (series with exact-rational coefficients; measured max error 1.2 ulp for ln, 1.4 x 2^-53 for sin and cos). The
// host compiler must not contract a * b + c on its own: true for g++ in ISO mode (-std=c++20 implies
// -ffp-contract=off) and for clang's default (contraction within one expression only; every operation here is its
// own expression). Device code must not use fast math (checked below).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define MENAGERIE_HD __host__ __device__
#else
#define MENAGERIE_HD
#endif

#if defined(__CUDA_ARCH__) && defined(__USE_FAST_MATH__)
#error "core/philox.hpp needs IEEE arithmetic on the device: do not compile it with --use_fast_math"
#endif

namespace menagerie::philox {

struct Counter {
  std::uint32_t w[4];
  bool operator==(const Counter&) const = default;
};
struct Key {
  std::uint32_t w[2];
  bool operator==(const Key&) const = default;
};

inline constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // round multipliers
inline constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // key schedule (golden ratio, sqrt(3) - 1)

MENAGERIE_HD inline void mulhilo32(std::uint32_t a, std::uint32_t b, std::uint32_t& hi, std::uint32_t& lo) {
#if defined(__CUDA_ARCH__)
  hi = __umulhi(a, b);
  lo = a * b;
#else
  const std::uint64_t p = std::uint64_t{a} * b;
  hi = static_cast<std::uint32_t>(p >> 32);
  lo = static_cast<std::uint32_t>(p);
#endif
}

MENAGERIE_HD inline Counter single_round(const Counter& c, const Key& k) {
  std::uint32_t hi0, lo0, hi1, lo1;
  mulhilo32(kM0, c.w[0], hi0, lo0);
  mulhilo32(kM1, c.w[2], hi1, lo1);
  return {{hi1 ^ c.w[1] ^ k.w[0], lo1, hi0 ^ c.w[3] ^ k.w[1], lo0}};
}

// Philox-4x32 with R rounds (Random123 allows 0..16; 7 and 10 have published known answers).
template <int R>
MENAGERIE_HD inline Counter philox4x32(Counter c, Key k) {
  static_assert(R >= 1 && R <= 16, "Philox-4x32 is defined for 1..16 rounds");
  c = single_round(c, k);
  for (int r = 1; r < R; ++r) {
    k.w[0] += kW0;
    k.w[1] += kW1;
    c = single_round(c, k);
  }
  return c;
}

MENAGERIE_HD inline Counter philox4x32_10(const Counter& c, const Key& k) { return philox4x32<10>(c, k); }

// ---- the element-stream convention -----------------------------------------------------------------------------

MENAGERIE_HD inline Key key_of(std::uint64_t seed) {
  return {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
}
MENAGERIE_HD inline Counter counter_of(std::uint64_t stream, std::uint64_t block) {
  return {{static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
           static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)}};
}
// The four words of block b of stream s under seed k.
MENAGERIE_HD inline Counter block(std::uint64_t seed, std::uint64_t stream, std::uint64_t b) {
  return philox4x32_10(counter_of(stream, b), key_of(seed));
}
// Raw word i of stream s: x[i % 4] of block i / 4.
MENAGERIE_HD inline std::uint32_t word(std::uint64_t seed, std::uint64_t stream, std::uint64_t i) {
  return block(seed, stream, i / 4).w[i % 4];
}

// ---- u32 -> uniform --------------------------------------------------------------------------------------------

MENAGERIE_HD inline float to_float_co(std::uint32_t x) { return static_cast<float>(x >> 8) * 0x1p-24f; }
MENAGERIE_HD inline float to_float_oo(std::uint32_t x) {
  return static_cast<float>(((x >> 9) << 1) | 1u) * 0x1p-24f;
}
MENAGERIE_HD inline double to_double_co(std::uint32_t lo, std::uint32_t hi) {
  const std::uint64_t v = (std::uint64_t{hi} << 32) | lo;
  return static_cast<double>(v >> 11) * 0x1p-53;
}
MENAGERIE_HD inline double to_double_oo(std::uint32_t lo, std::uint32_t hi) {
  const std::uint64_t v = (std::uint64_t{hi} << 32) | lo;
  return static_cast<double>(((v >> 12) << 1) | 1u) * 0x1p-53;
}

// ---- single IEEE operations, never fused (see the header comment) -----------------------------------------------
namespace ieee {
#if defined(__CUDA_ARCH__)
MENAGERIE_HD inline double add(double a, double b) { return __dadd_rn(a, b); }
MENAGERIE_HD inline double sub(double a, double b) { return __dsub_rn(a, b); }
MENAGERIE_HD inline double mul(double a, double b) { return __dmul_rn(a, b); }
MENAGERIE_HD inline double div(double a, double b) { return __ddiv_rn(a, b); }
MENAGERIE_HD inline double fma(double a, double b, double c) { return __fma_rn(a, b, c); }
MENAGERIE_HD inline double sqrt(double a) { return __dsqrt_rn(a); }
MENAGERIE_HD inline float sub(float a, float b) { return __fsub_rn(a, b); }
MENAGERIE_HD inline float fma(float a, float b, float c) { return __fmaf_rn(a, b, c); }
MENAGERIE_HD inline std::uint64_t bits(double a) { return static_cast<std::uint64_t>(__double_as_longlong(a)); }
MENAGERIE_HD inline double from_bits(std::uint64_t b) { return __longlong_as_double(static_cast<long long>(b)); }
#else
MENAGERIE_HD inline double add(double a, double b) { return a + b; }
MENAGERIE_HD inline double sub(double a, double b) { return a - b; }
MENAGERIE_HD inline double mul(double a, double b) { return a * b; }
MENAGERIE_HD inline double div(double a, double b) { return a / b; }
MENAGERIE_HD inline double fma(double a, double b, double c) { return std::fma(a, b, c); }
MENAGERIE_HD inline double sqrt(double a) { return std::sqrt(a); }
MENAGERIE_HD inline float sub(float a, float b) { return a - b; }
MENAGERIE_HD inline float fma(float a, float b, float c) { return std::fma(a, b, c); }
MENAGERIE_HD inline std::uint64_t bits(double a) {
  std::uint64_t b;
  std::memcpy(&b, &a, sizeof b);
  return b;
}
MENAGERIE_HD inline double from_bits(std::uint64_t b) {
  double a;
  std::memcpy(&a, &b, sizeof a);
  return a;
}
#endif
}  // namespace ieee

// ln(u) for a normal double u > 0 (finite). u = 2^e m with m in [sqrt(1/2), sqrt(2)); f = m - 1 (exact),
// s = f / (2 + f), ln m = 2 atanh(s) = 2 s (1 + z/3 + z^2/5 + ... + z^11/23) with z = s^2: |s| <= 0.1716, so the
// first omitted term is below 2^-65 relative. Since 2 s = f - s f, ln m = f - s (f - 2 z p), p = 1/3 + z/5 + ...,
// which keeps the exact f as the leading term. ln u = e ln2_hi + (ln m + e ln2_lo), ln2_hi with 32 significant
// bits (e ln2_hi is exact), ln2_lo = ln2 - ln2_hi rounded. Measured max error 1.2 ulp (verify/philox_test.cpp).
MENAGERIE_HD inline double log_det(double u) {
  const std::uint64_t b = ieee::bits(u);
  int e = static_cast<int>((b >> 52) & 0x7ff) - 1023;
  double m = ieee::from_bits((b & 0x000fffffffffffffull) | 0x3ff0000000000000ull);  // [1, 2)
  if (m > 1.4142135623730951) {
    m = ieee::mul(m, 0.5);
    e += 1;
  }
  const double f = ieee::sub(m, 1.0);
  const double s = ieee::div(f, ieee::add(2.0, f));
  const double z = ieee::mul(s, s);
  double p = 1.0 / 23.0;
  p = ieee::fma(p, z, 1.0 / 21.0);
  p = ieee::fma(p, z, 1.0 / 19.0);
  p = ieee::fma(p, z, 1.0 / 17.0);
  p = ieee::fma(p, z, 1.0 / 15.0);
  p = ieee::fma(p, z, 1.0 / 13.0);
  p = ieee::fma(p, z, 1.0 / 11.0);
  p = ieee::fma(p, z, 1.0 / 9.0);
  p = ieee::fma(p, z, 1.0 / 7.0);
  p = ieee::fma(p, z, 1.0 / 5.0);
  p = ieee::fma(p, z, 1.0 / 3.0);
  const double t = ieee::mul(ieee::mul(2.0, z), p);      // 2 z p
  const double ln_m = ieee::fma(-s, ieee::sub(f, t), f);  // f - s (f - 2 z p)
  const double de = static_cast<double>(e);
  return ieee::fma(de, 0x1.62e42fee00000p-1, ieee::fma(de, 0x1.a39ef35793c76p-33, ln_m));
}

// sin(2 pi t) and cos(2 pi t) for t in [0, 1). t = q/4 + r exactly with |r| <= 1/8, x = 2 pi r in [-pi/4, pi/4];
// Taylor series to x^17 (sin) and x^16 (cos), first omitted terms below 2^-58 relative; then rotate by q quarters.
MENAGERIE_HD inline void sincos_2pi_det(double t, double& sin_out, double& cos_out) {
  int q = static_cast<int>(ieee::mul(t, 4.0));
  double r = ieee::sub(t, ieee::mul(static_cast<double>(q), 0.25));
  if (r > 0.125) {
    r = ieee::sub(r, 0.25);
    q += 1;
  }
  const double x = ieee::mul(r, 0x1.921fb54442d18p+2);
  const double x2 = ieee::mul(x, x);
  double ps = 1.0 / 355687428096000.0;  // 1/17!
  ps = ieee::fma(ps, x2, -1.0 / 1307674368000.0);
  ps = ieee::fma(ps, x2, 1.0 / 6227020800.0);
  ps = ieee::fma(ps, x2, -1.0 / 39916800.0);
  ps = ieee::fma(ps, x2, 1.0 / 362880.0);
  ps = ieee::fma(ps, x2, -1.0 / 5040.0);
  ps = ieee::fma(ps, x2, 1.0 / 120.0);
  ps = ieee::fma(ps, x2, -1.0 / 6.0);
  const double s = ieee::fma(ieee::mul(x, x2), ps, x);  // x + x^3 (-1/6 + ...)
  double pc = 1.0 / 20922789888000.0;     // 1/16!
  pc = ieee::fma(pc, x2, -1.0 / 87178291200.0);
  pc = ieee::fma(pc, x2, 1.0 / 479001600.0);
  pc = ieee::fma(pc, x2, -1.0 / 3628800.0);
  pc = ieee::fma(pc, x2, 1.0 / 40320.0);
  pc = ieee::fma(pc, x2, -1.0 / 720.0);
  pc = ieee::fma(pc, x2, 1.0 / 24.0);
  pc = ieee::fma(pc, x2, -0.5);
  const double c = ieee::fma(x2, pc, 1.0);  // 1 + x^2 (-1/2 + ...)
  switch (q & 3) {
    case 0: sin_out = s; cos_out = c; break;
    case 1: sin_out = c; cos_out = -s; break;
    case 2: sin_out = -s; cos_out = -c; break;
    default: sin_out = -c; cos_out = s; break;
  }
}

// Box-Muller: u1 in (0, 1), u2 in [0, 1) -> two independent standard normals.
MENAGERIE_HD inline void box_muller(double u1, double u2, double& z0, double& z1) {
  const double r = ieee::sqrt(ieee::mul(-2.0, log_det(u1)));
  double s, c;
  sincos_2pi_det(u2, s, c);
  z0 = ieee::mul(r, c);
  z1 = ieee::mul(r, s);
}

// ---- one block -> its L elements --------------------------------------------------------------------------------

template <class T> struct Lanes;  // the L elements that one block yields
template <> struct Lanes<float> { float v[4]; };
template <> struct Lanes<double> { double v[2]; };
template <class T> inline constexpr int lanes_v = static_cast<int>(sizeof(Lanes<T>) / sizeof(T));

MENAGERIE_HD inline Lanes<float> uniform_lanes(const Counter& x, float lo, float hi) {
  const float d = ieee::sub(hi, lo);
  Lanes<float> out;
  for (int j = 0; j < 4; ++j) out.v[j] = ieee::fma(to_float_co(x.w[j]), d, lo);
  return out;
}
MENAGERIE_HD inline Lanes<double> uniform_lanes(const Counter& x, double lo, double hi) {
  const double d = ieee::sub(hi, lo);
  Lanes<double> out;
  for (int j = 0; j < 2; ++j) out.v[j] = ieee::fma(to_double_co(x.w[2 * j], x.w[2 * j + 1]), d, lo);
  return out;
}
MENAGERIE_HD inline Lanes<float> normal_lanes(const Counter& x, float mean, float std) {
  Lanes<float> out;
  for (int p = 0; p < 2; ++p) {
    double z0, z1;
    box_muller(to_float_oo(x.w[2 * p]), to_float_co(x.w[2 * p + 1]), z0, z1);
    out.v[2 * p] = static_cast<float>(ieee::fma(z0, static_cast<double>(std), static_cast<double>(mean)));
    out.v[2 * p + 1] = static_cast<float>(ieee::fma(z1, static_cast<double>(std), static_cast<double>(mean)));
  }
  return out;
}
MENAGERIE_HD inline Lanes<double> normal_lanes(const Counter& x, double mean, double std) {
  double z0, z1;
  box_muller(to_double_oo(x.w[0], x.w[1]), to_double_co(x.w[2], x.w[3]), z0, z1);
  return {{ieee::fma(z0, std, mean), ieee::fma(z1, std, mean)}};
}

// Element i of the uniform / normal stream (computes its whole block; fills use the *_lanes functions).
template <class T>
MENAGERIE_HD inline T uniform_element(std::uint64_t seed, std::uint64_t stream, std::uint64_t i, T lo, T hi) {
  constexpr int L = lanes_v<T>;
  return uniform_lanes(block(seed, stream, i / L), lo, hi).v[i % L];
}
template <class T>
MENAGERIE_HD inline T normal_element(std::uint64_t seed, std::uint64_t stream, std::uint64_t i, T mean, T std) {
  constexpr int L = lanes_v<T>;
  return normal_lanes(block(seed, stream, i / L), mean, std).v[i % L];
}

// ---- integers in [0, n) -----------------------------------------------------------------------------------------

// (hi, lo) of the 128-bit product a * b.
MENAGERIE_HD inline void mulhilo64(std::uint64_t a, std::uint64_t b, std::uint64_t& hi, std::uint64_t& lo) {
  const std::uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
  const std::uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const std::uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
  hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
  lo = a * b;
}

// A value in [0, n), 1 <= n <= 2^32, from one block: Lemire's method (floor(w n / 2^64), rejecting w when
// (w n mod 2^64) < 2^64 mod n, which makes every value exactly equally likely) on w0 = x1:x0, then on w1 = x3:x2.
// Only when both are rejected (probability < (n / 2^64)^2 <= 2^-64) is floor(w1 n / 2^64) used as is.
MENAGERIE_HD inline std::uint64_t below(const Counter& x, std::uint64_t n) {
  const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
  std::uint64_t hi = 0, lo = 0;
  for (int j = 0; j < 2; ++j) {
    const std::uint64_t w = (std::uint64_t{x.w[2 * j + 1]} << 32) | x.w[2 * j];
    mulhilo64(w, n, hi, lo);
    if (lo >= threshold) return hi;
  }
  return hi;
}

}  // namespace menagerie::philox
