// Element types that cross file and device boundaries, with their sizes and names in numpy and safetensors.
#pragma once
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

// bf16 is stored as its raw 16 bits on the host; it only travels through safetensors files.
struct bf16_bits {
  std::uint16_t bits;
};

template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::f32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::f64; };
template <> struct dtype_of<std::int32_t> { static constexpr DType value = DType::i32; };
template <> struct dtype_of<std::int64_t> { static constexpr DType value = DType::i64; };
template <> struct dtype_of<bf16_bits> { static constexpr DType value = DType::bf16; };
template <class T> inline constexpr DType dtype_of_v = dtype_of<T>::value;

}  // namespace menagerie
