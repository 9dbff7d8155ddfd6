// Element types that cross file and device boundaries, with their sizes and names in numpy and safetensors.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace menagerie {

enum class DType { f32, f64, i32, i64, bf16 };

constexpr std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::i32: return 4;
    case DType::i64: return 8;
    case DType::bf16: return 2;
  }
  return 0;
}

constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "float32";
    case DType::f64: return "float64";
    case DType::i32: return "int32";
    case DType::i64: return "int64";
    case DType::bf16: return "bfloat16";
  }
  return "?";
}

// bf16 is stored as its raw 16 bits on the host; it travels through safetensors files and to bf16 kernels.
struct bf16_bits {
  std::uint16_t bits;
};

// float -> bf16 bits, round to nearest even (as CUDA's __float2bfloat16_rn); NaN stays NaN. And back (exact).
inline std::uint16_t to_bf16(float x) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((u >> 16) | 0x40);
  return static_cast<std::uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
inline float from_bf16(std::uint16_t b) { return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16); }

// x as a dtype of kernel storage holds it (f32, or bf16 via f32), back in double.
inline double stored_as(double x, DType t) {
  const float f = static_cast<float>(x);
  return t == DType::bf16 ? from_bf16(to_bf16(f)) : t == DType::f32 ? f : x;
}

template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::f32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::f64; };
template <> struct dtype_of<std::int32_t> { static constexpr DType value = DType::i32; };
template <> struct dtype_of<std::int64_t> { static constexpr DType value = DType::i64; };
template <> struct dtype_of<bf16_bits> { static constexpr DType value = DType::bf16; };
template <class T> inline constexpr DType dtype_of_v = dtype_of<T>::value;

}  // namespace menagerie
