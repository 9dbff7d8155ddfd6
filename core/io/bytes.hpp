// Byte-level helpers shared by the file formats: little-endian loads and stores of unsigned integers (the formats
// are little-endian on disk whatever the host), and a one-line printable excerpt of untrusted bytes for messages.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace menagerie::io {

// The unsigned integer of N = sizeof(U) bytes at p, least significant byte first.
template <class U>
U load_le(const std::byte* p) {
  U v = 0;
  for (std::size_t i = sizeof(U); i-- > 0;) v = static_cast<U>((v << 8) | static_cast<U>(p[i]));
  return v;
}

// Appends the sizeof(U) little-endian bytes of v.
template <class U>
void append_le(std::vector<std::byte>& out, U v) {
  for (std::size_t i = 0; i < sizeof(U); ++i) out.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xff));
}

inline void append_text(std::vector<std::byte>& out, std::string_view s) {
  for (char c : s) out.push_back(static_cast<std::byte>(c));
}

inline std::string_view as_text(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// At most max_chars characters of s, with control and non-ASCII bytes as \xNN, backslash escaped, and
// "..." appended when cut: safe to embed in a one-line message.
inline std::string excerpt(std::string_view s, std::size_t max_chars = 60) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (out.size() >= max_chars) return out + "...";
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace menagerie::io
