// Host tensor fills from the Philox element streams of core/philox.hpp. Element k of the view, counted in logical
// row-major order (last axis fastest, whatever the strides), receives element first + k of stream `stream` under
// seed `seed`. So fill(view, seed, s, ..., first) equals the slice [first, first + numel) of a fill from 0, and any
// sub-range can be regenerated, on the host or on the device (optimized/common/random_device.hpp), bit for bit.
//   fill_uniform: lo + (hi - lo) u with u in [0, 1) (24-bit for float, 53-bit for double), rounded once (fma);
//                 values lie in [lo, hi] (hi only through that rounding). Requires finite lo <= hi, finite hi - lo.
//   fill_normal:  mean + std z, z standard normal by Box-Muller. Requires finite mean and finite std >= 0.
//   fill_uniform_int: values in [0, n), every value equally likely (Lemire's method with rejection, philox::below);
//                 1 <= n <= 2^32, and n <= 2^31 for int32 outputs.
// Bad arguments throw InputError naming the value.
#pragma once
#include <cstdint>

#include "core/tensor.hpp"

namespace menagerie {

void fill_uniform(TensorView<float> out, std::uint64_t seed, std::uint64_t stream, float lo, float hi,
                  std::uint64_t first = 0);
void fill_uniform(TensorView<double> out, std::uint64_t seed, std::uint64_t stream, double lo, double hi,
                  std::uint64_t first = 0);
void fill_normal(TensorView<float> out, std::uint64_t seed, std::uint64_t stream, float mean, float std,
                 std::uint64_t first = 0);
void fill_normal(TensorView<double> out, std::uint64_t seed, std::uint64_t stream, double mean, double std,
                 std::uint64_t first = 0);
void fill_uniform_int(TensorView<std::int32_t> out, std::uint64_t seed, std::uint64_t stream, std::int64_t n,
                      std::uint64_t first = 0);
void fill_uniform_int(TensorView<std::int64_t> out, std::uint64_t seed, std::uint64_t stream, std::int64_t n,
                      std::uint64_t first = 0);

// Fresh contiguous tensors, element k = stream element k.
template <class T>
Tensor<T> uniform_tensor(Shape shape, std::uint64_t seed, std::uint64_t stream, T lo, T hi) {
  Tensor<T> t(std::move(shape));
  fill_uniform(t.view(), seed, stream, lo, hi);
  return t;
}
template <class T>
Tensor<T> normal_tensor(Shape shape, std::uint64_t seed, std::uint64_t stream, T mean = T(0), T std = T(1)) {
  Tensor<T> t(std::move(shape));
  fill_normal(t.view(), seed, stream, mean, std);
  return t;
}

// Argument checks shared with the device fills; each throws InputError naming the bad value.
void check_uniform_args(float lo, float hi);
void check_uniform_args(double lo, double hi);
void check_normal_args(double mean, double std);
void check_uniform_int_args(std::int64_t n, std::int64_t max_value);  // max_value: largest storable value
void check_stream_range(std::uint64_t first, std::uint64_t count);  // requires first + count < 2^64

}  // namespace menagerie
