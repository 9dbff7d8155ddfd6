// Device tensors of a kernel's storage dtype, filled from and read back into double host tensors, and every tensor
// of one (variant, problem) pair on the device: the contract's inputs and outputs, the gradient "d" + name of each
// (upstream for outputs, computed for inputs), and the variant's own buffers (saved state, workspace).
// bf16 rounding is core/dtype.hpp's to_bf16 (round to nearest even), as the kernels' __float2bfloat16_rn.
#pragma once
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "core/contract.hpp"
#include "core/dtype.hpp"
#include "optimized/common/device_buffer.hpp"
#include "optimized/common/variant.hpp"

namespace menagerie::harness {

// x as the dtype stores it (f32 or bf16), back in double.
double rounded(double x, DType dtype);
Tensor<double> rounded(const Tensor<double>& x, DType dtype);
// Device bytes of `dtype` (f32 or bf16) read back as a double tensor of `shape`.
Tensor<double> decode(const std::vector<unsigned char>& bytes, const Shape& shape, DType dtype);

class DeviceTensor {
 public:
  DeviceTensor(DType dtype, std::int64_t n);
  void* ptr() { return bytes_.data(); }
  std::int64_t numel() const { return n_; }
  void upload(const Tensor<double>& x, cudaStream_t s = nullptr);
  Tensor<double> download(const Shape& shape, cudaStream_t s = nullptr) const;
  std::vector<unsigned char> bytes() const { return bytes_.download(); }
  void fill_nan(cudaStream_t s = nullptr) { bytes_.fill_bytes(0xFF, s); }
  // Uniform in [lo, hi) without a host tensor of this size (benchmark shapes): Philox on the device for f32; for
  // bf16 a host block of 2^24 - 1 rounded values (odd, so it does not align with rows), copied over the buffer.
  void fill_random(std::uint64_t seed, std::uint64_t stream, double lo, double hi);

 private:
  DType dtype_;
  std::int64_t n_;
  cuda::DeviceBuffer<unsigned char> bytes_;
};

// Every tensor of problem p for `variant`, by name: inputs, outputs, "d" + each, and the variant's buffers.
template <class P>
class DeviceProblem {
 public:
  DeviceProblem(const opt::Variant<P>& variant, const P& p) : specs_(tensors(p)) {
    for (const auto& s : specs_) {
      std::int64_t n = 1;
      for (auto e : s.shape) n *= e;
      tensors_.emplace(s.name, DeviceTensor(variant.dtype, n));
      tensors_.emplace("d" + s.name, DeviceTensor(variant.dtype, n));
    }
    for (const auto& b : variant.buffers(p)) buffers_.emplace(b.name, std::pair{cuda::DeviceBuffer<unsigned char>(b.bytes), b.saved});
  }
  const std::vector<TensorSpec>& specs() const { return specs_; }
  DeviceTensor& at(const std::string& name) { return tensors_.at(name); }
  Shape shape(const std::string& name) const {
    const std::string base = tensors_.count(name) && !spec_named(name) ? name.substr(1) : name;
    for (const auto& s : specs_)
      if (s.name == base) return s.shape;
    throw ShapeError(cat("no tensor named '", name, "'"));
  }
  Tensor<double> download(const std::string& name) { return at(name).download(shape(name)); }
  // Every output and every saved buffer NaN-filled (each byte 0xFF: NaN in fp32 and bf16).
  void poison_forward(cudaStream_t s = nullptr) {
    for (const auto& sp : specs_)
      if (sp.role == Role::output) at(sp.name).fill_nan(s);
    for (auto& [name, b] : buffers_) b.first.fill_bytes(0xFF, s);
  }
  // Every computed gradient NaN-filled.
  void poison_backward(cudaStream_t s = nullptr) {
    for (const auto& sp : specs_)
      if (sp.role != Role::output) at("d" + sp.name).fill_nan(s);
  }
  // The bytes of the outputs and saved buffers (forward), or of the gradients (backward), by name.
  std::map<std::string, std::vector<unsigned char>> results(bool backward) {
    std::map<std::string, std::vector<unsigned char>> out;
    for (const auto& sp : specs_) {
      if (!backward && sp.role == Role::output) out.emplace(sp.name, at(sp.name).bytes());
      if (backward && sp.role != Role::output) out.emplace("d" + sp.name, at("d" + sp.name).bytes());
    }
    if (!backward)
      for (auto& [name, b] : buffers_)
        if (b.second) out.emplace(name, b.first.download());
    return out;
  }
  opt::DeviceArgs args() {
    opt::DeviceArgs a;
    for (auto& [name, t] : tensors_) a.set(name, t.ptr());
    for (auto& [name, b] : buffers_) a.set(name, b.first.data());
    return a;
  }

 private:
  bool spec_named(const std::string& name) const {
    for (const auto& s : specs_)
      if (s.name == name) return true;
    return false;
  }
  std::vector<TensorSpec> specs_;
  std::map<std::string, DeviceTensor> tensors_;
  std::map<std::string, std::pair<cuda::DeviceBuffer<unsigned char>, bool>> buffers_;
};

}  // namespace menagerie::harness
