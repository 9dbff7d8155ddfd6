// Host tensors. TensorView<T>: non-owning pointer + shape + strides (in elements), any rank.
// Tensor<T>: owning, contiguous row-major (last axis fastest), canonical activation layout [B, T, D].
// DynTensor: owning, element type chosen at run time (what npy/safetensors files hold).
//   offset(i0..ik) = sum_j i_j * stride_j;  contiguous strides: stride_{k} = prod_{j>k} shape_j.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <numeric>
#include <span>
#include <type_traits>
#include <string>
#include <utility>
#include <vector>

#include "core/dtype.hpp"
#include "core/errors.hpp"

namespace menagerie {

using Shape = std::vector<std::int64_t>;

inline std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// Number of elements; throws ShapeError on a negative extent or overflow past 2^62.
inline std::int64_t numel(const Shape& s) {
  std::int64_t n = 1;
  for (auto e : s) {
    require<ShapeError>(e >= 0, "shape ", shape_str(s), " has a negative extent");
    require<ShapeError>(e == 0 || n <= (std::int64_t{1} << 62) / e, "shape ", shape_str(s), " is too large");
    n *= e;
  }
  return n;
}

inline Shape contiguous_strides(const Shape& s) {
  Shape st(s.size(), 1);
  for (std::size_t k = s.size(); k-- > 1;) st[k - 1] = st[k] * std::max<std::int64_t>(s[k], 1);
  return st;
}

template <class T>
class TensorView {
 public:
  TensorView() = default;
  TensorView(T* data, Shape shape) : data_(data), shape_(std::move(shape)), strides_(contiguous_strides(shape_)) {}
  TensorView(T* data, Shape shape, Shape strides)
      : data_(data), shape_(std::move(shape)), strides_(std::move(strides)) {
    require<ShapeError>(shape_.size() == strides_.size(), "view rank ", shape_.size(), " with ", strides_.size(),
                        " strides");
  }
  operator TensorView<const T>() const  // NOLINT: a mutable view converts to a const one implicitly
    requires(!std::is_const_v<T>)
  {
    return {data_, shape_, strides_};
  }

  T* data() const { return data_; }
  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }
  std::size_t rank() const { return shape_.size(); }
  std::int64_t size(std::size_t axis) const { return shape_.at(axis); }
  std::int64_t numel() const { return menagerie::numel(shape_); }
  bool is_contiguous() const { return strides_ == contiguous_strides(shape_); }

  template <class... I>
  T& operator()(I... idx) const {
    static_assert(sizeof...(I) > 0);
    const std::int64_t ii[] = {static_cast<std::int64_t>(idx)...};
    std::int64_t off = 0;
    for (std::size_t k = 0; k < sizeof...(I); ++k) off += ii[k] * strides_[k];
    return data_[off];
  }

  // The sub-view with axis fixed at index (rank drops by one).
  TensorView select(std::size_t axis, std::int64_t index) const {
    require<ShapeError>(axis < rank() && index >= 0 && index < shape_[axis], "select(", axis, ", ", index,
                        ") out of range for shape ", shape_str(shape_));
    Shape sh = shape_, st = strides_;
    sh.erase(sh.begin() + static_cast<std::ptrdiff_t>(axis));
    st.erase(st.begin() + static_cast<std::ptrdiff_t>(axis));
    return {data_ + index * strides_[axis], std::move(sh), std::move(st)};
  }
  // The sub-view [start, start + length) along axis.
  TensorView narrow(std::size_t axis, std::int64_t start, std::int64_t length) const {
    require<ShapeError>(axis < rank() && start >= 0 && length >= 0 && start + length <= shape_[axis], "narrow(",
                        axis, ", ", start, ", ", length, ") out of range for shape ", shape_str(shape_));
    Shape sh = shape_;
    sh[axis] = length;
    return {data_ + start * strides_[axis], std::move(sh), strides_};
  }

 private:
  T* data_ = nullptr;
  Shape shape_;
  Shape strides_;
};

template <class T>
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape, T fill = T{}) : shape_(std::move(shape)), data_(menagerie::numel(shape_), fill) {}
  Tensor(Shape shape, std::vector<T> data) : shape_(std::move(shape)), data_(std::move(data)) {
    require<ShapeError>(static_cast<std::int64_t>(data_.size()) == menagerie::numel(shape_), "tensor of shape ",
                        shape_str(shape_), " given ", data_.size(), " elements");
  }

  const Shape& shape() const { return shape_; }
  std::size_t rank() const { return shape_.size(); }
  std::int64_t size(std::size_t axis) const { return shape_.at(axis); }
  std::int64_t numel() const { return static_cast<std::int64_t>(data_.size()); }
  T* data() { return data_.data(); }
  const T* data() const { return data_.data(); }
  std::span<T> flat() { return data_; }
  std::span<const T> flat() const { return data_; }
  TensorView<T> view() { return {data_.data(), shape_}; }
  TensorView<const T> view() const { return {data_.data(), shape_}; }

  // Row-major offset by Horner's rule, ((i0 s1 + i1) s2 + i2) ...: no view is built, nothing allocated.
  template <class... I>
  T& operator()(I... idx) { return data_[offset(idx...)]; }
  template <class... I>
  const T& operator()(I... idx) const { return data_[offset(idx...)]; }

  // Same elements, new shape of equal element count.
  Tensor reshaped(Shape shape) const& { return Tensor(std::move(shape), data_); }
  bool operator==(const Tensor&) const = default;

 private:
  template <class... I>
  std::size_t offset(I... idx) const {
    static_assert(sizeof...(I) > 0);
    const std::int64_t ii[] = {static_cast<std::int64_t>(idx)...};
    std::int64_t off = ii[0];
    for (std::size_t k = 1; k < sizeof...(I); ++k) off = off * shape_[k] + ii[k];
    for (std::size_t k = sizeof...(I); k < shape_.size(); ++k) off *= shape_[k];  // a prefix: the sub-block start
    return static_cast<std::size_t>(off);
  }

  Shape shape_;
  std::vector<T> data_;
};

// A contiguous copy of any view.
template <class T>
Tensor<std::remove_const_t<T>> to_tensor(TensorView<T> v) {
  Tensor<std::remove_const_t<T>> out(v.shape());
  const auto n = v.numel();
  if (n == 0) return out;
  std::vector<std::int64_t> idx(v.rank(), 0);
  for (std::int64_t flat = 0; flat < n; ++flat) {
    std::int64_t off = 0;
    for (std::size_t k = 0; k < idx.size(); ++k) off += idx[k] * v.strides()[k];
    out.data()[flat] = v.data()[off];
    for (std::size_t k = idx.size(); k-- > 0;) {
      if (++idx[k] < v.shape()[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

// An owning tensor whose element type is known only at run time; bytes are little-endian, C order.
class DynTensor {
 public:
  DynTensor() = default;
  DynTensor(DType dtype, Shape shape)
      : dtype_(dtype), shape_(std::move(shape)), bytes_(static_cast<std::size_t>(menagerie::numel(shape_)) *
                                                        dtype_size(dtype)) {}
  template <class T>
  explicit DynTensor(const Tensor<T>& t) : DynTensor(dtype_of_v<T>, t.shape()) {
    if (!bytes_.empty()) std::memcpy(bytes_.data(), t.data(), bytes_.size());
  }

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  std::int64_t numel() const { return menagerie::numel(shape_); }
  std::span<std::byte> bytes() { return bytes_; }
  std::span<const std::byte> bytes() const { return bytes_; }

  // The typed tensor; the element type must match exactly (no silent conversion).
  template <class T>
  Tensor<T> as() const {
    require<FormatError>(dtype_ == dtype_of_v<T>, "tensor has dtype ", dtype_name(dtype_), ", expected ",
                         dtype_name(dtype_of_v<T>));
    std::vector<T> v(static_cast<std::size_t>(numel()));
    if (!v.empty()) std::memcpy(v.data(), bytes_.data(), bytes_.size());
    return Tensor<T>(shape_, std::move(v));
  }
  bool operator==(const DynTensor&) const = default;

 private:
  DType dtype_ = DType::f32;
  Shape shape_;
  std::vector<std::byte> bytes_;
};

}  // namespace menagerie
