// Attention dropout masks for the GPU trainer, bitwise the reference's (train/cpu_fast_paths.hpp Attention::keep and
// train/lm.cpp Dropout::keep): for example b of the batch, head h of H, query t and key s of T,
//   index(b, h, t, s) = ((b H + h) T + t) T + s
//   keep(b, h, t, s)  = philox::word(seed, stream, index) >= threshold,  threshold = floor(p 2^32),  stream = 1 + layer
//   P' = P keep / (1 - p)   (1 / (1 - p) computed in double, rounded once to float)
// The seed is `seed`, or, when `seed_at` is set, the value it points to, read where the mask is evaluated (device
// memory on the GPU: the trainer's CUDA graph replays its captured step with each step's seed, docs/gpu-trainer.md).
// So that the fp32 kernels see exactly the CPU's masks: o = P' v; dP = keep / (1 - p) (dO v^T); the softmax backward
// then uses the undropped P: dS = P (dP - rowsum(P dP)). p = 0 is no dropout (every mask on, no scale).
// for_each_key walks one row's keys in Philox blocks (4 consecutive indices share a block), thread `thread` of
// `threads` taking blocks first + thread, first + thread + threads, ..., so that each block is computed once per row.
// Header-only, std-only, host and device (MENAGERIE_HD), so the CPU test (verify/attention_dropout_mask_test.cpp)
// checks the very functions the kernels call.
#pragma once
#include <cstdint>
#include <string>

#include "core/errors.hpp"
#include "core/philox.hpp"

namespace menagerie::opt::softmax_attention {

struct DropoutMask {
  bool on = false;               // p > 0
  std::uint64_t seed = 0;        // the step's dropout seed (train::Dropout::seed)
  std::uint64_t stream = 0;      // 1 + layer
  std::uint32_t threshold = 0;   // floor(p 2^32)
  float inv_keep = 1.f;          // float(1 / (1 - p))
  const std::uint64_t* seed_at = nullptr;  // when set, the seed is read there instead of `seed`

  MENAGERIE_HD std::uint64_t seed_now() const { return seed_at ? *seed_at : seed; }

  MENAGERIE_HD static std::uint64_t index(std::int64_t b, std::int64_t h, std::int64_t t, std::int64_t s,
                                          std::int64_t H, std::int64_t T) {
    return static_cast<std::uint64_t>(((b * H + h) * T + t) * T + s);
  }
  MENAGERIE_HD bool keep_word(std::uint32_t word) const { return word >= threshold; }
  MENAGERIE_HD bool keep(std::uint64_t index) const { return keep_word(philox::word(seed_now(), stream, index)); }
  // The multiplier of P at `index`: inv_keep or 0 (1 when off).
  MENAGERIE_HD float factor(std::uint64_t index) const { return !on ? 1.f : keep(index) ? inv_keep : 0.f; }
};

// Calls f(s, factor) for every key s in [0, T) of the row (b, h, t) whose key 0 has index base = index(b, h, t, 0):
// factor = the mask's multiplier (inv_keep or 0; 1 when off) where s is visible (lo <= s <= t), else 0; the keys of
// the blocks this thread takes, in increasing order.
#if defined(__CUDACC__)
#pragma nv_exec_check_disable
#endif
template <class F>
MENAGERIE_HD void for_each_key(const DropoutMask& m, std::uint64_t base, std::int64_t T, std::int64_t lo,
                               std::int64_t t, std::uint64_t thread, std::uint64_t threads, F&& f) {
  const std::uint64_t first = base / 4, last = (base + static_cast<std::uint64_t>(T) - 1) / 4;
  const std::uint64_t vis_lo = base + static_cast<std::uint64_t>(lo), vis_hi = base + static_cast<std::uint64_t>(t);
  for (std::uint64_t blk = first + thread; blk <= last; blk += threads) {
    const std::uint64_t at = blk * 4;
    philox::Counter w{};
    if (m.on && at + 3 >= vis_lo && at <= vis_hi) w = philox::block(m.seed_now(), m.stream, blk);
    for (std::uint64_t j = 0; j < 4; ++j) {
      const std::uint64_t i = at + j;
      if (i < base || i >= base + static_cast<std::uint64_t>(T)) continue;
      const bool visible = i >= vis_lo && i <= vis_hi;
      f(static_cast<std::int64_t>(i - base), !visible ? 0.f : !m.on ? 1.f : m.keep_word(w.w[j]) ? m.inv_keep : 0.f);
    }
  }
}

// The mask of attention dropout p in [0, 1) for layer `layer` (>= 0) of a step with dropout seed `seed`.
inline DropoutMask dropout_mask(double p, std::uint64_t seed, std::int64_t layer) {
  require<InputError>(p >= 0 && p < 1, "attention dropout: p = ", p, " must be in [0, 1)");
  require<InputError>(layer >= 0, "attention dropout: layer = ", layer, " must be >= 0");
  if (p == 0) return {};
  const auto threshold = static_cast<std::uint32_t>(static_cast<std::uint64_t>(p * 4294967296.0));
  return {true, seed, static_cast<std::uint64_t>(1 + layer), threshold, static_cast<float>(1.0 / (1.0 - p))};
}

}  // namespace menagerie::opt::softmax_attention
