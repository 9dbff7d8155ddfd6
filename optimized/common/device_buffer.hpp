// DeviceBuffer<T>: an owning, move-only array of n elements of T in GPU global memory (cudaMalloc / cudaFree).
// n = 0 is allowed (no allocation, data() == nullptr). upload/download copy whole buffers and return when the
// copy is complete (ordered after earlier work on `stream`); fill_nan/fill_bytes are asynchronous on `stream`.
// fill_nan poisons outputs before a launch so an element the kernel fails to write compares as NaN: every byte is
// 0xFF, a quiet NaN for float, double, bf16 and their complex pairs (float2, double2).
#pragma once
#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include <cuda_runtime.h>

#include "core/dtype.hpp"
#include "core/errors.hpp"
#include "optimized/common/check.hpp"

namespace menagerie::cuda {

template <class T>
inline constexpr bool nan_poisonable_v = std::is_floating_point_v<T> || std::is_same_v<T, bf16_bits> ||
                                         std::is_same_v<T, float2> || std::is_same_v<T, double2>;

template <class T>
class DeviceBuffer {
  static_assert(std::is_trivially_copyable_v<T>, "DeviceBuffer holds trivially copyable elements");

 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t n) : size_(n) {
    if (n) MENAGERIE_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&data_), n * sizeof(T)));
  }
  // A buffer holding a copy of `host`.
  explicit DeviceBuffer(std::span<const T> host, cudaStream_t stream = nullptr) : DeviceBuffer(host.size()) {
    upload(host, stream);
  }
  ~DeviceBuffer() { release(); }

  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      release();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::size_t bytes() const { return size_ * sizeof(T); }
  bool empty() const { return size_ == 0; }

  void upload(std::span<const T> host, cudaStream_t stream = nullptr) {
    require<ShapeError>(host.size() == size_, "upload of ", host.size(), " elements into a device buffer of ", size_);
    if (!size_) return;
    MENAGERIE_CUDA_CHECK(cudaMemcpyAsync(data_, host.data(), bytes(), cudaMemcpyHostToDevice, stream));
    MENAGERIE_CUDA_CHECK(cudaStreamSynchronize(stream));
  }
  void download(std::span<T> host, cudaStream_t stream = nullptr) const {
    require<ShapeError>(host.size() == size_, "download of a device buffer of ", size_, " elements into ",
                        host.size());
    if (!size_) return;
    MENAGERIE_CUDA_CHECK(cudaMemcpyAsync(host.data(), data_, bytes(), cudaMemcpyDeviceToHost, stream));
    MENAGERIE_CUDA_CHECK(cudaStreamSynchronize(stream));
  }
  std::vector<T> download(cudaStream_t stream = nullptr) const {
    std::vector<T> host(size_);
    download(std::span<T>(host), stream);
    return host;
  }

  void fill_bytes(unsigned char value, cudaStream_t stream = nullptr) {
    if (size_) MENAGERIE_CUDA_CHECK(cudaMemsetAsync(data_, value, bytes(), stream));
  }
  void fill_nan(cudaStream_t stream = nullptr)
    requires nan_poisonable_v<T>
  {
    fill_bytes(0xFF, stream);
  }

 private:
  void release() noexcept {
    if (data_) cudaFree(data_);  // a destructor cannot throw; a failure here means the context is already lost
    data_ = nullptr;
    size_ = 0;
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace menagerie::cuda
