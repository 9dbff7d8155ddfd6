// Column slices of the last axis, for references that split one projection into several parts (mamba's [x z] and
// [dt B C], mamba2's [z xBC dt]):
//   columns(x, start, n)      = x[..., start : start + n]
//   add_columns(dst, src, s)  : dst[..., s : s + width(src)] += src   (the backward of columns)
// Header-only templates, instantiated by the mixers' .cpp files.
#pragma once
#include <cstdint>

#include "core/tensor.hpp"

namespace menagerie::ref {

template <class T>
Tensor<T> columns(const Tensor<T>& x, std::int64_t start, std::int64_t n) {
  const std::int64_t w = x.shape().back(), rows = x.numel() / w;
  Shape s = x.shape();
  s.back() = n;
  Tensor<T> out(s);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < n; ++j) out.data()[r * n + j] = x.data()[r * w + start + j];
  return out;
}

template <class T>
void add_columns(Tensor<T>& dst, const Tensor<T>& src, std::int64_t start) {
  const std::int64_t w = dst.shape().back(), n = src.shape().back(), rows = src.numel() / n;
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < n; ++j) dst.data()[r * w + start + j] += src.data()[r * n + j];
}

}  // namespace menagerie::ref
