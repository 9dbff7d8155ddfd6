// DeviceTensor: host double <-> device f32 / bf16 (see device_tensor.hpp).
#include "harness/device_tensor.hpp"

#include <algorithm>

#include "core/random.hpp"
#include "optimized/common/random_device.hpp"

namespace menagerie::harness {

double rounded(double x, DType dtype) { return stored_as(x, dtype); }

Tensor<double> rounded(const Tensor<double>& x, DType dtype) {
  Tensor<double> y(x.shape());
  for (std::int64_t i = 0; i < x.numel(); ++i) y.data()[i] = rounded(x.data()[i], dtype);
  return y;
}

DeviceTensor::DeviceTensor(DType dtype, std::int64_t n)
    : dtype_(dtype), n_(n), bytes_(static_cast<std::size_t>(n) * dtype_size(dtype)) {
  require<ShapeError>(dtype == DType::f32 || dtype == DType::bf16, "device tensors hold float32 or bfloat16, not ",
                      dtype_name(dtype));
}

void DeviceTensor::upload(const Tensor<double>& x, cudaStream_t s) {
  require<ShapeError>(x.numel() == n_, "upload of ", x.numel(), " elements into a device tensor of ", n_);
  std::vector<unsigned char> host(static_cast<std::size_t>(n_) * dtype_size(dtype_));
  for (std::int64_t i = 0; i < n_; ++i) {
    const float f = static_cast<float>(x.data()[i]);
    if (dtype_ == DType::bf16) {
      const std::uint16_t b = to_bf16(f);
      std::memcpy(host.data() + 2 * i, &b, 2);
    } else {
      std::memcpy(host.data() + 4 * i, &f, 4);
    }
  }
  bytes_.upload(host, s);
}

Tensor<double> decode(const std::vector<unsigned char>& bytes, const Shape& shape, DType dtype) {
  Tensor<double> x(shape);
  const auto n = static_cast<std::size_t>(x.numel());
  require<ShapeError>(bytes.size() == n * dtype_size(dtype), "decoding ", bytes.size(), " bytes of ", dtype_name(dtype),
                      " into ", shape_str(shape));
  for (std::size_t i = 0; i < n; ++i) {
    if (dtype == DType::bf16) {
      std::uint16_t b;
      std::memcpy(&b, bytes.data() + 2 * i, 2);
      x.data()[i] = from_bf16(b);
    } else {
      float f;
      std::memcpy(&f, bytes.data() + 4 * i, 4);
      x.data()[i] = f;
    }
  }
  return x;
}

Tensor<double> DeviceTensor::download(const Shape& shape, cudaStream_t s) const {
  Tensor<double> x(shape);
  require<ShapeError>(x.numel() == n_, "download of a device tensor of ", n_, " elements into ", shape_str(shape));
  return decode(bytes_.download(s), shape, dtype_);
}

void DeviceTensor::fill_random(std::uint64_t seed, std::uint64_t stream, double lo, double hi) {
  if (dtype_ == DType::f32) {
    cuda::fill_uniform_device(static_cast<float*>(ptr()), n_, seed, stream, static_cast<float>(lo),
                              static_cast<float>(hi), nullptr);
    return;
  }
  const std::int64_t block_n = std::min<std::int64_t>(n_, (std::int64_t{1} << 24) - 1);
  Tensor<double> x({block_n});
  fill_uniform(x.view(), seed, stream, lo, hi);
  std::vector<std::uint16_t> block(static_cast<std::size_t>(block_n));
  for (std::size_t i = 0; i < block.size(); ++i) block[i] = to_bf16(static_cast<float>(x.data()[i]));
  for (std::int64_t at = 0; at < n_; at += block_n) {
    const std::int64_t len = std::min(block_n, n_ - at);
    MENAGERIE_CUDA_CHECK(cudaMemcpy(bytes_.data() + 2 * at, block.data(), static_cast<std::size_t>(len) * 2,
                                    cudaMemcpyHostToDevice));
  }
}

}  // namespace menagerie::harness
