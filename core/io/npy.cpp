// .npy reading and writing; the format is in npy.hpp. The header is a Python dict literal; this file parses the
// subset numpy writes (quoted strings, True/False, tuples of non-negative integers) and rejects anything else.
#include "core/io/npy.hpp"

#include <optional>

#include "core/io/atomic_file.hpp"
#include "core/io/bytes.hpp"

namespace menagerie {

namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr std::size_t kAlign = 64;             // numpy's ARRAY_ALIGN
constexpr std::size_t kGrowthAxisDigits = 21;  // numpy's GROWTH_AXIS_MAX_DIGITS

std::string_view npy_descr(DType t) {
  switch (t) {
    case DType::f32: return "<f4";
    case DType::f64: return "<f8";
    case DType::i32: return "<i4";
    case DType::i64: return "<i8";
    case DType::bf16: break;
  }
  throw InputError("bfloat16 tensors cannot be stored in .npy (numpy has no bfloat16); use .safetensors");
}

std::optional<DType> dtype_from_descr(std::string_view d) {
  if (!d.empty() && d.front() == '<') d.remove_prefix(1);
  if (d == "f4") return DType::f32;
  if (d == "f8") return DType::f64;
  if (d == "i4") return DType::i32;
  if (d == "i8") return DType::i64;
  return std::nullopt;
}

struct Header {
  std::string descr;
  bool fortran_order = false;
  Shape shape;
};

// Recursive-descent parser for {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } and its spacings.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, std::string_view what) : s_(text), what_(what) {}

  Header parse() {
    Header h;
    bool seen[3] = {false, false, false};
    ws();
    expect('{');
    for (;;) {
      ws();
      if (eat('}')) break;
      const std::string key = string_literal();
      ws();
      expect(':');
      ws();
      if (key == "descr") {
        mark(seen[0], key);
        if (peek() == '[') fail("structured dtypes (a list descr) are not supported");
        h.descr = string_literal();
      } else if (key == "fortran_order") {
        mark(seen[1], key);
        h.fortran_order = boolean();
      } else if (key == "shape") {
        mark(seen[2], key);
        h.shape = tuple();
      } else {
        fail(cat("unexpected key '", io::excerpt(key), "' (expected descr, fortran_order, shape)"));
      }
      ws();
      if (eat('}')) break;
      expect(',');
    }
    ws();
    if (pos_ != s_.size()) fail("text after the closing '}'");
    if (!seen[0]) fail("missing key 'descr'");
    if (!seen[1]) fail("missing key 'fortran_order'");
    if (!seen[2]) fail("missing key 'shape'");
    return h;
  }

 private:
  [[noreturn]] void fail(std::string_view problem) const {
    throw FormatError(cat(what_, ": malformed .npy header: ", problem, " at offset ", pos_, " of '",
                          io::excerpt(s_, 100), "'"));
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool eat(char c) {
    if (peek() != c || pos_ >= s_.size()) return false;
    ++pos_;
    return true;
  }
  void expect(char c) {
    if (!eat(c)) fail(cat("expected '", c, "'"));
  }
  void ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  void mark(bool& seen, const std::string& key) {
    if (seen) fail(cat("duplicate key '", key, "'"));
    seen = true;
  }
  std::string string_literal() {
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string");
    ++pos_;
    const auto end = s_.find(q, pos_);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string out(s_.substr(pos_, end - pos_));
    if (out.find('\\') != std::string::npos) fail("escape sequences are not supported");
    pos_ = end + 1;
    return out;
  }
  bool boolean() {
    for (const bool v : {true, false}) {
      const std::string_view word = v ? "True" : "False";
      if (s_.substr(pos_, word.size()) != word) continue;
      pos_ += word.size();
      return v;
    }
    fail("expected True or False");
  }
  std::int64_t extent() {
    if (peek() == '-') fail("negative extent in shape");
    const auto start = pos_;
    std::int64_t v = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      if (pos_ - start >= 18) fail("extent in shape has too many digits");
      v = v * 10 + (s_[pos_++] - '0');
    }
    if (pos_ == start) fail("expected a non-negative integer in shape");
    return v;
  }
  Shape tuple() {
    expect('(');
    Shape out;
    bool trailing_comma = false;
    for (;;) {
      ws();
      if (eat(')')) break;
      out.push_back(extent());
      ws();
      trailing_comma = eat(',');
      if (!trailing_comma) {
        ws();
        expect(')');
        break;
      }
    }
    if (out.size() == 1 && !trailing_comma) fail("shape (n) is an integer, not a tuple: expected (n,)");
    return out;
  }

  std::string_view s_;
  std::string_view what_;
  std::size_t pos_ = 0;
};

std::string python_tuple(const Shape& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

}  // namespace

DynTensor parse_npy(std::span<const std::byte> file, std::string_view what) {
  const std::string_view text = io::as_text(file);
  require<FormatError>(!file.empty(), what, ": empty file, expected a .npy file");
  const auto head = text.substr(0, std::min(text.size(), kMagic.size()));
  require<FormatError>(head == kMagic.substr(0, head.size()), what, ": not a .npy file (it starts with '",
                       io::excerpt(text.substr(0, 8)), "', expected '\\x93NUMPY')");
  require<FormatError>(file.size() >= 10, what, ": truncated .npy file (", file.size(),
                       " bytes, shorter than its fixed preamble)");
  const auto major = static_cast<unsigned>(file[6]), minor = static_cast<unsigned>(file[7]);
  require<FormatError>(major >= 1 && major <= 3 && minor == 0, what, ": unsupported .npy format version ", major,
                       ".", minor, " (expected 1.0, 2.0 or 3.0)");
  const std::size_t prefix = major == 1 ? 10 : 12;
  require<FormatError>(file.size() >= prefix, what, ": truncated .npy file (", file.size(),
                       " bytes, shorter than its fixed preamble)");
  const std::size_t header_len =
      major == 1 ? io::load_le<std::uint16_t>(&file[8]) : io::load_le<std::uint32_t>(&file[8]);
  require<FormatError>(header_len <= npy_max_header_bytes, what, ": .npy header length ", header_len,
                       " is absurd (limit ", npy_max_header_bytes, " bytes)");
  require<FormatError>(prefix + header_len <= file.size(), what, ": .npy header length ", header_len,
                       " runs past the end of the file (", file.size(), " bytes): truncated file?");

  const Header h = HeaderParser(text.substr(prefix, header_len), what).parse();
  const auto dtype = dtype_from_descr(h.descr);
  require<FormatError>(dtype.has_value(), what, ": dtype '", io::excerpt(h.descr), "'",
                       !h.descr.empty() && h.descr[0] == '>' ? " (big-endian)" : "",
                       " not supported, expected one of '<f4', '<f8', '<i4', '<i8'");
  require<FormatError>(!h.fortran_order, what,
                       ": fortran_order is True (column-major data); save a C-ordered array (np.ascontiguousarray)");
  std::int64_t n = 0;
  try {
    n = numel(h.shape);
  } catch (const ShapeError& e) {
    throw FormatError(cat(what, ": ", e.what()));
  }
  const std::size_t item = dtype_size(*dtype);
  const std::size_t have = file.size() - prefix - header_len;
  const auto un = static_cast<std::uint64_t>(n);
  const bool fits = un <= (std::uint64_t{1} << 62) / item;
  const std::string need = fits ? cat(un * item, " bytes") : std::string("more bytes than any file holds");
  require<FormatError>(fits && have >= un * item, what, ": truncated .npy data: ", have, " bytes, expected ", need,
                       " for shape ", shape_str(h.shape), " of ", dtype_name(*dtype));
  require<FormatError>(have == un * item, what, ": ", have - un * item, " trailing bytes after the .npy data (",
                       need, " for shape ", shape_str(h.shape), " of ", dtype_name(*dtype), ")");
  DynTensor t(*dtype, h.shape);
  if (have) std::memcpy(t.bytes().data(), file.data() + prefix + header_len, have);
  return t;
}

DynTensor read_npy(const std::filesystem::path& path) {
  const auto bytes = read_file(path, std::size_t{1} << 40);
  return parse_npy(bytes, path.string());
}

std::vector<std::byte> encode_npy_header(DType dtype, const Shape& shape) {
  numel(shape);  // validates the extents
  std::string dict = cat("{'descr': '", npy_descr(dtype), "', 'fortran_order': False, 'shape': ", python_tuple(shape),
                         ", }");
  if (!shape.empty()) dict.append(kGrowthAxisDigits - std::to_string(shape[0]).size(), ' ');
  const std::size_t hlen = dict.size() + 1;  // + the final '\n'
  std::size_t len_bytes = 2;
  std::size_t pad = kAlign - (8 + len_bytes + hlen) % kAlign;
  if (hlen + pad > 0xffff) {
    len_bytes = 4;
    pad = kAlign - (8 + len_bytes + hlen) % kAlign;
  }
  std::vector<std::byte> out;
  out.reserve(8 + len_bytes + hlen + pad);
  io::append_text(out, kMagic);
  out.push_back(std::byte{static_cast<unsigned char>(len_bytes == 2 ? 1 : 2)});
  out.push_back(std::byte{0});
  if (len_bytes == 2) io::append_le(out, static_cast<std::uint16_t>(hlen + pad));
  else io::append_le(out, static_cast<std::uint32_t>(hlen + pad));
  io::append_text(out, dict);
  out.insert(out.end(), pad, std::byte{' '});
  out.push_back(std::byte{'\n'});
  return out;
}

std::vector<std::byte> encode_npy(const DynTensor& t) {
  auto out = encode_npy_header(t.dtype(), t.shape());
  out.insert(out.end(), t.bytes().begin(), t.bytes().end());
  return out;
}

void write_npy(const std::filesystem::path& path, const DynTensor& t) {
  const auto header = encode_npy_header(t.dtype(), t.shape());
  write_file_atomic(path, [&](std::ostream& os) {
    os.write(reinterpret_cast<const char*>(header.data()), static_cast<std::streamsize>(header.size()));
    os.write(reinterpret_cast<const char*>(t.bytes().data()), static_cast<std::streamsize>(t.bytes().size()));
  });
}

}  // namespace menagerie
