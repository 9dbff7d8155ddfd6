// The per-token device steps that scan_fp32.cu and split_fp32.cu share: RWKV-4's stable WKV recurrence (core/ops/wkv.hpp)
// and its adjoint. w = exp(time_decay) > 0, u = time_first.
// Forward, state (p, q, o) = the numerator and denominator sums over s < t scaled by e^{-o}, o the running max exponent
// (p = q = 0, o = -inf before the first token); token t, bk = u + k_t:
//   m_t = max(o, bk);  den_t = e^{o-m_t} q + e^{bk-m_t};  y_t = (e^{o-m_t} p + e^{bk-m_t} v_t) / den_t
//   m' = max(o - w, k_t);  p <- e^{o-w-m'} p + e^{k_t-m'} v_t;  q <- e^{o-w-m'} q + e^{k_t-m'};  o <- m'
// The roundings are pinned (fmaf, __fmul_rn against contraction) so that a backward's recompute of y, m, den from a
// checkpoint equals the forward bitwise.
// Adjoint, carry (gp, gq, rp, rq, og) = the sums over the later tokens t > s, scaled by e^{-og}:
//   gp = sum g_t e^{-(t-1-s)w} / Z_t,  gq = -sum g_t y_t e^{..} / Z_t,  rp, rq = the same weighted by (t-1-s),
// Z_t = e^{m_t} den_t the true normaliser; for token s (a = g_s P[s,s] = (g_s / den_s) e^{bk_s - m_s}):
//   dv_s = a + e^{k_s + og} gp;  dk_s = a (v_s - y_s) + e^{k_s + og} (gp v_s + gq)
//   dtime_first term a (v_s - y_s);  S term e^{k_s + og} (rp v_s + rq)      (dtime_decay = -w S)
//   og' = max(og - w, -m_s);  A = e^{og-w-og'};  Bt = (g_s / den_s) e^{-m_s-og'}
//   rp <- A (rp + gp);  rq <- A (rq + gq);  gp <- A gp + Bt;  gq <- A gq - Bt y_s;  og <- og'
// Precision. The exponent bookkeeping (o, m, og) is fp64: o follows k_s - (t-1-s) w by one subtraction of w per token,
// so in fp32 its rounding walks (each step off by up to 2^-24 |o|), and the dominant weight of a peaked softmax,
// e^{k_s + og} / den with k_s + og = 0 exactly in the math, came out e^{+-1e-5} at |k| ~ 1e2. The fp32 reference
// computes that weight's exponent as (k_s - (t-1-s) w) - m with m the same float, exactly 0, so its error was 10-40x
// smaller (on an H100: dk 17x the fp32 reference's error at k x 1e2). The sums gp, gq, rp, rq are fp64 as well: gp v_s
// + gq = sum_t g_t e^{..} (v_s - y_t) / Z_t cancels where one token dominates (y_t = v_s to many digits), and Bt y_s is
// formed in fp64 so the difference keeps fp32's precision. Emulated in numpy (fp32 operations, T = 1024 and 3000,
// k ~ 1e2 N(0, 1)): relative error of dk, dv, dtime_decay against the fp64 reference
//   fp32 bookkeeping and sums      4.5e-5  9.8e-6  1.1e-4    (1.2e-4  3.0e-5  2.2e-4 at T = 3000)
//   fp64 bookkeeping, fp32 sums    4.7e-6  3.7e-7  3.1e-6    (3.9e-6  4.6e-7  4.2e-6)
//   fp64 bookkeeping and sums      3.3e-6  3.7e-7  2.9e-6    (2.6e-6  4.2e-7  2.4e-6)
//   the fp32 reference (yardstick) 4.0e-6  4.2e-7  3.8e-6    (5.9e-6  6.1e-7  2.6e-6)
// Exponentials stay expf of the (small, <= 0) fp32-rounded differences, but for g_s P[s,s], the only factor of the
// dtime_first term: there the exponent u + k_s - m_s is large where the bonus u is very negative (P[s,s] ~ e^{-15} to
// e^{-80} at time_first x 1e2), and rounding it to fp32 (2^-24 |x|: up to 1.9e-6 relative at |x| ~ 40) is the error
// of every term of dtime_first = sum_s g_s P[s,s] (v_s - y_s), all of one scale; exp_diff_exact keeps the fp32
// rounding's remainder as a factor (1 + lo). The callers sum those terms (and dtime_decay's) in fp64: fp32 sums over
// T = 4096 tokens of random sign added errors of eps sqrt(T). Host emulation of this arithmetic at time_first x 1e2,
// T = 4096, B = 2 (16 draws of the bonus, -4 to -80): dtime_first's relative error 1.0e-7 to 1.0e-5 with fp32
// exponent and sums (14x the fp32 reference's 4.6e-8 on the H100's draw), 1.4e-8 to 4.3e-7 with both fixed, against
// the fp32 reference's 1.8e-7 to 7.6e-6.
// A checkpoint stores o as two floats (hi, lo).
#pragma once
#include <cmath>
#include <cstdint>

namespace menagerie::opt::wkv {

inline constexpr int kStateFloats = 4;  // a checkpoint: p, q, and o as hi + lo

struct StableState {
  float p, q;
  double o;
};

__device__ __forceinline__ StableState empty_state() { return {0.f, 0.f, -INFINITY}; }

// A checkpoint in a buffer [.., kStateFloats, D] (st points at the channel's p). s.o is rounded to what was stored, so
// that the forward goes on exactly as a backward's recompute from the checkpoint will.
__device__ __forceinline__ void save_state(float* st, std::int64_t D, StableState& s) {
  const float hi = static_cast<float>(s.o), lo = isinf(hi) ? 0.f : static_cast<float>(s.o - hi);
  st[0] = s.p, st[D] = s.q, st[2 * D] = hi, st[3 * D] = lo;
  s.o = static_cast<double>(hi) + lo;
}

__device__ __forceinline__ StableState load_state(const float* st, std::int64_t D) {
  return {__ldg(st), __ldg(st + D), static_cast<double>(__ldg(st + 2 * D)) + __ldg(st + 3 * D)};
}

// expf of a difference of fp64 exponents (<= 0 where used), rounded to fp32 first.
__device__ __forceinline__ float exp_diff(double x, double y) { return expf(static_cast<float>(x - y)); }

// e^{x - y} to the accuracy of expf at any size of x - y: d = hi + lo with hi = fp32(d), so e^d = e^{hi} (1 + lo)
// within lo^2 (|lo| <= 2^-25 |d|). x - y finite.
__device__ __forceinline__ float exp_diff_exact(double x, double y) {
  const double d = x - y;
  const float hi = static_cast<float>(d), lo = static_cast<float>(d - hi);
  const float e = expf(hi);
  return fmaf(e, lo, e);
}

__device__ __forceinline__ float stable_step(float kt, float vt, float w, float u, StableState& s, double& m,
                                             float& den) {
  const double bk = static_cast<double>(u) + kt;
  m = fmax(s.o, bk);
  const float e_old = exp_diff(s.o, m), e_new = exp_diff(bk, m);  // o = -inf: e_old = 0 (and p = q = 0)
  den = fmaf(e_old, s.q, e_new);
  const float y = __fdiv_rn(fmaf(e_old, s.p, __fmul_rn(e_new, vt)), den);
  const double ow = s.o - w;
  const double m2 = fmax(ow, static_cast<double>(kt));
  const float a = exp_diff(ow, m2), b = exp_diff(kt, m2);
  s.p = fmaf(a, s.p, __fmul_rn(b, vt));
  s.q = fmaf(a, s.q, b);
  s.o = m2;
  return y;
}

struct AdjointCarry {
  double gp, gq, rp, rq, og;
};

__device__ __forceinline__ AdjointCarry empty_adjoint() { return {0.0, 0.0, 0.0, 0.0, -INFINITY}; }

// Token s of the adjoint: returns dk, dv and its dtime_first and S terms, and advances c past s.
__device__ __forceinline__ void adjoint_step(float kt, float vt, float yt, double m, float den, float gt, float w,
                                             float u, AdjointCarry& c, float& dk, float& dv, float& gu,
                                             float& sterm) {
  const float gz = __fdiv_rn(gt, den);
  const float a = gz * exp_diff_exact(static_cast<double>(u) + kt, m);  // g_t P[t,t]
  const float ek = expf(static_cast<float>(kt + c.og));           // 0 while og = -inf
  const float vy = vt - yt;
  const double vd = vt;
  dv = fmaf(ek, static_cast<float>(c.gp), a);
  dk = fmaf(a, vy, ek * static_cast<float>(fma(c.gp, vd, c.gq)));
  gu = a * vy;
  sterm = ek * static_cast<float>(fma(c.rp, vd, c.rq));
  const double ow = c.og - w;
  const double o2 = fmax(ow, -m);
  const double A = exp_diff(ow, o2), Bt = gz * exp_diff(-m, o2);
  c.rp = A * (c.rp + c.gp);
  c.rq = A * (c.rq + c.gq);
  c.gp = fma(A, c.gp, Bt);
  c.gq = fma(A, c.gq, -Bt * static_cast<double>(yt));
  c.og = o2;
}

}  // namespace menagerie::opt::wkv
