// AdamW and the cosine schedule; the math is in adamw.hpp.
#include "train/adamw.hpp"

#include <cmath>
#include <numbers>

namespace menagerie::train {

double cosine_lr(double lr0, std::int64_t epoch, std::int64_t epochs, double eta_min) {
  return eta_min + (lr0 - eta_min) *
                       (1 + std::cos(std::numbers::pi * static_cast<double>(epoch) / static_cast<double>(epochs))) / 2;
}

double scheduled_lr(const RunConfig& c, std::int64_t epoch) {
  return c.schedule == Schedule::cosine ? cosine_lr(c.optimizer.lr, epoch, c.epochs) : c.optimizer.lr;
}

template <class T>
void adamw_update(const AdamWConfig& h, double lr, std::int64_t step, std::span<T> p, std::span<const T> g,
                  AdamWState& s) {
  require(step >= 1, "adamw: step = ", step, " must be >= 1");
  require(g.size() == p.size(), "adamw: ", g.size(), " gradients for ", p.size(), " parameters");
  if (s.m.empty()) {
    s.m.assign(p.size(), 0.0);
    s.v.assign(p.size(), 0.0);
  }
  require(s.m.size() == p.size() && s.v.size() == p.size(), "adamw: state of ", s.m.size(), " for ", p.size(),
          " parameters");
  const double bc1 = 1 - std::pow(h.beta1, static_cast<double>(step));
  const double bc2 = 1 - std::pow(h.beta2, static_cast<double>(step));
  const double step_size = lr / bc1, bc2_sqrt = std::sqrt(bc2), decay = 1 - lr * h.weight_decay;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double gi = static_cast<double>(g[i]);
    double pi = static_cast<double>(p[i]) * decay;
    s.m[i] = h.beta1 * s.m[i] + (1 - h.beta1) * gi;
    s.v[i] = h.beta2 * s.v[i] + (1 - h.beta2) * gi * gi;
    pi -= step_size * s.m[i] / (std::sqrt(s.v[i]) / bc2_sqrt + h.eps);
    p[i] = static_cast<T>(pi);
  }
}

template void adamw_update<float>(const AdamWConfig&, double, std::int64_t, std::span<float>, std::span<const float>,
                                  AdamWState&);
template void adamw_update<double>(const AdamWConfig&, double, std::int64_t, std::span<double>,
                                   std::span<const double>, AdamWState&);

}  // namespace menagerie::train
