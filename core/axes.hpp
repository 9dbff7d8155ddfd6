// The axis letters used in every shape comment, contract and error message.
//   B batch, T sequence (time), H heads, D head (or model) dim, Dv value dim, N state size,
//   L filter length, C chunk length, V vocabulary, F feature dim (linear-attention feature map).
// Canonical activation layout is [B, T, D] row-major (D fastest); multi-head tensors are [B, T, H, D].
#pragma once
#include <string_view>

namespace menagerie::axis {

inline constexpr std::string_view B = "B";
inline constexpr std::string_view T = "T";
inline constexpr std::string_view H = "H";
inline constexpr std::string_view D = "D";
inline constexpr std::string_view Dv = "Dv";
inline constexpr std::string_view N = "N";
inline constexpr std::string_view L = "L";
inline constexpr std::string_view C = "C";
inline constexpr std::string_view V = "V";
inline constexpr std::string_view F = "F";

}  // namespace menagerie::axis
