// AdamW exactly as torch.optim.AdamW computes it (default, non-fused, amsgrad off), and the cosine schedule.
// For each parameter p with gradient g, at step t = 1, 2, ... (state m = v = 0 at t = 0):
//   p <- p (1 - lr wd)                                       decoupled weight decay, on every trained parameter
//   m <- β1 m + (1 - β1) g;   v <- β2 v + (1 - β2) g^2
//   p <- p - (lr / (1 - β1^t)) m / (sqrt(v) / sqrt(1 - β2^t) + ε)
// The moments and the update are computed in double; the parameter is then rounded to its storage type.
// Frozen parameters (LayerMixer::frozen) are neither stepped nor decayed.
// Cosine schedule (torch CosineAnnealingLR, T_max = epochs, eta_min = 0), stepped once per epoch:
//   lr(e) = eta_min + (lr0 - eta_min) (1 + cos(π e / T_max)) / 2        for epoch e = 0, 1, ..., epochs - 1
// (the closed form; torch's recursive form equals it up to rounding).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "train/run_config.hpp"

namespace menagerie::train {

// The learning rate of epoch e (0-based).
double scheduled_lr(const RunConfig& c, std::int64_t epoch);
double cosine_lr(double lr0, std::int64_t epoch, std::int64_t epochs, double eta_min = 0.0);

// The moments of one parameter tensor.
struct AdamWState {
  std::vector<double> m, v;
};

// One AdamW step on one tensor: `step` is t after this update (1 for the first). p, g and the state have one size.
template <class T>
void adamw_update(const AdamWConfig& h, double lr, std::int64_t step, std::span<T> p, std::span<const T> g,
                  AdamWState& s);

}  // namespace menagerie::train
