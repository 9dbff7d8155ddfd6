// safetensors reading and writing; the format and the checks are in safetensors.hpp.
#include "core/io/safetensors.hpp"

#include <algorithm>
#include <optional>
#include <tuple>

#include "core/io/atomic_file.hpp"
#include "core/io/bytes.hpp"
#include "core/json.hpp"

namespace menagerie {

namespace {

constexpr std::string_view kAllowed = "F32, F64, I32, I64, BF16";

std::string_view st_name(DType t) {
  switch (t) {
    case DType::f32: return "F32";
    case DType::f64: return "F64";
    case DType::i32: return "I32";
    case DType::i64: return "I64";
    case DType::bf16: return "BF16";
  }
  return "?";
}

std::optional<DType> st_dtype(std::string_view s) {
  for (DType t : {DType::f32, DType::f64, DType::i32, DType::i64, DType::bf16})
    if (st_name(t) == s) return t;
  return std::nullopt;
}

// Position in the serializer's Dtype enum (BOOL, U8, ..., BF16, I32, U32, F32, F64, I64, U64): it writes the
// tensors in descending order of this, then by name.
int enum_rank(DType t) {
  switch (t) {
    case DType::bf16: return 0;
    case DType::i32: return 1;
    case DType::f32: return 2;
    case DType::f64: return 3;
    case DType::i64: return 4;
  }
  return -1;
}

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  std::uint64_t begin, end;
};

Entry parse_entry(const std::string& name, const json& v, std::string_view what) {
  const std::string where = cat(what, ": tensor '", io::excerpt(name), "'");
  reject_unknown_keys(v, {"dtype", "shape", "data_offsets"}, where);
  Entry e{name, DType::f32, {}, 0, 0};
  const auto dtype = get_field<std::string>(v, "dtype", where);
  const auto t = st_dtype(dtype);
  require<FormatError>(t.has_value(), where, ": dtype ", io::excerpt(dtype), " not supported, expected one of ",
                       kAllowed);
  e.dtype = *t;
  const auto shape = get_field<json>(v, "shape", where);
  require<FormatError>(shape.is_array(), where, ": shape must be an array, got ", describe_json(shape));
  for (std::size_t i = 0; i < shape.size(); ++i) {
    require<FormatError>(!shape[i].is_number_integer() || shape[i].is_number_unsigned(), where, ": shape ",
                         shape.dump(), " has a negative extent");
    e.shape.push_back(get_as<std::int64_t>(shape[i], cat(where, ": shape[", i, "]")));
  }
  const auto offsets = get_field<std::vector<std::uint64_t>>(v, "data_offsets", where);
  require<FormatError>(offsets.size() == 2, where, ": data_offsets must be [begin, end], got ", offsets.size(),
                       " numbers");
  e.begin = offsets[0];
  e.end = offsets[1];
  return e;
}

}  // namespace

Safetensors parse_safetensors(std::span<const std::byte> file, std::string_view what) {
  require<FormatError>(file.size() >= 8, what, ": truncated safetensors file (", file.size(),
                       " bytes, shorter than the 8-byte header length)");
  const auto n = io::load_le<std::uint64_t>(file.data());
  require<FormatError>(n <= safetensors_max_header_bytes, what, ": safetensors header length ", n,
                       " is absurd (limit ", safetensors_max_header_bytes, " bytes)");
  require<FormatError>(n <= file.size() - 8, what, ": safetensors header length ", n, " runs past the end of the file (",
                       file.size(), " bytes): truncated file?");
  const std::string_view text = io::as_text(file.subspan(8, n));
  require<FormatError>(!text.empty() && text.front() == '{', what, ": safetensors header does not start with '{' (",
                       "it starts with '", io::excerpt(text.substr(0, 16)), "')");
  const json header = parse_json(text, cat(what, ": JSON header"));
  require<FormatError>(header.is_object(), what, ": safetensors header is not a JSON object");

  Safetensors out;
  std::vector<Entry> entries;
  for (const auto& [name, v] : header.items()) {
    if (name == "__metadata__") {
      const std::string where = cat(what, ": __metadata__");
      require_object(v, where);
      for (const auto& [k, s] : v.items())
        out.metadata.emplace(k, get_as<std::string>(s, cat(where, ".", io::excerpt(k))));
      continue;
    }
    entries.push_back(parse_entry(name, v, what));
  }

  const std::uint64_t buffer = file.size() - 8 - n;
  for (const auto& e : entries) {
    const std::string where = cat(what, ": tensor '", io::excerpt(e.name), "'");
    require<FormatError>(e.begin <= e.end, where, ": data_offsets [", e.begin, ", ", e.end, "] have begin > end");
    require<FormatError>(e.end <= buffer, where, ": data_offsets [", e.begin, ", ", e.end,
                         "] out of range (the data buffer is ", buffer, " bytes)");
    std::int64_t count = 0;
    try {
      count = numel(e.shape);
    } catch (const ShapeError& err) {
      throw FormatError(cat(where, ": ", err.what()));
    }
    const std::uint64_t item = dtype_size(e.dtype);
    require<FormatError>(static_cast<std::uint64_t>(count) <= buffer / item && e.end - e.begin == count * item, where,
                         ": data_offsets [", e.begin, ", ", e.end, "] span ", e.end - e.begin, " bytes, but shape ",
                         shape_str(e.shape), " of ", st_name(e.dtype), " needs ", count, " elements x ", item, " bytes");
  }
  std::vector<const Entry*> order;
  for (const auto& e : entries) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    return std::tie(a->begin, a->end, a->name) < std::tie(b->begin, b->end, b->name);
  });
  std::uint64_t cursor = 0;
  const Entry* prev = nullptr;
  for (const Entry* e : order) {
    require<FormatError>(e->begin >= cursor, what, ": tensors '", io::excerpt(prev ? prev->name : ""), "' [",
                         prev ? prev->begin : 0, ", ", cursor, "] and '", io::excerpt(e->name), "' [", e->begin, ", ",
                         e->end, "] overlap in the data buffer");
    require<FormatError>(e->begin == cursor, what, ": hole in the data buffer: bytes [", cursor, ", ", e->begin,
                         ") belong to no tensor");
    cursor = e->end;
    prev = e;
  }
  require<FormatError>(cursor == buffer, what, ": ", buffer - cursor, " trailing bytes after the last tensor (the ",
                       "data buffer is ", buffer, " bytes, the tensors cover ", cursor, ")");

  const std::byte* data = file.data() + 8 + n;
  for (const auto& e : entries) {
    DynTensor t(e.dtype, e.shape);
    if (e.end > e.begin) std::memcpy(t.bytes().data(), data + e.begin, e.end - e.begin);
    out.tensors.emplace(e.name, std::move(t));
  }
  return out;
}

Safetensors read_safetensors(const std::filesystem::path& path) {
  const auto bytes = read_file(path, std::size_t{1} << 40);
  return parse_safetensors(bytes, path.string());
}

std::vector<std::byte> encode_safetensors(const Safetensors& st) {
  auto quote = [](const std::string& s, std::string_view role) {
    try {
      return json(s).dump(-1, ' ', false, json::error_handler_t::strict);
    } catch (const json::type_error&) {
      throw InputError(cat("safetensors ", role, " '", io::excerpt(s), "' is not valid UTF-8"));
    }
  };
  std::vector<std::pair<const std::string*, const DynTensor*>> order;
  for (const auto& [name, t] : st.tensors) {
    require(name != "__metadata__", "a tensor cannot be named __metadata__ in a safetensors file");
    order.emplace_back(&name, &t);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return enum_rank(a.second->dtype()) > enum_rank(b.second->dtype());
  });
  std::string header = "{";
  if (!st.metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : st.metadata) {
      if (!first) header += ',';
      header += quote(k, "metadata key");
      header += ':';
      header += quote(v, "metadata value");
      first = false;
    }
    header += "}";
  }
  std::uint64_t offset = 0;
  for (const auto& [name, t] : order) {
    std::string shape;
    for (auto e : t->shape()) shape += cat(shape.empty() ? "" : ",", e);
    const std::uint64_t end = offset + t->bytes().size();
    header += cat(header.size() > 1 ? "," : "", quote(*name, "tensor name"), ":{\"dtype\":\"", st_name(t->dtype()),
                  "\",\"shape\":[", shape, "],\"data_offsets\":[", offset, ",", end, "]}");
    offset = end;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::vector<std::byte> out;
  out.reserve(8 + header.size() + offset);
  io::append_le(out, static_cast<std::uint64_t>(header.size()));
  io::append_text(out, header);
  for (const auto& [name, t] : order) out.insert(out.end(), t->bytes().begin(), t->bytes().end());
  return out;
}

void write_safetensors(const std::filesystem::path& path, const Safetensors& st) {
  write_file_atomic(path, encode_safetensors(st));
}

}  // namespace menagerie
