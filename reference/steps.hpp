// Drives a step form over the sequence: for t = 0 .. T-1, u_t = u[:, t, :], step(u_t, y_t), y[:, t, :] = y_t.
//   u [B, T, D], y [B, T, Dy]; the step sees u_t [B, D] and writes y_t [B, Dy] (its state is captured by the caller).
#pragma once
#include <cstdint>

#include "core/tensor.hpp"

namespace menagerie::ref {

template <class T, class Step>
void run_steps(const Tensor<T>& u, Tensor<T>& y, Step&& step) {
  const std::int64_t B = u.size(0), Tn = u.size(1), D = u.size(2), Dy = y.size(2);
  Tensor<T> u_t({B, D}), y_t({B, Dy});
  for (std::int64_t t = 0; t < Tn; ++t) {
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t c = 0; c < D; ++c) u_t(b, c) = u(b, t, c);
    step(u_t, y_t);
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t c = 0; c < Dy; ++c) y(b, t, c) = y_t(b, c);
  }
}

}  // namespace menagerie::ref
