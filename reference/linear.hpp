// Dense building blocks shared by the mixer references, in PyTorch's nn.Linear layout:
//   y[r, o] = sum_i x[r, i] W[o, i] + b[o]        x [R, In], W [Out, In], b [Out] (optional), y [R, Out]
//   backward: dx = dy W;  dW = dy^T x;  db = sum_r dy[r, :]
// Rows R are the flattened leading axes (B*T). Header-only templates: instantiated by each mixer's .cpp.
#pragma once
#include <cstdint>

#include "core/tensor.hpp"

namespace menagerie::ref {

// y = x W^T (+ b); x is viewed as [R, In] with In = W.size(1).
template <class T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& W, const Tensor<T>* b = nullptr) {
  const std::int64_t in = W.size(1), out = W.size(0), rows = x.numel() / in;
  require<ShapeError>(x.shape().back() == in, "linear: input last dim ", x.shape().back(), " != weight in ", in);
  Shape ys = x.shape();
  ys.back() = out;
  Tensor<T> y(ys);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t o = 0; o < out; ++o) {
      T acc = b ? b->data()[o] : T(0);
      for (std::int64_t i = 0; i < in; ++i) acc += x.data()[r * in + i] * W.data()[o * in + i];
      y.data()[r * out + o] = acc;
    }
  return y;
}

// Accumulates dW += dy^T x and db += colsum(dy) (when db is given); returns dx = dy W.
template <class T>
Tensor<T> linear_backward(const Tensor<T>& x, const Tensor<T>& W, const Tensor<T>& dy, Tensor<T>& dW,
                          Tensor<T>* db = nullptr) {
  const std::int64_t in = W.size(1), out = W.size(0), rows = x.numel() / in;
  Tensor<T> dx(x.shape(), T(0));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t o = 0; o < out; ++o) {
      const T g = dy.data()[r * out + o];
      if (db) db->data()[o] += g;
      for (std::int64_t i = 0; i < in; ++i) {
        dx.data()[r * in + i] += g * W.data()[o * in + i];
        dW.data()[o * in + i] += g * x.data()[r * in + i];
      }
    }
  return dx;
}

}  // namespace menagerie::ref
